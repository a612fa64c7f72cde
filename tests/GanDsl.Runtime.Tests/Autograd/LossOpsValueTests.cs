using TorchSharp;
using static GanDsl.Runtime.Tests.TorchTestSupport;
using static TorchSharp.torch;

namespace GanDsl.Runtime.Tests.Autograd;

/// <summary>
/// The values of LossOps' composite operations against plain double loops of their definitions (float64, 1e-13):
/// the finite-difference checks prove the gradients agree with the values; these prove the values.
/// </summary>
public sealed class LossOpsValueTests
{
    public LossOpsValueTests() => UseTwoThreads();

    private sealed class FixedRandom(double[] perSample) : IStepRandom
    {
        public Tensor PerSampleUniform(long batch, ScalarType dtype, Device device) => torch.tensor(perSample, [batch], dtype, device);
        public Tensor ElementwiseUniform(long[] shape, ScalarType dtype, Device device) => throw new NotSupportedException();
    }

    private static double[] Draw(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => 2 * rng.NextDouble() - 1).ToArray();
    }

    [Fact]
    public void Between_is_alpha_a_plus_one_minus_alpha_b_per_sample()
    {
        using var scope = torch.NewDisposeScope();
        double[] alpha = [0.1, 0.7];
        var a = Draw(6, 1);
        var b = Draw(6, 2);
        var actual = ToDoubles(LossOps.Between(new FixedRandom(alpha), F64(a, 2, 3), F64(b, 2, 3)));
        for (var i = 0; i < 6; i++)
            Assert.Equal(alpha[i / 3] * a[i] + (1 - alpha[i / 3]) * b[i], actual[i], 1e-15);   // one lerp: b + α(a - b), rounded once less
    }

    [Fact]
    public void Mmd2_is_the_biased_estimate_with_a_sum_of_gaussian_kernels()
    {
        using var scope = torch.NewDisposeScope();
        const int n = 4, m = 3, d = 2;
        var x = Draw(n * d, 3);
        var y = Draw(m * d, 4);
        double[] sigmas = [0.5, 2.0];
        double K(double[] u, int i, double[] v, int j) =>
            sigmas.Sum(s => Math.Exp(-Enumerable.Range(0, d).Sum(k => Math.Pow(u[i * d + k] - v[j * d + k], 2)) / (2 * s * s)));
        double Mean(double[] u, int nu, double[] v, int nv)
        {
            var sum = 0.0;
            for (var i = 0; i < nu; i++) for (var j = 0; j < nv; j++) sum += K(u, i, v, j);
            return sum / (nu * nv);
        }
        var expected = Mean(x, n, x, n) + Mean(y, m, y, m) - 2 * Mean(x, n, y, m);
        var actual = LossOps.Mmd2(F64(x, n, d), F64(y, m, d), sigmas).item<double>();
        AssertClose(expected, actual, 1e-13, "MMD²");
    }

    [Fact]
    public void Fused_losses_and_clamp_equal_their_definitions()
    {
        using var scope = torch.NewDisposeScope();
        var logits = Draw(6, 5).Select(v => 6 * v).ToArray();
        double Bce(double l, double t) => -(t * LossOps.LogSigmoid(l) + (1 - t) * LossOps.LogSigmoid(-l));
        AssertClose(logits.Average(l => Bce(l, 0.3)), LossOps.BinaryCrossEntropyWithLogits(F64(logits, 6), 0.3).item<double>(), 1e-13, "BCE constant");
        var targets = Draw(3, 6).Select(v => 0.5 + 0.4 * v).ToArray();
        AssertClose(logits.Select((l, i) => Bce(l, targets[i % 3])).Average(),
            LossOps.BinaryCrossEntropyWithLogits(F64(logits, 2, 3), F64(targets, 3)).item<double>(), 1e-13, "BCE broadcast target");

        var a = Draw(8, 7);
        var b = Draw(4, 8);
        AssertClose(a.Select((v, i) => Math.Pow(v - b[i % 4], 2)).Average(), LossOps.MseLoss(F64(a, 2, 4), F64(b, 4)).item<double>(), 1e-13, "MSE broadcast");
        AssertClose(a.Average(v => Math.Pow(v - 0.25, 2)), LossOps.MseLoss(F64(a, 8), 0.25).item<double>(), 1e-13, "MSE constant");

        var lo = Draw(8, 9).Select(v => v - 1).ToArray();
        var hi = Draw(8, 10).Select(v => v + 1).ToArray();
        var clamped = ToDoubles(LossOps.Clamp(F64(a.Select(v => 3 * v).ToArray(), 8), F64(lo, 8), F64(hi, 8)));
        for (var i = 0; i < 8; i++) Assert.Equal(Math.Min(Math.Max(3 * a[i], lo[i]), hi[i]), clamped[i]);

        var norms = ToDoubles(LossOps.PerSampleNorm(F64(a, 2, 2, 2)));
        for (var s = 0; s < 2; s++) AssertClose(Math.Sqrt(a.Skip(4 * s).Take(4).Sum(v => v * v)), norms[s], 1e-15, "PerSampleNorm");
    }
}
