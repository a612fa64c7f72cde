using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Runtime.Tests.Autograd;

/// <summary>
/// The fused forms of issue 19 (Between as one lerp, MMD² from one GEMM per kernel) against the plain formulas
/// they replace: same value and same gradient with respect to both inputs, in float64 and float32, and at
/// coincident samples (where a distance's square root would have no gradient).
/// </summary>
public sealed class FusedFormEquivalenceTests
{
    public FusedFormEquivalenceTests() => TorchTestSupport.UseTwoThreads();

    private sealed class FixedRandom(double[] perSample) : IStepRandom
    {
        public Tensor PerSampleUniform(long batch, ScalarType dtype, Device device) => torch.tensor(perSample, [batch], dtype, device);
        public Tensor ElementwiseUniform(long[] shape, ScalarType dtype, Device device) => throw new NotSupportedException();
    }

    /// <summary>The value of <paramref name="f"/> and its gradients with respect to fresh leaves holding a and b.</summary>
    private static (double Value, double[] GradA, double[] GradB) Evaluate(Func<Tensor, Tensor, Tensor> f, Tensor a, Tensor b)
    {
        using var scope = torch.NewDisposeScope();
        var (x, y) = (a.detach().clone().requires_grad_(true), b.detach().clone().requires_grad_(true));
        var value = f(x, y);
        value.backward();
        return (value.to_type(ScalarType.Float64).item<double>(), Doubles(x.grad!), Doubles(y.grad!));

        static double[] Doubles(Tensor t) => t.to_type(ScalarType.Float64).data<double>().ToArray();
    }

    private static void AssertSame((double Value, double[] GradA, double[] GradB) expected, (double Value, double[] GradA, double[] GradB) actual, double tolerance)
    {
        Assert.Equal(expected.Value, actual.Value, tolerance);
        Assert.All(expected.GradA.Zip(actual.GradA), p => Assert.Equal(p.First, p.Second, tolerance));
        Assert.All(expected.GradB.Zip(actual.GradB), p => Assert.Equal(p.First, p.Second, tolerance));
        Assert.All(actual.GradA.Concat(actual.GradB), g => Assert.True(double.IsFinite(g)));
    }

    /// <summary>Plain MMD² (the form before issue 19): [N,M,D] differences per kernel, one exp per width.</summary>
    private static Tensor PlainMmd2(Tensor a, Tensor b, double[] sigmas)
    {
        Tensor K(Tensor u, Tensor v)
        {
            var d2 = LossOps.PairwiseSquaredDistances(u, v);
            return sigmas.Select(s => (d2 * (-1.0 / (2 * s * s))).exp()).Aggregate((p, q) => p + q);
        }
        var (x, y) = (a.flatten(1), b.flatten(1));
        return K(x, x).mean() + K(y, y).mean() - 2.0 * K(x, y).mean();
    }

    [Theory]
    [InlineData(ScalarType.Float64, 1e-12)]
    [InlineData(ScalarType.Float32, 2e-5)]
    public void Mmd2_from_one_GEMM_per_kernel_equals_the_plain_form_in_value_and_gradients(ScalarType dtype, double tolerance)
    {
        using var scope = torch.NewDisposeScope();
        var generator = new Generator(7);
        var a = torch.randn([12, 2, 3], dtype, generator: generator);
        var b = torch.randn([9, 2, 3], dtype, generator: generator) * 1.5 + 0.5;
        b[0] = a[3];   // a coincident pair across the batches (and every sample with itself)
        double[] sigmas = [0.5, 1, 2, 4];
        AssertSame(Evaluate((x, y) => PlainMmd2(x, y, sigmas), a, b), Evaluate((x, y) => LossOps.Mmd2(x, y, sigmas), a, b), tolerance);
    }

    [Theory]
    [InlineData(ScalarType.Float64, 1e-14, new long[] { 5, 2, 3 })]
    [InlineData(ScalarType.Float32, 1e-6, new long[] { 5, 2, 3 })]
    [InlineData(ScalarType.Float64, 1e-14, new long[] { 5 })]
    [InlineData(ScalarType.Float64, 1e-14, new long[0])]
    public void MeanSquaredNorm_as_one_dot_product_equals_the_plain_form_in_value_and_gradients(ScalarType dtype, double tolerance, long[] shape)
    {
        using var scope = torch.NewDisposeScope();
        var generator = new Generator(5);
        var g = torch.randn(shape, dtype, generator: generator);
        if (shape.Length > 1) g[1] = torch.zeros(shape[1..], dtype);   // a sample whose gradient is 0: where the norm's square root has no derivative
        var unused = torch.zeros(1, dtype);
        // The second leaf is unused (Evaluate takes two): a zero multiple keeps it in the graph.
        var plain = Evaluate((x, y) => LossOps.PerSampleNorm(x).square().mean() + y.sum() * 0, g, unused);
        var fused = Evaluate((x, y) => LossOps.MeanSquaredNorm(x) + y.sum() * 0, g, unused);
        AssertSame(plain, fused, tolerance);
        // d/dg E‖g‖² = 2g/B, 0 at the zero sample.
        var samples = shape.Length == 0 ? 1 : shape[0];
        var expected = (g * (2.0 / samples)).to_type(ScalarType.Float64).data<double>().ToArray();
        Assert.All(expected.Zip(fused.GradA), p => Assert.Equal(p.First, p.Second, tolerance));
    }

    [Fact]
    public void MeanSquaredNorm_stays_accurate_in_float32_on_large_images()
    {
        // 4 samples of 3x1024x1024: a sequential float32 accumulation (a BLAS dot) drifts by ~1e-5 here; libtorch's pairwise sum does not.
        using var scope = torch.NewDisposeScope();
        var g = torch.randn([4, 3 * 1024 * 1024], generator: new Generator(1));
        var exact = g.to_type(ScalarType.Float64).square().sum().item<double>() / 4;
        var value = LossOps.MeanSquaredNorm(g).item<float>();
        Assert.True(Math.Abs(value - exact) <= 1e-6 * exact, $"E‖g‖² = {value} in float32, {exact} in float64");
    }

    [Theory]
    [InlineData(ScalarType.Float64, 1e-14)]
    [InlineData(ScalarType.Float32, 1e-6)]
    public void Between_as_one_lerp_equals_the_plain_form_in_value_and_gradients(ScalarType dtype, double tolerance)
    {
        using var scope = torch.NewDisposeScope();
        var generator = new Generator(3);
        var a = torch.randn([4, 3], dtype, generator: generator);
        var b = torch.randn([4, 3], dtype, generator: generator);
        double[] alpha = [0.0, 0.3, 0.5, 0.9];
        using var weights = torch.randn([4, 3], dtype, generator: generator);
        Tensor Plain(Tensor x, Tensor y)
        {
            var t = torch.tensor(alpha, dtype).reshape(4, 1);
            return ((t * x + (1.0 - t) * y) * weights).sum();
        }
        AssertSame(Evaluate(Plain, a, b), Evaluate((x, y) => (LossOps.Between(new FixedRandom(alpha), x, y) * weights).sum(), a, b), tolerance);
    }

    [Theory]
    [InlineData(ScalarType.Float64, 1e-14)]
    [InlineData(ScalarType.Float32, 1e-6)]
    public void L1_loss_equals_the_mean_absolute_difference_in_value_and_gradients(ScalarType dtype, double tolerance)
    {
        using var scope = torch.NewDisposeScope();
        var generator = new Generator(5);
        var a = torch.randn([4, 3], dtype, generator: generator);
        var b = torch.randn([4, 3], dtype, generator: generator);
        b[1] = a[1];   // coincident samples: |·|' and l1_loss's gradient are both sign(0) = 0 there
        AssertSame(Evaluate((x, y) => (x - y).abs().mean(), a, b), Evaluate(LossOps.L1Loss, a, b), tolerance);
        // Against a scalar tensor (broadcast) and a host number, as the optimiser emits them.
        var m = b.mean();
        AssertSame(Evaluate((x, y) => (x - y).abs().mean(), a, m), Evaluate(LossOps.L1Loss, a, m), tolerance);
        Assert.Equal((a - 0.5).abs().mean().to_type(ScalarType.Float64).item<double>(), LossOps.L1Loss(a, 0.5).to_type(ScalarType.Float64).item<double>(), tolerance);
    }
}
