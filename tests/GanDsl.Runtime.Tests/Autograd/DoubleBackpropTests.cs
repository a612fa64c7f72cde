using System.Text.Json;
using TorchSharp;
using static GanDsl.Runtime.Tests.TorchTestSupport;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GanDsl.Runtime.Tests.Autograd;

/// <summary>
/// Gradient penalties (double backprop through <see cref="LossOps.Grad"/>, the guarded gradient generated
/// code calls) against PyTorch 1.13 on the same weights (tests/reference/torch/make_references.py): the
/// penalty value and every parameter gradient agree to 1e-10 relative in float64.
/// </summary>
public sealed class DoubleBackpropTests
{
    private const double Tolerance = 1e-10;

    public DoubleBackpropTests() => UseTwoThreads();

    /// <summary>E[(‖∇ₓD(x)‖₂ − 1)²] (Gulrajani et al. 2017, eq. 3), as the reference script and generated code compute it.</summary>
    private static Tensor GradientPenalty(Func<Tensor, Tensor> critic, Tensor x)
    {
        var input = LossOps.RequireGrad(x);
        var output = critic(input);
        var g = LossOps.Grad(output, input, "test", "GradientPenalty(x)");
        Assert.True(g.requires_grad, "the gradient must carry a graph (create_graph)");
        return (LossOps.PerSampleNorm(g) - 1.0).square().mean();
    }

    private static Dictionary<string, Tensor> Parameters(JsonElement c)
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var p in c.GetProperty("inputs").EnumerateObject())
            if (p.Name != "x") result[p.Name] = TensorFrom(p.Value).requires_grad_(true);
        return result;
    }

    private static void AssertGradients(JsonElement c, Dictionary<string, Tensor> parameters, string caseName)
    {
        foreach (var expected in c.GetProperty("grads").EnumerateObject())
        {
            var grad = parameters[expected.Name].grad;
            if (expected.Value.ValueKind == JsonValueKind.Null)
            {
                Assert.True(grad is null, $"{caseName}: PyTorch leaves {expected.Name}.grad None, we have a gradient");
                continue;
            }
            Assert.NotNull(grad);
            Assert.Equal(Longs(expected.Value.GetProperty("shape")), grad!.shape);
            AssertAllClose(Doubles(expected.Value.GetProperty("values")), ToDoubles(grad), Tolerance, $"{caseName} grad {expected.Name}");
        }
    }

    [Fact]
    public void Mlp_gradient_penalty_matches_pytorch()
    {
        var c = Reference.GetProperty("mlp_gradient_penalty");
        using var scope = torch.NewDisposeScope();
        var x = TensorFrom(c.GetProperty("inputs").GetProperty("x"));
        var p = Parameters(c);
        Tensor Critic(Tensor input) =>
            F.linear(F.leaky_relu(F.linear(input, p["w1"], p["b1"]), 0.2), p["w2"], p["b2"]);

        var penalty = GradientPenalty(Critic, x);
        penalty.backward();

        AssertClose(c.GetProperty("penalty").GetDouble(), penalty.item<double>(), Tolerance, "mlp penalty");
        AssertGradients(c, p, "mlp");
        Assert.Null(x.grad);   // x itself does not require grad; LossOps.Grad worked on a leaf alias
    }

    [Fact]
    public void Conv_net_gradient_penalty_matches_pytorch()
    {
        var c = Reference.GetProperty("conv_gradient_penalty");
        using var scope = torch.NewDisposeScope();
        var x = TensorFrom(c.GetProperty("inputs").GetProperty("x"));
        var p = Parameters(c);
        var runningMean = torch.zeros([3], ScalarType.Float64);
        var runningVar = torch.ones([3], ScalarType.Float64);
        Tensor Critic(Tensor input)
        {
            var h = F.conv2d(input, p["conv_w"], p["conv_b"], strides: [2, 2], padding: [1, 1]);
            h = F.batch_norm(h, runningMean, runningVar, p["bn_w"], p["bn_b"], training: true, momentum: 0.1, eps: 1e-5).tanh();
            h = F.conv_transpose2d(h, p["deconv_w"], p["deconv_b"], strides: [2, 2], padding: [1, 1]);
            return h.tanh().mean([1L, 2L, 3L]);
        }

        var penalty = GradientPenalty(Critic, x);
        penalty.backward();

        AssertClose(c.GetProperty("penalty").GetDouble(), penalty.item<double>(), Tolerance, "conv penalty");
        AssertGradients(c, p, "conv");
        AssertAllClose(Doubles(c.GetProperty("running_mean")), ToDoubles(runningMean), Tolerance, "running_mean");
        AssertAllClose(Doubles(c.GetProperty("running_var")), ToDoubles(runningVar), Tolerance, "running_var");
    }

    [Fact]
    public void Grad_leaves_no_gradient_behind_on_its_input_and_ignores_an_earlier_one()
    {
        using var scope = torch.NewDisposeScope();
        var x = F64([1.0, 2.0], 2).requires_grad_(true);
        x.grad = F64([100.0, 100.0], 2);   // a stale gradient must not leak into the result
        var y = (x * x * x).sum();
        var g = LossOps.Grad(y, x, "test", "Grad(x^3)");
        Assert.Equal(new[] { 3.0, 12.0 }, ToDoubles(g));
        Assert.Null(x.grad);
        // The graph is retained: the same output can be differentiated again, and the gradient itself too.
        Assert.Equal(new[] { 3.0, 12.0 }, ToDoubles(LossOps.Grad(y, x, "test", "again")));
        Assert.Equal(new[] { 6.0, 12.0 }, ToDoubles(LossOps.Grad(g, x, "test", "second derivative")));
    }
}
