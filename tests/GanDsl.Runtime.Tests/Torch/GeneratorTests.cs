using GanDsl.Torch;
using static GanDsl.Runtime.Tests.Torch.TorchTestSupport;
using T = GanDsl.Torch.Torch;

namespace GanDsl.Runtime.Tests.Torch;

/// <summary>Seeded generators: reproducible, restorable from their state, and equal to PyTorch's stream.</summary>
public sealed class GeneratorTests
{
    public GeneratorTests() => UseTwoThreads();

    [Fact]
    public void Same_seed_gives_the_same_numbers_and_another_seed_others()
    {
        using var scope = T.NewScope();
        using var g1 = new Generator(99);
        using var g2 = new Generator(99);
        using var g3 = new Generator(100);
        var a = T.Rand([50], DType.Float64, gen: g1).ToArray<double>();
        var b = T.Rand([50], DType.Float64, gen: g2).ToArray<double>();
        var c = T.Rand([50], DType.Float64, gen: g3).ToArray<double>();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        // [0, 1): the largest double below 1 (1.0 - double.Epsilon rounds back to 1.0, which would admit 1).
        Assert.All(a, v => Assert.InRange(v, 0.0, Math.BitDecrement(1.0)));
        // A generator is its own stream: draws from the global generator do not move it.
        var next1 = T.Randn([5], gen: g1).ToArray<float>();
        _ = T.Randn([100]);
        var next2 = T.Randn([5], gen: g2).ToArray<float>();
        Assert.Equal(next1, next2);
    }

    [Fact]
    public void GetState_SetState_round_trip_reproduces_the_stream()
    {
        using var scope = T.NewScope();
        using var g = new Generator(5);
        _ = T.Rand([17], gen: g);
        var state = g.GetState();
        Assert.NotEmpty(state);
        var first = T.Randn([3, 7], DType.Float64, gen: g).ToArray<double>();
        var firstUniform = T.Rand([11], gen: g).ToArray<float>();

        g.SetState(state);
        Assert.Equal(first, T.Randn([3, 7], DType.Float64, gen: g).ToArray<double>());
        Assert.Equal(firstUniform, T.Rand([11], gen: g).ToArray<float>());

        using var fresh = new Generator(12345);
        fresh.SetState(state);
        Assert.Equal(first, T.Randn([3, 7], DType.Float64, gen: fresh).ToArray<double>());
    }

    [Fact]
    public void Seeded_Rand_equals_pytorch_generator_stream()
    {
        var r = Reference.GetProperty("random");
        using var scope = T.NewScope();
        using var g = new Generator(r.GetProperty("generator_seed").GetInt64());
        var f32 = T.Rand([7], gen: g).ToArray<float>().Select(v => (double)v).ToArray();
        var f64 = T.Rand([5], DType.Float64, gen: g).ToArray<double>();
        Assert.Equal(Doubles(r.GetProperty("rand_float32")), f32);
        Assert.Equal(Doubles(r.GetProperty("then_rand_float64")), f64);
    }

    [Fact]
    public void Disposed_generator_refuses_use()
    {
        var g = new Generator(1);
        g.Dispose();
        Assert.Throws<ObjectDisposedException>(() => g.GetState());
        Assert.Throws<ObjectDisposedException>(() => T.Rand([2], gen: g));
    }
}
