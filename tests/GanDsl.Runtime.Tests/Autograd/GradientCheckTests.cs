using TorchSharp;
using static GanDsl.Runtime.Tests.TorchTestSupport;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GanDsl.Runtime.Tests.Autograd;

/// <summary>
/// The DSL's operations as <see cref="LossOps"/> and TorchSharp implement them, checked against central
/// finite differences in float64: L(x) = Σ f(x)·w with fixed random weights w, so the whole Jacobian (not
/// just its column sums) takes part. Inputs stay away from kinks. The second-order cases differentiate
/// the output of <see cref="LossOps.Grad"/> (double backprop), as gradient penalties do.
/// </summary>
public sealed class GradientCheckTests
{
    public GradientCheckTests() => UseTwoThreads();

    /// <summary>How the inputs of a case are drawn.</summary>
    private enum Draw
    {
        Any,          // uniform in [-1, 1]
        Positive,     // uniform in [0.5, 1.5]
        AwayFromZero, // ±[0.2, 1]
        Probability,  // uniform in [0.1, 0.9]
        Wide,         // uniform in [-4, 4]
    }

    private sealed record Case(string Name, long[][] Shapes, Draw[] Draws, Func<Tensor[], Tensor> F);

    private static Case C(string name, long[] shape, Func<Tensor, Tensor> f, Draw draw = Draw.Any) =>
        new(name, [shape], [draw], x => f(x[0]));

    private static Case C2(string name, long[] a, long[] b, Func<Tensor, Tensor, Tensor> f, Draw da = Draw.Any, Draw db = Draw.Any) =>
        new(name, [a, b], [da, db], x => f(x[0], x[1]));

    /// <summary>Fixed interpolation coefficients and noise instead of random draws (what verify-golden injects).</summary>
    private sealed class FixedRandom(double[] perSample) : IStepRandom
    {
        public Tensor PerSampleUniform(long batch, ScalarType dtype, Device device)
        {
            Assert.Equal(perSample.Length, batch);
            return torch.tensor(perSample, [batch], dtype, device);
        }

        public Tensor ElementwiseUniform(long[] shape, ScalarType dtype, Device device) =>
            torch.full(shape, 0.25, dtype, device);
    }

    /// <summary>A small smooth critic D(x) = tanh(x W₁ᵀ + b₁) w₂ᵀ, [B,3] → [B,1], with its weights as extra inputs.</summary>
    private static Tensor Critic(Tensor x, Tensor w1, Tensor b1, Tensor w2) => F.linear(F.linear(x, w1, b1).tanh(), w2);

    private static readonly Case[] Cases =
    [
        // Shape helpers.
        C("score_b1", [4, 1], a => LossOps.Score(a, "D") * 1.0),
        C("score_b", [4], a => LossOps.Score(a, "D") * 1.0),
        C("features_flatten", [3, 2, 2, 2], a => LossOps.Features(a, "D")),
        C2("per_sample_scales_a_batch", [3], [3, 2, 2], (s, v) => LossOps.PerSample(s, v) * v),
        C("mean_per_sample", [3, 2, 4], a => LossOps.MeanPerSample(a)),
        C("batch_mean", [4, 3], a => LossOps.BatchMean(a)),
        C2("batch_mean_broadcast", [4, 3], [4, 3], (a, b) => a - LossOps.BatchMean(b)),
        C("per_sample_norm", [3, 2, 2], a => LossOps.PerSampleNorm(a)),
        C("per_sample_norm_1d", [5], a => LossOps.PerSampleNorm(a), Draw.AwayFromZero),
        C2("between", [3, 2, 2], [3, 2, 2], (a, b) => LossOps.Between(new FixedRandom([0.2, 0.5, 0.9]), a, b)),
        C("constant", [3], a => a * LossOps.Constant(2.5, a)),
        // Fused losses.
        C("bce_with_logits_constant_target", [6], a => LossOps.BinaryCrossEntropyWithLogits(a, 0.3), Draw.Wide),
        C("bce_with_logits_one", [6], a => LossOps.BinaryCrossEntropyWithLogits(a, 1.0), Draw.Wide),
        C2("bce_with_logits_tensor_target", [6], [6], (l, t) => LossOps.BinaryCrossEntropyWithLogits(l, t), Draw.Wide, Draw.Probability),
        C2("bce_with_logits_broadcast_target", [2, 3], [1], (l, t) => LossOps.BinaryCrossEntropyWithLogits(l, t), Draw.Wide, Draw.Probability),
        C("mse_constant", [2, 3], a => LossOps.MseLoss(a, 0.5)),
        C2("mse_tensors", [2, 3], [2, 3], (a, b) => LossOps.MseLoss(a, b)),
        C2("mse_broadcast", [4, 3], [3], (a, b) => LossOps.MseLoss(a, b)),
        C2("mmd2_one_sigma", [4, 3], [5, 3], (a, b) => LossOps.Mmd2(a, b, [1.0])),
        C2("mmd2_several_sigmas", [4, 2, 2], [3, 2, 2], (a, b) => LossOps.Mmd2(a, b, [0.5, 1.0, 2.0])),
        C2("mmd2_1d_samples", [4], [3], (a, b) => LossOps.Mmd2(a, b, [1.0])),
        C2("pairwise_squared_distances", [3, 4], [5, 4], (a, b) => LossOps.PairwiseSquaredDistances(a, b)),
        // Elementwise choices (kinks avoided: distinct random values).
        C2("minimum", [6], [6], (a, b) => LossOps.Minimum(a, b)),
        C2("maximum", [6], [6], (a, b) => LossOps.Maximum(a, b)),
        C2("minimum_broadcast", [2, 3], [3], (a, b) => LossOps.Minimum(a, b)),
        new("clamp", [[8], [8], [8]], [Draw.Wide, Draw.Any, Draw.Any],
            x => LossOps.Clamp(x[0], x[1] - 1.5, x[2] + 1.5)),
        // The activations the DSL's stable forms compile to.
        C("softplus", [6], a => F.softplus(a), Draw.Wide),
        C("softplus_method", [6], a => a.softplus(), Draw.Wide),
        C("logsigmoid", [6], a => F.logsigmoid(a), Draw.Wide),
        C("relu", [6], a => a.relu(), Draw.AwayFromZero),
        C("leaky_relu", [6], a => F.leaky_relu(a, 0.2), Draw.AwayFromZero),
        C("sigmoid_log_exp", [5], a => a.sigmoid().log() + a.exp() + a.abs(), Draw.AwayFromZero),
        // The words of modern objectives (Tanh, Log1p, Expm1, LogSumExp, Softmax, LogSoftmax, batch Max/Min, TopK).
        C("tanh_log1p_expm1", [5], a => a.tanh() + a.log1p() + a.expm1(), Draw.Positive),
        C("logsumexp", [3, 4], a => LossOps.LogSumExp(a), Draw.Wide),
        C("logsumexp_per_sample", [3, 2, 2], a => LossOps.LogSumExpPerSample(a), Draw.Wide),
        C("logsumexp_per_sample_1d", [4], a => LossOps.LogSumExpPerSample(a)),
        C("softmax_per_sample", [3, 4], a => LossOps.Softmax(a), Draw.Wide),
        C("log_softmax_per_sample", [3, 2, 2], a => LossOps.LogSoftmax(a), Draw.Wide),
        C("batch_max_min", [3, 4], a => a.max() - a.min() * 2),
        C("topk_half", [6], a => LossOps.TopK(a, 0.5)),
        C("topk_fraction_rounds_up", [5], a => LossOps.TopK(a, 0.3)),
        // Second derivatives: the gradient LossOps.Grad returns is itself differentiated.
        C("grad_of_smooth_function", [3, 2], a => LossOps.Grad((a.tanh() * a).sum(), a, "check", "Grad(x tanh x)")),
        C("grad_of_softplus_mse", [4], a => LossOps.Grad(LossOps.MseLoss(F.softplus(a), 0.5), a, "check", "Grad(mse)")),
        new("gradient_penalty_wrt_input_and_weights", [[4, 3], [5, 3], [5], [1, 5]], [Draw.Any, Draw.Any, Draw.Any, Draw.Any],
            x =>
            {
                var g = LossOps.Grad(LossOps.Score(Critic(x[0], x[1], x[2], x[3]), "D"), x[0], "check", "GradientPenalty(x)");
                return (LossOps.PerSampleNorm(g) - 1.0).square().mean();
            }),
        new("r1_penalty_at_interpolates", [[3, 3], [3, 3], [5, 3], [5], [1, 5]], [Draw.Any, Draw.Any, Draw.Any, Draw.Any, Draw.Any],
            x =>
            {
                var xHat = LossOps.RequireGrad(LossOps.Between(new FixedRandom([0.3, 0.6, 0.8]), x[0], x[1]));
                var g = LossOps.Grad(Critic(xHat, x[2], x[3], x[4]), xHat, "check", "R1(Between(x, y))");
                return LossOps.PerSampleNorm(g).square();
            }),
    ];

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases) data.Add(c.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Gradient_matches_central_differences(string name)
    {
        var c = Cases.Single(k => k.Name == name);
        var rng = new Random(name.Aggregate(17, (h, ch) => h * 31 + ch));
        var inputs = c.Shapes.Select((s, i) => DrawValues(rng, s, c.Draws[i])).ToArray();

        using var scope = torch.NewDisposeScope();
        // The projection weights, one per output element, fixed for the case.
        var probe = c.F(inputs.Select((v, i) => F64(v, c.Shapes[i]).requires_grad_(true)).ToArray());
        Assert.True(probe.requires_grad, $"{name}: the output does not depend on the inputs");
        var weights = F64(DrawValues(rng, probe.shape, Draw.Any), probe.shape);

        // Every input requires grad also in the finite-difference evaluations: the second-order cases take a
        // gradient with respect to one of them inside f.
        double Objective(double[][] values, bool withGrad, out double[][] grads)
        {
            using var inner = torch.NewDisposeScope();
            var xs = values.Select((v, i) => F64(v, c.Shapes[i]).requires_grad_(true)).ToArray();
            var loss = (c.F(xs) * weights).sum();
            if (withGrad)
            {
                loss.backward();
                grads = xs.Select((x, i) => x.grad is { } g ? ToDoubles(g) : new double[values[i].Length]).ToArray();
            }
            else
            {
                grads = [];
            }
            return loss.item<double>();
        }

        Objective(inputs, withGrad: true, out var analytic);
        const double h = 1e-6;
        for (var k = 0; k < inputs.Length; k++)
        {
            for (var i = 0; i < inputs[k].Length; i++)
            {
                var saved = inputs[k][i];
                inputs[k][i] = saved + h;
                var up = Objective(inputs, false, out _);
                inputs[k][i] = saved - h;
                var down = Objective(inputs, false, out _);
                inputs[k][i] = saved;
                var numeric = (up - down) / (2 * h);
                Assert.True(Math.Abs(numeric - analytic[k][i]) <= 1e-6 + 1e-5 * Math.Abs(numeric),
                    $"{name}: d/d input{k}[{i}]: autograd {analytic[k][i]:R}, finite differences {numeric:R}");
            }
        }
    }

    [Fact]
    public void Every_case_has_a_distinct_name() =>
        Assert.Equal(Cases.Length, Cases.Select(c => c.Name).Distinct().Count());

    [Fact]
    public void Step_and_population_std_are_constants_with_the_right_values()
    {
        using var scope = torch.NewDisposeScope();
        var x = F64([-1.0, 0.0, 2.0, 3.0], 4).requires_grad_(true);
        var step = LossOps.Step(x);
        Assert.False(step.requires_grad);
        Assert.Equal(ScalarType.Float64, step.dtype);
        Assert.Equal(new[] { 0.0, 0.0, 1.0, 1.0 }, ToDoubles(step));
        var std = LossOps.PopulationStd(x);
        Assert.False(std.requires_grad);
        var mean = 1.0;
        var expected = Math.Sqrt(new[] { -1.0, 0.0, 2.0, 3.0 }.Select(v => (v - mean) * (v - mean)).Sum() / 4);
        Assert.Equal(expected, std.item<double>(), 14);
    }

    [Fact]
    public void New_words_have_their_definitions_and_stay_finite_in_float32()
    {
        using var scope = torch.NewDisposeScope();
        // Host helpers: accurate near 0, where log(1 + t) and exp(t) - 1 lose every digit.
        Assert.Equal(1e-20, LossOps.Log1p(1e-20));
        Assert.Equal(1e-20, LossOps.Expm1(1e-20));
        Assert.Equal(Math.Log(2), LossOps.Log1p(1), 15);
        Assert.Equal(Math.E - 1, LossOps.Expm1(1), 15);
        Assert.Equal(double.PositiveInfinity, LossOps.Log1p(double.PositiveInfinity));
        Assert.Equal(-1.0, LossOps.Expm1(double.NegativeInfinity));
        Assert.Equal(double.PositiveInfinity, LossOps.Expm1(1000));
        // TopK: the ceil(f·B) largest, largest first.
        Assert.Equal(new[] { 5.0, 4.0 }, ToDoubles(LossOps.TopK(F64([1.0, 5.0, 2.0, 4.0, 3.0], 5), 0.3)));
        Assert.Equal(new[] { 5.0 }, ToDoubles(LossOps.TopK(F64([1.0, 5.0, 2.0], 3), 1e-9)));
        Assert.Contains("[3, 2]", Assert.Throws<ArgumentException>(() => LossOps.TopK(torch.zeros(3, 2), 0.5)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => LossOps.TopK(torch.zeros(3), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LossOps.TopK(torch.zeros(3), double.NaN));
        // Stable forms in float32, where exp overflows above 88 and underflows below -88.
        var big = torch.tensor(new float[] { 1000, 0, -1000, 999 });
        Assert.Equal(1000 + Math.Log(1 + Math.Exp(-1)), LossOps.LogSumExp(big).item<float>(), 3);
        Assert.Equal(-1000 + Math.Log(1 + Math.Exp(-1)), LossOps.LogSumExp(torch.tensor(new float[] { -1000, -1001 })).item<float>(), 3);
        var logSoftmax = ToDoubles(LossOps.LogSoftmax(big.reshape(2, 2)));
        Assert.Equal(new[] { 0.0, -1000, -1999, 0 }, logSoftmax.Select(v => Math.Round(v)).ToArray());
        var softmax = ToDoubles(LossOps.Softmax(big.reshape(2, 2)));
        Assert.All(softmax, v => Assert.True(double.IsFinite(v)));
        Assert.Equal(new long[] { 2, 1, 2 }, LossOps.Softmax(torch.zeros(2, 1, 2)).shape);
        Assert.Equal(new[] { 0.5, 0.5 }, ToDoubles(LossOps.Softmax(F64([3.0, 3.0], 1, 2))));
    }

    [Fact]
    public void Shape_helpers_reject_what_the_dsl_does_not_allow()
    {
        using var scope = torch.NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => LossOps.Score(torch.zeros(4, 2), "D"));
        Assert.Contains("'D'", e.Message);
        Assert.Contains("[4, 2]", e.Message);
        Assert.Contains("[B,F]", Assert.Throws<ArgumentException>(() => LossOps.Features(torch.zeros(4), "E")).Message);
        Assert.Throws<ArgumentException>(() => LossOps.Mmd2(torch.zeros(2, 2), torch.zeros(2, 2), []));
        Assert.Throws<ArgumentException>(() => LossOps.Mmd2(torch.zeros(2, 2), torch.zeros(2, 2), [0.0]));
        Assert.Equal(new long[] { 3, 1, 1 }, LossOps.PerSample(torch.zeros(3), torch.zeros(3, 2, 2)).shape);
        Assert.Equal(new long[] { 1, 3 }, LossOps.BatchMean(torch.zeros(4, 3)).shape);
    }

    [Fact]
    public void Host_helpers_are_stable_for_large_arguments()
    {
        Assert.Equal(1000.0, LossOps.Softplus(1000), 12);
        Assert.Equal(Math.Log(2), LossOps.Softplus(0), 15);
        Assert.Equal(Math.Exp(-1000), LossOps.Softplus(-1000));
        Assert.Equal(-1000.0, LossOps.LogSigmoid(-1000), 12);
        Assert.Equal(0.0, LossOps.Sigmoid(-1000));
        Assert.Equal(1.0, LossOps.Sigmoid(1000));
        Assert.Equal(0.5, LossOps.Sigmoid(0));
        Assert.Equal(0.0, LossOps.Relu(-2));
        Assert.Equal(2.0, LossOps.Relu(2));
    }

    private static double[] DrawValues(Random rng, long[] shape, Draw draw)
    {
        var n = shape.Aggregate(1L, (a, b) => a * b);
        var v = new double[n];
        for (var i = 0; i < n; i++)
        {
            var u = rng.NextDouble();
            v[i] = draw switch
            {
                Draw.Positive => 0.5 + u,
                Draw.AwayFromZero => (rng.Next(2) == 0 ? -1 : 1) * (0.2 + 0.8 * u),
                Draw.Probability => 0.1 + 0.8 * u,
                Draw.Wide => 8 * u - 4,
                _ => 2 * u - 1,
            };
        }
        return v;
    }
}
