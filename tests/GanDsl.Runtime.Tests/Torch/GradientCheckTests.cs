using GanDsl.Torch;
using T = GanDsl.Torch.Torch;

namespace GanDsl.Runtime.Tests.Torch;

/// <summary>
/// Every differentiable operation of the Tensor contract, checked against central finite
/// differences in float64: L(x) = Σ f(x)·w with fixed random weights w, so the whole
/// Jacobian (not just its column sums) takes part. Inputs stay away from kinks.
/// </summary>
public sealed class GradientCheckTests
{
    public GradientCheckTests() => TorchTestSupport.UseTwoThreads();

    /// <summary>How the inputs of a case are drawn.</summary>
    private enum Draw
    {
        Any,       // uniform in [-1, 1]
        Positive,  // uniform in [0.5, 1.5]
        AwayFromZero, // ±[0.2, 1]
        Probability, // uniform in [0.1, 0.9]
    }

    private sealed record Case(string Name, long[][] Shapes, Draw[] Draws, Func<Tensor[], Tensor> F);

    private static Case C(string name, long[] shape, Func<Tensor, Tensor> f, Draw draw = Draw.Any) =>
        new(name, [shape], [draw], x => f(x[0]));

    private static Case C2(string name, long[] a, long[] b, Func<Tensor, Tensor, Tensor> f, Draw da = Draw.Any, Draw db = Draw.Any) =>
        new(name, [a, b], [da, db], x => f(x[0], x[1]));

    private static readonly Case[] Cases =
    [
        C2("add", [2, 3], [3], (a, b) => a + b),
        C2("add_alpha", [2, 3], [2, 3], (a, b) => a.Add(b, 0.7)),
        C2("sub", [2, 3], [2, 1], (a, b) => a - b),
        C2("sub_alpha", [2, 3], [2, 3], (a, b) => a.Sub(b, 1.3)),
        C2("mul", [2, 3], [2, 3], (a, b) => a * b),
        C2("div", [2, 3], [2, 3], (a, b) => a / b, db: Draw.Positive),
        C("scalar_ops", [2, 3], a => (2.0 - a) * 3.0 + (1.5 / a) - a / 4.0 + (a + 1.0), Draw.Positive),
        C("neg", [4], a => -a),
        C("exp", [4], a => a.Exp()),
        C("log", [4], a => a.Log(), Draw.Positive),
        C("sqrt", [4], a => a.Sqrt(), Draw.Positive),
        C("abs", [5], a => a.Abs(), Draw.AwayFromZero),
        C("square", [4], a => a.Square()),
        C("pow_scalar", [4], a => a.Pow(2.5), Draw.Positive),
        C2("pow_tensor", [4], [4], (a, b) => a.Pow(b), Draw.Positive),
        C("clamp", [6], a => a.Clamp(-0.5, 0.5), Draw.AwayFromZero),
        C("clamp_min_only", [6], a => a.Clamp(min: 0.5), Draw.AwayFromZero),
        C("sigmoid", [5], a => a.Sigmoid()),
        C("log_sigmoid", [5], a => a.LogSigmoid()),
        C("softplus", [5], a => a.Softplus()),
        C("relu", [6], a => a.Relu(), Draw.AwayFromZero),
        C("leaky_relu", [6], a => a.LeakyRelu(0.2), Draw.AwayFromZero),
        C("tanh", [5], a => a.Tanh()),
        C("sum", [2, 3], a => a.Sum()),
        C("sum_dims", [2, 3, 2], a => a.Sum([0, 2], keepDim: true)),
        C("mean", [2, 3], a => a.Mean()),
        C("mean_dims", [2, 3], a => a.Mean([1])),
        C("std", [6], a => a.Std()),
        C("std_biased_dims", [3, 4], a => a.Std([1], unbiased: false, keepDim: false)),
        C("max", [6], a => a.Max()),
        C("min", [6], a => a.Min()),
        C("max_dim", [3, 4], a => a.Max(1).Values),
        C("min_dim", [3, 4], a => a.Min(0, keepDim: true).Values),
        C2("matmul", [2, 3], [3, 4], (a, b) => a.Matmul(b)),
        C("t", [2, 3], a => a.T() * T.Arange(0, 2, 1, DType.Float64)),
        C("transpose", [2, 3, 2], a => a.Transpose(0, 2)),
        C("reshape", [2, 3], a => a.Reshape(3, -1)),
        C("view", [2, 3], a => a.View(6)),
        C("flatten", [2, 2, 2], a => a.Flatten(1)),
        C("slice", [4, 3], a => a.Slice(0, 1, 4, 2)),
        C("select", [4, 3], a => a.Select(1, 2)),
        C("narrow", [4, 3], a => a.Narrow(0, 1, 2)),
        C("unsqueeze_squeeze", [3], a => a.Unsqueeze(0).Squeeze(0) * a.Unsqueeze(1).Squeeze()),
        C("norm", [2, 3], a => a.Norm()),
        C("norm_p3", [2, 3], a => a.Norm(3), Draw.AwayFromZero),
        C("vector_norm", [2, 3], a => a.VectorNorm(2, [1], keepDim: true)),
        C("per_sample_norm", [3, 2, 2], a => a.PerSampleNorm()),
        C2("cat", [2, 3], [1, 3], (a, b) => T.Cat([a, b], 0)),
        C2("stack", [2, 3], [2, 3], (a, b) => T.Stack([a, b], 1)),
        C2("where", [2, 3], [2, 3], (a, b) => T.Where(T.FromArray(new[] { true, false, true, false, false, true }, [2, 3]), a, b)),
        C2("minimum", [6], [6], (a, b) => T.Minimum(a, b)),
        C2("maximum", [6], [6], (a, b) => T.Maximum(a, b)),
        C("clone_contiguous", [2, 3], a => a.T().Contiguous().Clone()),
        C2("bce_with_logits", [6], [6], (l, t) => T.BinaryCrossEntropyWithLogits(l, t), db: Draw.Probability),
        C2("bce_with_logits_sum", [2, 3], [2, 3], (l, t) => T.BinaryCrossEntropyWithLogits(l, t, Reduction.Sum), db: Draw.Probability),
        C2("bce_with_logits_none", [2, 3], [2, 3], (l, t) => T.BinaryCrossEntropyWithLogits(l, t, Reduction.None), db: Draw.Probability),
        C2("mse_loss", [2, 3], [2, 3], (a, b) => T.MseLoss(a, b)),
        C2("pairwise_squared_distances", [3, 4], [5, 4], (a, b) => T.PairwiseSquaredDistances(a, b)),
        new("linear", [[4, 3], [2, 3], [2]], [Draw.Any, Draw.Any, Draw.Any],
            x => T.Functional.Linear(x[0], x[1], x[2])),
        new("conv2d", [[2, 2, 5, 5], [3, 2, 3, 3], [3]], [Draw.Any, Draw.Any, Draw.Any],
            x => T.Functional.Conv2d(x[0], x[1], x[2], stride: 2, padding: 1)),
        new("conv_transpose2d", [[2, 3, 3, 3], [3, 2, 4, 4], [2]], [Draw.Any, Draw.Any, Draw.Any],
            x => T.Functional.ConvTranspose2d(x[0], x[1], x[2], stride: 2, padding: 1, outputPadding: 1)),
        new("batch_norm_training", [[4, 3, 2, 2], [3], [3]], [Draw.Any, Draw.Positive, Draw.Any],
            x => T.Functional.BatchNorm(x[0], null, null, x[1], x[2], training: true)),
        new("batch_norm_eval", [[4, 3], [3], [3]], [Draw.Any, Draw.Positive, Draw.Any],
            x => T.Functional.BatchNorm(x[0], T.FromArray(new[] { 0.1, -0.2, 0.3 }, [3]), T.FromArray(new[] { 0.5, 1.5, 2.0 }, [3]),
                x[1], x[2], training: false)),
        new("layer_norm", [[3, 2, 4], [2, 4], [2, 4]], [Draw.Any, Draw.Positive, Draw.Any],
            x => T.Functional.LayerNorm(x[0], [2, 4], x[1], x[2])),
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

        using var scope = T.NewScope();
        // The projection weights, one per output element, fixed for the case.
        var probe = c.F(inputs.Select((v, i) => T.FromArray(v, c.Shapes[i])).ToArray());
        var weights = T.FromArray(DrawValues(rng, probe.Shape, Draw.Any), probe.Shape);

        double Objective(double[][] values, bool withGrad, out Tensor?[] grads)
        {
            using var inner = T.NewScope();
            var xs = values.Select((v, i) => T.FromArray(v, c.Shapes[i]).RequiresGrad_(withGrad)).ToArray();
            var loss = (c.F(xs) * weights).Sum();
            grads = withGrad
                ? T.Grad([loss], xs, null, allowUnused: true).Select(g => g?.DetachFromScope()).ToArray()
                : [];
            return loss.Item();
        }

        Objective(inputs, withGrad: true, out var analytic);
        const double h = 1e-6;
        for (var k = 0; k < inputs.Length; k++)
        {
            var expected = analytic[k] is { } g ? g.ToArray<double>() : new double[inputs[k].Length];
            analytic[k]?.Dispose();
            for (var i = 0; i < inputs[k].Length; i++)
            {
                var saved = inputs[k][i];
                inputs[k][i] = saved + h;
                var up = Objective(inputs, false, out _);
                inputs[k][i] = saved - h;
                var down = Objective(inputs, false, out _);
                inputs[k][i] = saved;
                var numeric = (up - down) / (2 * h);
                Assert.True(Math.Abs(numeric - expected[i]) <= 1e-6 + 1e-5 * Math.Abs(numeric),
                    $"{name}: d/d input{k}[{i}]: autograd {expected[i]:R}, finite differences {numeric:R}");
            }
        }
    }

    [Fact]
    public void Every_case_has_a_distinct_name() =>
        Assert.Equal(Cases.Length, Cases.Select(c => c.Name).Distinct().Count());

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
                _ => 2 * u - 1,
            };
        }
        return v;
    }
}
