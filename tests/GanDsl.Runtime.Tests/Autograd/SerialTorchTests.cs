using TorchSharp;
using static GanDsl.Runtime.Tests.TorchTestSupport;
using static TorchSharp.torch;

namespace GanDsl.Runtime.Tests.Autograd;

/// <summary>
/// Tests that read process-wide state (live-tensor counts, resident memory, libtorch's global generator)
/// run alone so other tests cannot disturb them.
/// </summary>
[Collection(SerialTorchCollection.Name)]
public sealed class SerialTorchTests
{
    public SerialTorchTests() => UseTwoThreads();

    private static long ResidentBytes()
    {
        // /proc/self/statm: size resident shared ... in pages.
        var fields = File.ReadAllText("/proc/self/statm").Split(' ');
        return long.Parse(fields[1]) * Environment.SystemPageSize;
    }

    /// <summary>Lets the finalizer free what earlier tests left to the garbage collector, so the process-wide count is stable.</summary>
    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>Tensors created minus tensors disposed on this thread (TorchSharp's DisposeScopeManager statistics).</summary>
    private static long ThreadLive => DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;

    [Fact]
    public void Ten_thousand_scoped_training_steps_leak_neither_tensors_nor_memory()
    {
        Settle();
        var threadStart = ThreadLive;
        var processStart = Tensor.TotalCount;
        var data = new Generator(2024);
        var x = torch.randn([64, 16], generator: data);
        var target = torch.randn([64, 8], generator: data);
        torch.manual_seed(11);
        var model = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 8));
        var optimizer = torch.optim.Adam(model.parameters(), lr: 1e-3);
        long rssAt1000 = 0, liveAt1000 = 0;
        double firstLoss = 0, lastLoss = 0;
        var liveAfterStep = new List<long>();

        for (var i = 1; i <= 10_000; i++)
        {
            using (torch.NewDisposeScope())
            {
                optimizer.zero_grad();
                var loss = nn.functional.mse_loss(model.forward(x), target);
                loss.backward();
                optimizer.step();
                if (i == 1) firstLoss = loss.item<float>();
                if (i == 10_000) lastLoss = loss.item<float>();
            }
            if (i % 1000 == 0) liveAfterStep.Add(ThreadLive);
            if (i == 1_000)
            {
                Settle();
                rssAt1000 = ResidentBytes();
                liveAt1000 = Tensor.TotalCount;
            }
        }
        Settle();
        var growth = ResidentBytes() - rssAt1000;

        Assert.True(lastLoss < firstLoss, $"the Adam steps should lower the loss ({firstLoss} -> {lastLoss})");
        // Flat: the same number of live tensors after every 1,000 steps as after the first 1,000.
        Assert.All(liveAfterStep, n => Assert.Equal(liveAfterStep[0], n));
        Assert.Equal(liveAt1000, Tensor.TotalCount);
        Assert.True(growth < 16L << 20, $"resident memory grew by {growth / (1 << 20)} MB between step 1,000 and 10,000");

        var beforeDispose = Tensor.TotalCount;
        optimizer.Dispose();
        model.Dispose();
        x.Dispose();
        target.Dispose();
        Settle();
        // 4 parameters, Adam's 8 moment tensors, x and target.
        Assert.True(beforeDispose - Tensor.TotalCount >= 14, $"disposing freed only {beforeDispose - Tensor.TotalCount} tensors");
        Assert.True(Tensor.TotalCount - processStart <= 8, $"{Tensor.TotalCount - processStart} more live tensors than before the test");
        // The wrappers TorchSharp made of parameters and gradients outside any scope (model.parameters(), .grad reads
        // inside step()) are garbage, freed by finalizers on another thread, so this thread's own count is only bounded.
        Assert.True(ThreadLive - threadStart < 100, $"{ThreadLive - threadStart} tensors created on this thread are still counted live");
    }

    [Fact]
    public void A_dispose_scope_frees_every_tensor_of_a_gradient_penalty_step()
    {
        var d = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1));
        var x = torch.randn([16, 2], generator: new Generator(3));
        for (var warm = 0; warm < 2; warm++) Step();
        var before = ThreadLive;
        for (var i = 0; i < 100; i++) Step();
        Assert.Equal(before, ThreadLive);
        d.Dispose();
        x.Dispose();

        void Step()
        {
            using var scope = torch.NewDisposeScope();
            var input = LossOps.RequireGrad(x);
            var g = LossOps.Grad(LossOps.Score(d.forward(input), "D"), input, "leak", "GradientPenalty(x)");
            using var result = new StepResult((LossOps.PerSampleNorm(g) - 1.0).square().mean()).MoveToOuterDisposeScope();
            result.LossTensor!.requires_grad_(false);
            _ = result.Loss;
        }
    }

    [Fact]
    public void ManualSeed_then_randn_equals_pytorch()
    {
        var r = Reference.GetProperty("random");
        torch.manual_seed(r.GetProperty("manual_seed").GetInt64());
        using var scope = torch.NewDisposeScope();
        var f32 = torch.randn(6).data<float>().ToArray().Select(v => (double)v).ToArray();
        var f64 = ToDoubles(torch.randn([2, 3], ScalarType.Float64));
        Assert.Equal(Doubles(r.GetProperty("randn_float32")), f32);
        Assert.Equal(Doubles(r.GetProperty("then_randn_float64")), f64);
    }
}

/// <summary>Seeded generators (the trainer's noise and loss streams): equal to PyTorch's, and restorable from their state for exact resume.</summary>
public sealed class GeneratorTests
{
    public GeneratorTests() => UseTwoThreads();

    [Fact]
    public void Seeded_rand_equals_pytorch_generator_stream()
    {
        var r = Reference.GetProperty("random");
        using var scope = torch.NewDisposeScope();
        var g = new Generator((ulong)r.GetProperty("generator_seed").GetInt64());
        var f32 = torch.rand([7], generator: g).data<float>().ToArray().Select(v => (double)v).ToArray();
        var f64 = ToDoubles(torch.rand([5], ScalarType.Float64, generator: g));
        Assert.Equal(Doubles(r.GetProperty("rand_float32")), f32);
        Assert.Equal(Doubles(r.GetProperty("then_rand_float64")), f64);
    }

    [Fact]
    public void State_bytes_round_trip_reproduces_the_stream_as_resume_needs()
    {
        using var scope = torch.NewDisposeScope();
        var g = new Generator(5);
        _ = torch.rand([17], generator: g);
        var state = g.get_state().bytes.ToArray();   // what Trainer.Checkpoints stores
        var first = ToDoubles(torch.randn([3, 7], ScalarType.Float64, generator: g));
        var firstUniform = torch.rand([11], generator: g).data<float>().ToArray();

        var fresh = new Generator(12345);
        using (var current = fresh.get_state())
        using (var restored = torch.tensor(state, current.shape))
            fresh.set_state(restored);
        Assert.Equal(first, ToDoubles(torch.randn([3, 7], ScalarType.Float64, generator: fresh)));
        Assert.Equal(firstUniform, torch.rand([11], generator: fresh).data<float>().ToArray());

        var stepRandom = new GeneratorStepRandom(new Generator(9));
        var alpha = stepRandom.PerSampleUniform(1000, ScalarType.Float64, torch.CPU);
        Assert.Equal(new long[] { 1000 }, alpha.shape);
        Assert.All(ToDoubles(alpha), v => Assert.InRange(v, 0.0, Math.BitDecrement(1.0)));
        Assert.Equal(new long[] { 2, 3 }, stepRandom.ElementwiseUniform([2, 3], ScalarType.Float32, torch.CPU).shape);
    }
}
