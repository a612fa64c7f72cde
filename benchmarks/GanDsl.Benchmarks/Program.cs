using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GanDsl;
using GanDsl.Data;
using GanDsl.Training;
using TorchSharp;
using static TorchSharp.torch;

// GanDsl's side of benchmarks/run.sh.
//
//   dotnet run -c Release --project benchmarks/GanDsl.Benchmarks -- --workload NAME[,NAME] [--threads N] [--iterations N] [--warmup N] [--separate-forward-passes]
//   dotnet run -c Release --project benchmarks/GanDsl.Benchmarks -- --micro [--threads N]
//   dotnet run -c Release --project benchmarks/GanDsl.Benchmarks -- --optimizer [--threads N] [--steps N] [--rounds R] [--check-steps N] [--iteration-times [--warmup N] [--iterations N]]
//
// --workload: full training iterations through GanDsl's own Trainer (generated loss code, the trainer's
// loop with its finiteness guard, torch.optim), the workloads of benchmarks/HandWritten and
// benchmarks/pytorch_bench.py: ring `mlp` batch 256 and Fashion-MNIST-shaped `dcgan28` batch 64 (random
// images, as the peers use), non-saturating and WGAN-GP. One iteration is the time between two completed
// generator steps: every critic step, the generator step and the loop's own work. One JSON line per workload.
// `ring_tiny_ns` and `fmnist_tiny_ns`: the same data with one Linear layer per network, so the loop's own work
// (data, noise, guard, optimizer) is most of an iteration (GanDsl only; benchmarks/ab.sh compares two commits on them).
// --separate-forward-passes: the plain step (one pass per network application), reported as impl "gandsl_separate".
// --no-mkl-fast-path: MKL's answer "not an Intel CPU" (needs the stub: a non-Intel CPU, or GANDSL_MKL_FAST_PATH=on).
// --micro: per-call overhead of TorchSharp's binding (a 1-element add) and a Linear layer, mirrored by
// `pytorch_bench.py --micro`.
// --optimizer: torch.optim's Adam/RMSprop step against a flat-buffer update on the four workloads' parameter
// sets, with a bit-compatibility check (issue 12 item 3; OptimizerBench.cs).

var threads = 1;
int? warmupOverride = null, iterationsOverride = null;
var workloads = new List<string>();
var micro = false;
var separate = false;   // --separate-forward-passes: the plain step, one pass per network application
if (args.Contains("--optimizer"))
{
    var t = Array.IndexOf(args, "--threads");
    Libtorch.Configure(t >= 0 && t + 1 < args.Length ? int.Parse(args[t + 1], CultureInfo.InvariantCulture) : 1);
    return OptimizerBench.Run(torch.get_num_threads(), args);
}
for (var i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--threads": threads = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--warmup": warmupOverride = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--iterations": iterationsOverride = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--workload": workloads.AddRange(Value().Split(',', StringSplitOptions.RemoveEmptyEntries)); break;
        case "--micro": micro = true; break;
        case "--separate-forward-passes": separate = true; break;
        // MKL's generic kernels, as on a non-Intel CPU without GanDsl's stub (with GANDSL_MKL_FAST_PATH=on, also on Intel CPUs).
        case "--no-mkl-fast-path":
            if (!MklFastPath.TrySetEnabled(false)) { Console.Error.WriteLine($"--no-mkl-fast-path: nothing to turn off ({MklFastPath.Describe()})"); return 2; }
            break;
        default: Console.Error.WriteLine($"unknown argument '{args[i]}'"); return 2;
    }
}
Libtorch.Configure(threads);

if (micro)
{
    Micro.Run(threads);
    return 0;
}
if (workloads.Count == 0) workloads.AddRange(Workloads.All);
foreach (var workload in workloads)
{
    if (workload == "sgemm_256x512x512")
    {
        // libtorch's GEMM in GanDsl's process: with MklFastPath as GanDsl loads it (the hand-written program has none).
        Console.WriteLine(JsonSerializer.Serialize(Sgemm(warmupOverride ?? 50, iterationsOverride ?? 300, threads)));
        continue;
    }
    if (!Workloads.All.Contains(workload)) { Console.Error.WriteLine($"unknown workload '{workload}'; known: {string.Join(", ", Workloads.All)}"); return 2; }
    Console.WriteLine(JsonSerializer.Serialize(Workloads.Run(workload, warmupOverride, iterationsOverride, threads, separate)));
}
return 0;

static Dictionary<string, object> Sgemm(int warmup, int timed, int threads)
{
    using var a = torch.randn(256, 512);
    using var b = torch.randn(512, 512);
    var times = new List<double>();
    for (var i = 0; i < warmup + timed; i++)
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        using (var c = torch.mm(a, b)) { }
        if (i >= warmup) times.Add(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }
    times.Sort();
    var ms = times[times.Count / 2];
    return new Dictionary<string, object>
    {
        ["impl"] = "gandsl", ["workload"] = "sgemm_256x512x512", ["threads"] = threads, ["median_ms"] = Math.Round(ms, 4),
        ["gflops"] = Math.Round(2.0 * 256 * 512 * 512 / (ms * 1e-3) / 1e9, 2), ["mkl_fast_path"] = MklFastPath.Describe(),
    };
}

static class Workloads
{
    public static readonly string[] All = ["ring_mlp_ns", "ring_mlp_wgangp", "fmnist_dcgan28_ns", "fmnist_dcgan28_wgangp", "ring_tiny_ns", "fmnist_tiny_ns", "ring_mlp_mmdgan"];

    // The same (warm-up, timed) iterations as benchmarks/HandWritten and pytorch_bench.py.
    static (int Warmup, int Timed) Defaults(string workload) => workload switch
    {
        "ring_mlp_ns" => (5, 40),
        "ring_mlp_wgangp" => (3, 15),
        "fmnist_dcgan28_ns" => (5, 30),
        "ring_tiny_ns" or "fmnist_tiny_ns" => (20, 300),
        _ => (3, 12),
    };

    public static Dictionary<string, object> Run(string workload, int? warmupOverride, int? iterationsOverride, int threads, bool separate)
    {
        var (warmup, timed) = Defaults(workload);
        warmup = warmupOverride ?? warmup;
        timed = iterationsOverride ?? timed;
        var ring = workload.StartsWith("ring_", StringComparison.Ordinal);
        var wgan = workload.EndsWith("_wgangp", StringComparison.Ordinal);
        var tiny = workload.Contains("_tiny_", StringComparison.Ordinal);
        var output = Directory.CreateTempSubdirectory("gandsl-bench-").FullName;
        try
        {
            var options = new TrainOptions
            {
                // ring_mlp_mmdgan: MMD-GAN's critic steps on the ring's batch of 256 (issue 19's fused MMD² goal).
                Loss = wgan ? "wgan-gp" : workload.EndsWith("_mmdgan", StringComparison.Ordinal) ? "mmdgan" : "nonsaturating",
                Data = ring ? "ring" : "",
                Model = ring ? "mlp" : "dcgan28",
                BatchSize = tiny ? (ring ? 256 : 64) : null,
                Steps = warmup + timed + 1,
                Threads = threads,
                ShareForwardPasses = !separate,
                OutputDirectory = output,
                CheckpointEvery = 0,
                SampleEvery = 0,
                LogEvery = 1_000_000,
                FinalSampleCount = 0,
                Hyperparameters = wgan ? new Dictionary<string, double> { ["Lambda"] = ring ? 0.1 : 10 } : new Dictionary<string, double>(),
            };
            var loss = GanDsl.Losses.Zoo.CreateRegistry().Create(options.Loss);
            foreach (var (k, v) in options.Hyperparameters) loss.Hyper.Set(k, v);
            var family = tiny ? TinyFamily(ring) : GanDsl.Models.ModelFactory.Get(options.Model);
            using var trainer = Trainer.Create(loss, family, options with { Hyperparameters = new Dictionary<string, double>() },
                ring ? null : RandomImages());
            var stamps = new List<long>();
            trainer.StepCompleted += e =>
            {
                if (e.Phase != StepPhase.Generator) return;
                stamps.Add(Stopwatch.GetTimestamp());
                // The timed window is stamps[warmup] .. stamps[warmup + timed]: what profile.sh samples.
                if (stamps.Count == warmup + 1) PerfControl.Send("enable");
                if (stamps.Count == warmup + timed + 1) PerfControl.Send("disable");
            };
            trainer.Run();
            var times = new List<double>();
            for (var i = warmup + 1; i < stamps.Count; i++) times.Add(Stopwatch.GetElapsedTime(stamps[i - 1], stamps[i]).TotalMilliseconds);
            times.Sort();
            var median = times.Count % 2 == 1 ? times[times.Count / 2] : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;
            return new Dictionary<string, object>
            {
                ["impl"] = separate ? "gandsl_separate" : "gandsl",
                ["workload"] = workload,
                ["threads"] = threads,
                ["median_ms"] = Math.Round(median, 3),
                ["warmup"] = warmup,
                ["iterations"] = times.Count,
                ["torch"] = "libtorch " + torch.__version__ + " (TorchSharp " + typeof(torch).Assembly.GetName().Version + ")",
                ["keeps_freed_memory"] = Libtorch.KeepsFreedMemory,
            };
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    /// <summary>
    /// The `_tiny` workloads' networks: one Linear layer each, so the step's own work (the real batch, noise, guard,
    /// optimizer) is most of an iteration and a change to it shows above the noise of a loaded machine.
    /// </summary>
    static GanDsl.Models.IModelFamily TinyFamily(bool ring) => GanDsl.Models.ModelFamily.Custom(ring ? "tiny-2d" : "tiny-images", noiseShape: [16],
        build: (network, shape) =>
        {
            var features = shape.Aggregate(1L, (a, b) => a * b);
            return network.Role == NetworkRole.Critic
                ? nn.Sequential(nn.Flatten(), nn.Linear(features, 1))
                : nn.Sequential(nn.Linear(16, features), nn.Unflatten(1, shape.ToArray()));
        });

    /// <summary>
    /// 6,400 random images of Fashion-MNIST's shape and range held in memory (100 batches), passed as a user passes
    /// a dataset (<see cref="UserData.FromTensor"/>); the peer programs draw theirs with <c>torch.rand</c>.
    /// </summary>
    static IDataset RandomImages()
    {
        using var generator = new torch.Generator(1);
        using var uniform = torch.rand([6400, 1, 28, 28], generator: generator);
        using var images = uniform * 2 - 1;
        return UserData.FromTensor(images, "random-1x28x28");
    }
}

static class Micro
{
    public static void Run(int threads)
    {
        Report("add_1elem", Measure(200_000, 7, AddOneElement()));
        Report("linear_fwd_256x512_b256", Measure(300, 7, LinearForward()));
        Report("linear_fwd_bwd_256x512_b256", Measure(150, 7, LinearForwardBackward()));
        // MMD-GAN's MMD² on [256,16] features, 5 widths, forward and backward: GanDsl's form against the
        // difference-based form it replaced (issue 19), interleaved rounds.
        Report("mmd2_fwd_bwd_256x16_plain", Measure(20, 7, Mmd2ForwardBackward(plain: true)));
        Report("mmd2_fwd_bwd_256x16", Measure(20, 7, Mmd2ForwardBackward(plain: false)));
        Report("mmd2_fwd_bwd_256x16_plain", Measure(20, 7, Mmd2ForwardBackward(plain: true)));
        Report("mmd2_fwd_bwd_256x16", Measure(20, 7, Mmd2ForwardBackward(plain: false)));
        // The non-saturating critic's BCE(D(x), 1) + BCE(D(G(z)), 0) on D's shared [512,1] output, forward and backward:
        // one call per part (the plain step) against one call on the joined output (issue 19), interleaved rounds.
        Report("ns_critic_tail_fwd_bwd_b256_plain", Measure(2000, 7, CriticTail(plain: true)));
        Report("ns_critic_tail_fwd_bwd_b256", Measure(2000, 7, CriticTail(plain: false)));
        Report("ns_critic_tail_fwd_bwd_b256_plain", Measure(2000, 7, CriticTail(plain: true)));
        Report("ns_critic_tail_fwd_bwd_b256", Measure(2000, 7, CriticTail(plain: false)));
        Console.WriteLine($"# threads={torch.get_num_threads()} dotnet={Environment.Version} libtorch={torch.__version__}");
    }

    static Action CriticTail(bool plain)
    {
        using var g = new torch.Generator(0);
        var real = torch.randn([256, 1], generator: g).requires_grad_(true);
        var fake = torch.randn([256, 1], generator: g).requires_grad_(true);
        var critic = nn.Identity();
        var context = new StepContext(real, fake, new Dictionary<string, nn.Module<Tensor, Tensor>> { ["D"] = critic },
            new GeneratorStepRandom(new torch.Generator(1)));
        return () =>
        {
            using var scope = torch.NewDisposeScope();
            var outputs = LossOps.Forward(context, critic, real, fake);
            if (outputs.Joined is null) throw new InvalidOperationException("The benchmark's pass was not shared.");
            var loss = plain
                ? LossOps.BinaryCrossEntropyWithLogits(LossOps.Score(outputs[0], "D"), 1) + LossOps.BinaryCrossEntropyWithLogits(LossOps.Score(outputs[1], "D"), 0)
                : LossOps.BinaryCrossEntropyWithLogitsOfParts(outputs, "D", 1, 0);
            loss.backward();
            real.grad = null;
            fake.grad = null;
        };
    }

    static void Report(string name, double microseconds) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"gandsl {name} {microseconds:F3}"));

    static Action Mmd2ForwardBackward(bool plain)
    {
        using var g = new torch.Generator(0);
        var x = torch.randn([256, 16], generator: g).requires_grad_(true);
        var y = (torch.randn([256, 16], generator: g) + 0.5).requires_grad_(true);
        double[] sigmas = [1, 2, 4, 8, 16];
        return () =>
        {
            using var scope = torch.NewDisposeScope();
            (plain ? PlainMmd2(x, y, sigmas) : LossOps.Mmd2(x, y, sigmas)).backward();
            x.grad = null;
            y.grad = null;
        };

        static Tensor PlainMmd2(Tensor x, Tensor y, double[] sigmas)
        {
            Tensor K(Tensor u, Tensor v)
            {
                var d2 = LossOps.PairwiseSquaredDistances(u, v);
                return sigmas.Select(s => (d2 * (-1.0 / (2 * s * s))).exp()).Aggregate((p, q) => p + q);
            }
            return K(x, x).mean() + K(y, y).mean() - 2.0 * K(x, y).mean();
        }
    }

    // Per-call overhead: two 1-element tensors added, the result disposed at once.
    static Action AddOneElement()
    {
        var a = torch.ones(1);
        var b = torch.ones(1);
        return () => (a + b).Dispose();
    }

    static (Tensor X, Tensor W, Tensor B) LinearData()
    {
        using var g = new torch.Generator(0);
        var x = torch.randn([256, 256], generator: g);
        var w = (torch.randn([512, 256], generator: g) / 16).requires_grad_(true);
        var b = torch.zeros([512], requires_grad: true);
        return (x, w, b);
    }

    static Action LinearForward()
    {
        var (x, w, b) = LinearData();
        return () =>
        {
            using var noGrad = torch.no_grad();
            nn.functional.linear(x, w, b).Dispose();
        };
    }

    static Action LinearForwardBackward()
    {
        var (x, w, b) = LinearData();
        return () =>
        {
            using var scope = torch.NewDisposeScope();
            nn.functional.linear(x, w, b).sum().backward();
            w.grad = null;
            b.grad = null;
        };
    }

    static double Measure(int iterations, int rounds, Action body)
    {
        for (var i = 0; i < iterations; i++) body();
        var perRound = new double[rounds];
        for (var r = 0; r < rounds; r++)
        {
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < iterations; i++) body();
            perRound[r] = sw.Elapsed.TotalMicroseconds / iterations;
        }
        return perRound.Min();
    }
}
