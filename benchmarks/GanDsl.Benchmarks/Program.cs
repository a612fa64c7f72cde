using System.Diagnostics;
using System.Globalization;
using GanDsl.Torch;
using T = GanDsl.Torch.Torch;

// Stopwatch benchmarks of the tensor binding, mirrored by benchmarks/pytorch_bench.py so
// benchmarks/run.sh can print both side by side. Each measurement: warm-up, then several
// timed rounds of many iterations; the fastest round is reported (microseconds per iteration):
// on a shared machine the minimum is the estimate least disturbed by other processes.
//
//   dotnet run -c Release --project benchmarks/GanDsl.Benchmarks -- [--threads N]

var threads = 2;
for (var i = 0; i < args.Length - 1; i++)
    if (args[i] == "--threads") threads = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
T.SetNumThreads(threads);

Report("add_1elem", Measure(iterations: 200_000, rounds: 7, AddOneElement()));
Report("add_1elem_libtorch_floor", Measure(iterations: 1, rounds: 7, NativeAddLoop(200_000)) / 200_000);
Report("linear_fwd_256x512_b256", Measure(iterations: 300, rounds: 7, LinearForward()));
Report("linear_fwd_bwd_256x512_b256", Measure(iterations: 150, rounds: 7, LinearForwardBackward()));
Console.WriteLine($"# threads={T.NumThreads} dotnet={Environment.Version}");

static void Report(string name, double microseconds) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"gandsl {name} {microseconds:F3}"));

// Per-call overhead: two 1-element tensors added, the result disposed at once.
static Action AddOneElement()
{
    var a = T.Ones([1]);
    var b = T.Ones([1]);
    return () =>
    {
        var c = a + b;
        c.Dispose();
    };
}

// The same additions looped inside the native library: libtorch's own cost, without the binding.
static Action NativeAddLoop(long iterations)
{
    var a = T.Ones([1]);
    var b = T.Ones([1]);
    return () => T.NativeAddLoop(a, b, iterations);
}

// nn.Linear(256, 512) on a batch of 256, float32: y = x Wᵀ + b.
static (Tensor X, Tensor W, Tensor B) LinearData()
{
    using var g = new Generator(0);
    var x = T.Randn([256, 256], gen: g);
    var w = T.Randn([512, 256], gen: g).Mul_(1.0 / 16).RequiresGrad_(true);
    var b = T.Zeros([512], requiresGrad: true);
    return (x, w, b);
}

static Action LinearForward()
{
    var (x, w, b) = LinearData();
    return () =>
    {
        using var noGrad = T.NoGrad();
        T.Functional.Linear(x, w, b).Dispose();
    };
}

static Action LinearForwardBackward()
{
    var (x, w, b) = LinearData();
    return () =>
    {
        using var scope = T.NewScope();
        T.Functional.Linear(x, w, b).Sum().Backward();
        w.ZeroGrad();
        b.ZeroGrad();
    };
}

static double Measure(int iterations, int rounds, Action body)
{
    for (var i = 0; i < iterations; i++) body(); // warm-up (JIT, allocator caches)
    var perRound = new double[rounds];
    for (var r = 0; r < rounds; r++)
    {
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++) body();
        perRound[r] = sw.Elapsed.TotalMicroseconds / iterations;
    }
    return perRound.Min();
}
