// The training iteration a careful .NET user writes by hand in idiomatic TorchSharp: networks as
// nn.Sequential, torch.optim.Adam, a dispose scope per iteration, gradient penalty through
// torch.autograd.grad. It is the peer GanDsl's trainer is compared with (issues 8 and 12) and does
// exactly what benchmarks/pytorch_bench.py does in PyTorch (same workloads, sizes, warm-up, timing).
//
//   dotnet run -c Release --project benchmarks/HandWritten -- [--threads N] [--workload NAME[,NAME]]
//       [--iterations N] [--warmup N] [--list]
//
// Prints one JSON line per workload: median milliseconds per full training iteration (every critic
// step and the generator step) over the timed iterations, after untimed warm-up iterations.
// Workload "sgemm_256x512x512" times one float32 matrix product and reports GFLOP/s as well.
using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HandWritten;

/// <summary>A generator, a critic, their Adam optimizers and a source of real batches.</summary>
sealed class Gan : IDisposable
{
    public required string Name { get; init; }
    public required nn.Module<Tensor, Tensor> G { get; init; }
    public required nn.Module<Tensor, Tensor> D { get; init; }
    public required optim.Optimizer OptG { get; init; }
    public required optim.Optimizer OptD { get; init; }
    public required Func<Tensor> RealBatch { get; init; }
    public required long Batch { get; init; }
    public required long NoiseDim { get; init; }
    /// <summary>Shape of the interpolation coefficient: one per sample, broadcasting over the sample.</summary>
    public required long[] EpsShape { get; init; }
    public required bool Wasserstein { get; init; }
    public int CriticSteps => Wasserstein ? 5 : 1;
    public double Lambda { get; init; } = 10;

    public void Dispose()
    {
        G.Dispose();
        D.Dispose();
        OptG.Dispose();
        OptD.Dispose();
    }
}

static class Models
{
    /// <summary>GanDsl's <c>mlp</c>: Linear(in,512)-ReLU-Linear(512,512)-ReLU-Linear(512,512)-ReLU-Linear(512,out).</summary>
    public static nn.Module<Tensor, Tensor> Mlp(long inputs, long outputs) => nn.Sequential(
        nn.Linear(inputs, 512), nn.ReLU(),
        nn.Linear(512, 512), nn.ReLU(),
        nn.Linear(512, 512), nn.ReLU(),
        nn.Linear(512, outputs));

    /// <summary>GanDsl's <c>dcgan28</c> generator: z(64) to a 1x28x28 image in [-1, 1].</summary>
    public static nn.Module<Tensor, Tensor> DcganGenerator() => nn.Sequential(
        nn.Linear(64, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU(),
        nn.Unflatten(1, [128, 7, 7]),
        nn.ConvTranspose2d(128, 64, kernel_size: 4, stride: 2, padding: 1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, 1, kernel_size: 4, stride: 2, padding: 1), nn.Tanh());

    /// <summary>GanDsl's <c>dcgan28</c> critic (no batch norm, so the gradient penalty is per sample).</summary>
    public static nn.Module<Tensor, Tensor> DcganCritic() => nn.Sequential(
        nn.Conv2d(1, 64, kernel_size: 4, stride: 2, padding: 1), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, kernel_size: 4, stride: 2, padding: 1), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1));
}

static class Training
{
    /// <summary>One full iteration: the critic step(s), then one generator step, in one dispose scope.</summary>
    public static void Iteration(Gan gan)
    {
        using var scope = torch.NewDisposeScope();
        for (var k = 0; k < gan.CriticSteps; k++)
        {
            var real = gan.RealBatch();
            var z = torch.randn(gan.Batch, gan.NoiseDim);
            gan.OptD.zero_grad();
            Tensor fake;
            using (torch.no_grad()) fake = gan.G.call(z);
            var loss = gan.Wasserstein ? CriticLoss(gan, real, fake) : DiscriminatorLoss(gan, real, fake);
            loss.backward();
            gan.OptD.step();
        }

        var z2 = torch.randn(gan.Batch, gan.NoiseDim);
        gan.OptG.zero_grad();
        SetRequiresGrad(gan.D, false);   // gradients flow through D to G, none are stored for D
        var score = gan.D.call(gan.G.call(z2));
        var lossG = gan.Wasserstein ? -score.mean() : nn.functional.softplus(-score).mean();
        lossG.backward();
        SetRequiresGrad(gan.D, true);
        gan.OptG.step();
    }

    /// <summary>Non-saturating: E softplus(-D(x)) + E softplus(D(G(z))).</summary>
    static Tensor DiscriminatorLoss(Gan gan, Tensor real, Tensor fake) =>
        nn.functional.softplus(-gan.D.call(real)).mean() + nn.functional.softplus(gan.D.call(fake)).mean();

    /// <summary>WGAN-GP: E D(G(z)) - E D(x) + λ E (‖∇D(x̂)‖₂ - 1)², x̂ = ε x + (1-ε) G(z).</summary>
    static Tensor CriticLoss(Gan gan, Tensor real, Tensor fake)
    {
        var wasserstein = gan.D.call(fake).mean() - gan.D.call(real).mean();
        var eps = torch.rand(gan.EpsShape);
        var xhat = (eps * real + (1 - eps) * fake).requires_grad_(true);
        var grad = torch.autograd.grad([gan.D.call(xhat).sum()], [xhat], create_graph: true, retain_graph: true)[0];
        var norm = torch.linalg.vector_norm(grad.flatten(1), 2, [1]);
        var penalty = (norm - 1).square().mean();
        return wasserstein + gan.Lambda * penalty;
    }

    static void SetRequiresGrad(nn.Module module, bool value)
    {
        foreach (var p in module.parameters()) p.requires_grad = value;
    }
}

static class Program
{
    static readonly string[] All = ["ring_mlp_ns", "ring_mlp_wgangp", "fmnist_dcgan28_ns", "fmnist_dcgan28_wgangp", "sgemm_256x512x512"];

    // Default (warm-up, timed) iterations; the same numbers as benchmarks/pytorch_bench.py.
    static (int Warmup, int Timed) Defaults(string workload) => workload switch
    {
        "ring_mlp_ns" => (5, 40),
        "ring_mlp_wgangp" => (3, 15),
        "fmnist_dcgan28_ns" => (5, 30),
        "fmnist_dcgan28_wgangp" => (3, 12),
        _ => (50, 300),
    };

    static Gan Build(string workload)
    {
        torch.manual_seed(0);
        bool ring = workload.StartsWith("ring_", StringComparison.Ordinal);
        bool wgan = workload.EndsWith("_wgangp", StringComparison.Ordinal);
        var g = ring ? Models.Mlp(2, 2) : Models.DcganGenerator();
        var d = ring ? Models.Mlp(2, 1) : Models.DcganCritic();
        // Each loss's paper optimizer, as GanDsl declares it: WGAN-GP Adam(1e-4, 0.5, 0.9), non-saturating Adam(2e-4, 0.5, 0.999).
        var (lr, beta2) = wgan ? (1e-4, 0.9) : (2e-4, 0.999);
        Func<Tensor> real;
        if (ring)
        {
            // The 8-Gaussian ring: radius 2, std 0.02, a uniformly chosen centre per sample.
            var angles = torch.arange(8, ScalarType.Float32) * (2 * Math.PI / 8);
            var centres = torch.stack([2 * torch.cos(angles), 2 * torch.sin(angles)], 1);
            real = () => centres[torch.randint(0, 8, [256])] + 0.02 * torch.randn(256, 2);
        }
        else
        {
            // Random images of Fashion-MNIST's shape and range, so the benchmark needs no dataset.
            real = () => torch.rand(64, 1, 28, 28) * 2 - 1;
        }
        return new Gan
        {
            Name = workload,
            G = g,
            D = d,
            OptG = torch.optim.Adam(g.parameters(), lr, 0.5, beta2),
            OptD = torch.optim.Adam(d.parameters(), lr, 0.5, beta2),
            RealBatch = real,
            Batch = ring ? 256 : 64,
            NoiseDim = ring ? 2 : 64,
            EpsShape = ring ? [256, 1] : [64, 1, 1, 1],
            Wasserstein = wgan,
            Lambda = ring ? 0.1 : 10,
        };
    }

    static double Median(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    static List<double> Time(int warmup, int timed, Action body)
    {
        for (var i = 0; i < warmup; i++) body();
        var times = new List<double>(timed);
        PerfControl.Send("enable");
        for (var i = 0; i < timed; i++)
        {
            long start = Stopwatch.GetTimestamp();
            body();
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        PerfControl.Send("disable");
        return times;
    }

    static Dictionary<string, object> Run(string workload, int? warmupOverride, int? iterationsOverride, int threads)
    {
        var (warmup, timed) = Defaults(workload);
        warmup = warmupOverride ?? warmup;
        timed = iterationsOverride ?? timed;
        var line = new Dictionary<string, object>
        {
            ["impl"] = "handwritten",
            ["workload"] = workload,
            ["threads"] = threads,
        };
        if (workload == "sgemm_256x512x512")
        {
            torch.manual_seed(0);
            using var a = torch.randn(256, 512);
            using var b = torch.randn(512, 512);
            var times = Time(warmup, timed, () =>
            {
                using var scope = torch.NewDisposeScope();
                torch.mm(a, b);
            });
            var ms = Median(times);
            line["median_ms"] = Math.Round(ms, 4);
            line["gflops"] = Math.Round(2.0 * 256 * 512 * 512 / (ms * 1e-3) / 1e9, 2);
        }
        else
        {
            using var gan = Build(workload);
            gan.G.train();
            gan.D.train();
            var times = Time(warmup, timed, () => Training.Iteration(gan));
            line["median_ms"] = Math.Round(Median(times), 3);
        }
        line["warmup"] = warmup;
        line["iterations"] = timed;
        line["torch"] = "libtorch " + torch.__version__ + " (TorchSharp " + typeof(torch).Assembly.GetName().Version + ")";
        return line;
    }

    static int Main(string[] args)
    {
        int threads = 1;
        int? warmup = null, iterations = null;
        var workloads = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--threads": threads = int.Parse(Value()); break;
                case "--warmup": warmup = int.Parse(Value()); break;
                case "--iterations": iterations = int.Parse(Value()); break;
                case "--workload": workloads.AddRange(Value().Split(',', StringSplitOptions.RemoveEmptyEntries)); break;
                case "--list": Console.WriteLine(string.Join("\n", All)); return 0;
                default:
                    Console.Error.WriteLine($"unknown argument '{args[i]}'; usage: [--threads N] [--workload NAME[,NAME]] [--iterations N] [--warmup N] [--list]");
                    return 2;
            }
        }
        if (workloads.Count == 0) workloads.AddRange(All);
        foreach (var w in workloads)
            if (!All.Contains(w))
            {
                Console.Error.WriteLine($"unknown workload '{w}'; known: {string.Join(", ", All)}");
                return 2;
            }

        torch.set_num_threads(threads);
        foreach (var w in workloads)
            Console.WriteLine(JsonSerializer.Serialize(Run(w, warmup, iterations, threads)));
        return 0;
    }
}
