using System.Text.Json;
using GanDsl.Torch;
using static GanDsl.Runtime.Tests.Torch.TorchTestSupport;
using T = GanDsl.Torch.Torch;

namespace GanDsl.Runtime.Tests.Torch;

/// <summary>
/// Gradient penalties (double backprop through Torch.Grad with createGraph) against PyTorch
/// 1.13.1 on the same weights (tests/reference/torch/make_references.py): the penalty value
/// and every parameter gradient agree to 1e-10 relative in float64.
/// </summary>
public sealed class DoubleBackpropTests
{
    private const double Tolerance = 1e-10;

    public DoubleBackpropTests() => UseTwoThreads();

    /// <summary>E[(‖∇ₓD(x)‖₂ − 1)²] (Gulrajani et al. 2017, eq. 3), as the reference script computes it.</summary>
    private static Tensor GradientPenalty(Func<Tensor, Tensor> critic, Tensor x)
    {
        var input = x.Clone().RequiresGrad_(true);
        var output = critic(input);
        var g = T.Grad(output.Sum(), input, createGraph: true);
        return (g.PerSampleNorm() - 1.0).Square().Mean();
    }

    private static Dictionary<string, Tensor> Parameters(JsonElement c)
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var p in c.GetProperty("inputs").EnumerateObject())
            if (p.Name != "x") result[p.Name] = TensorFrom(p.Value).RequiresGrad_(true);
        return result;
    }

    private static void AssertGradients(JsonElement c, Dictionary<string, Tensor> parameters, string caseName)
    {
        foreach (var expected in c.GetProperty("grads").EnumerateObject())
        {
            using var grad = parameters[expected.Name].Grad;
            if (expected.Value.ValueKind == JsonValueKind.Null)
            {
                Assert.True(grad is null, $"{caseName}: PyTorch leaves {expected.Name}.grad None, we have a gradient");
                continue;
            }
            Assert.NotNull(grad);
            Assert.Equal(Longs(expected.Value.GetProperty("shape")), grad!.Shape);
            AssertAllClose(Doubles(expected.Value.GetProperty("values")), grad.ToArray<double>(), Tolerance, $"{caseName} grad {expected.Name}");
        }
    }

    [Fact]
    public void Mlp_gradient_penalty_matches_pytorch()
    {
        var c = Reference.GetProperty("mlp_gradient_penalty");
        using var scope = T.NewScope();
        var x = TensorFrom(c.GetProperty("inputs").GetProperty("x"));
        var p = Parameters(c);
        Tensor Critic(Tensor input) =>
            T.Functional.Linear(T.Functional.Linear(input, p["w1"], p["b1"]).LeakyRelu(0.2), p["w2"], p["b2"]);

        var penalty = GradientPenalty(Critic, x);
        penalty.Backward();

        AssertClose(c.GetProperty("penalty").GetDouble(), penalty.Item(), Tolerance, "mlp penalty");
        AssertGradients(c, p, "mlp");
    }

    [Fact]
    public void Conv_net_gradient_penalty_matches_pytorch()
    {
        var c = Reference.GetProperty("conv_gradient_penalty");
        using var scope = T.NewScope();
        var x = TensorFrom(c.GetProperty("inputs").GetProperty("x"));
        var p = Parameters(c);
        var runningMean = T.Zeros([3], DType.Float64);
        var runningVar = T.Ones([3], DType.Float64);
        Tensor Critic(Tensor input)
        {
            var h = T.Functional.Conv2d(input, p["conv_w"], p["conv_b"], stride: 2, padding: 1);
            h = T.Functional.BatchNorm(h, runningMean, runningVar, p["bn_w"], p["bn_b"], training: true, momentum: 0.1, eps: 1e-5).Tanh();
            h = T.Functional.ConvTranspose2d(h, p["deconv_w"], p["deconv_b"], stride: 2, padding: 1);
            return h.Tanh().Mean([1, 2, 3]);
        }

        var penalty = GradientPenalty(Critic, x);
        penalty.Backward();

        AssertClose(c.GetProperty("penalty").GetDouble(), penalty.Item(), Tolerance, "conv penalty");
        AssertGradients(c, p, "conv");
        AssertAllClose(Doubles(c.GetProperty("running_mean")), runningMean.ToArray<double>(), Tolerance, "running_mean");
        AssertAllClose(Doubles(c.GetProperty("running_var")), runningVar.ToArray<double>(), Tolerance, "running_var");
    }

    [Fact]
    public void Grad_without_create_graph_frees_the_graph_by_default()
    {
        using var scope = T.NewScope();
        var x = T.FromArray(new[] { 1.0, 2.0 }, [2]).RequiresGrad_(true);
        var y = (x * x).Sum();
        var g = T.Grad(y, x);
        Assert.Equal(new[] { 2.0, 4.0 }, g.ToArray<double>());
        Assert.False(g.RequiresGrad);
        // retainGraph defaults to createGraph (false): a second pass over the freed graph fails, as in PyTorch.
        var ex = Assert.Throws<TorchException>(() => T.Grad(y, x));
        Assert.StartsWith("grad: ", ex.Message);

        var y2 = (x * x * x).Sum();
        var g2 = T.Grad(y2, x, createGraph: true);
        Assert.True(g2.RequiresGrad);
        var again = T.Grad(y2, x); // retained because createGraph was true
        Assert.Equal(new[] { 3.0, 12.0 }, again.ToArray<double>());
    }
}
