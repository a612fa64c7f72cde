using GanDsl.Torch;
using static GanDsl.Runtime.Tests.Torch.TorchTestSupport;
using T = GanDsl.Torch.Torch;

namespace GanDsl.Runtime.Tests.Torch;

/// <summary>
/// Tests that read process-wide state (the live-tensor count, resident memory, libtorch's
/// global generator), run alone so other tests cannot disturb them.
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

    /// <summary>Lets the finalizer free what earlier tests left to the garbage collector, so the count is stable.</summary>
    private static long SettledLiveCount()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return T.LiveTensorCount;
    }

    [Fact]
    public void Ten_thousand_training_steps_in_scopes_leak_neither_handles_nor_memory()
    {
        var start = SettledLiveCount();
        // A dedicated seeded generator: the same problem every run, whatever the global generator's state.
        using var data = new Generator(2024);
        var w = T.Randn([32, 16], DType.Float32, gen: data).RequiresGrad_(true);
        var b = T.Zeros([32], DType.Float32, requiresGrad: true);
        var x = T.Randn([64, 16], gen: data);
        var target = T.Randn([64, 32], gen: data);
        long rssAt1000 = 0;
        double firstLoss = 0, lastLoss = 0;

        for (var i = 1; i <= 10_000; i++)
        {
            using (T.NewScope())
            {
                var y = T.Functional.Linear(x, w, b).Tanh();
                var loss = T.MseLoss(y, target);
                loss.Backward();
                using (T.NoGrad())
                {
                    using var gw = w.Grad!;
                    using var gb = b.Grad!;
                    w.Add_(gw, -0.05);
                    b.Add_(gb, -0.05);
                }
                w.ZeroGrad();
                b.ZeroGrad();
                if (i == 1) firstLoss = loss.Item();
                if (i == 10_000) lastLoss = loss.Item();
            }
            if (i == 1_000)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                rssAt1000 = ResidentBytes();
            }
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var growth = ResidentBytes() - rssAt1000;

        Assert.True(lastLoss < firstLoss, $"the SGD steps should lower the loss ({firstLoss} -> {lastLoss})");
        foreach (var t in new[] { w, b, x, target }) t.Dispose();
        Assert.Equal(start, T.LiveTensorCount);
        Assert.True(growth < 20L << 20, $"resident memory grew by {growth / (1 << 20)} MB between step 1,000 and 10,000");
    }

    [Fact]
    public void LiveTensorCount_counts_undisposed_handles()
    {
        var start = SettledLiveCount();
        var a = T.Ones([2]);
        Tensor b;
        using (T.NewScope())
        {
            b = (a + a).DetachFromScope();
            _ = a * 3.0;
            Assert.Equal(start + 3, T.LiveTensorCount);
        }
        Assert.Equal(start + 2, T.LiveTensorCount);
        a.Dispose();
        b.Dispose();
        Assert.Equal(start, T.LiveTensorCount);
    }

    [Fact]
    public void ManualSeed_then_Randn_equals_pytorch()
    {
        var r = Reference.GetProperty("random");
        T.ManualSeed(r.GetProperty("manual_seed").GetInt64());
        using var scope = T.NewScope();
        var f32 = T.Randn([6]).ToArray<float>().Select(v => (double)v).ToArray();
        var f64 = T.Randn([2, 3], DType.Float64).ToArray<double>();
        Assert.Equal(Doubles(r.GetProperty("randn_float32")), f32);
        Assert.Equal(Doubles(r.GetProperty("then_randn_float64")), f64);
    }
}
