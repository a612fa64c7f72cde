using GanDsl.Nn;
using TorchSharp;
using static GanDsl.Runtime.Tests.Nn.NnReference;
using static TorchSharp.torch;

namespace GanDsl.Runtime.Tests.Nn;

/// <summary>
/// Our SpectralNorm module against torch.nn.utils.spectral_norm: names (weight_orig, weight_u, weight_v in
/// PyTorch's order), outputs and the power-iteration vectors after 1 and 3 training forwards, the gradient
/// with respect to weight_orig, and an evaluation forward that leaves u and v alone.
/// </summary>
public sealed class SpectralNormTests
{
    public SpectralNormTests() => TorchTestSupport.UseTwoThreads();

    public static IEnumerable<object[]> Cases() => CaseNames("spectral");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Spectral_norm_equals_pytorch(string name)
    {
        var c = Section("spectral").GetProperty(name);
        var dtype = DTypeOf(c);
        // float32: libtorch 2.10's kernels sum in another order than PyTorch 1.13's, and W/σ̂ compounds it (measured up to
        // ~1.2e-6 relative); 1e-5 is ~100 float32 ulps. The float64 cases carry the exact check at 1e-12.
        var tol = dtype == ScalarType.Float64 ? 1e-12 : 1e-5;
        using var scope = torch.NewDisposeScope();
        using var layer = ReferenceModels.ForSpectral(name, dtype);
        LoadState(layer, c);   // also checks the names: bias, weight_orig; weight_u, weight_v
        var x = TensorFrom(c.GetProperty("input"));
        var train = c.GetProperty("train").EnumerateArray().ToList();
        Tensor? last = null;
        for (var k = 1; k <= 3; k++)
        {
            last = layer.forward(x);
            foreach (var expected in train.Where(e => e.GetProperty("after_forwards").GetInt32() == k))
            {
                AssertMatches(expected.GetProperty("output"), last, tol, $"{name} output after {k}");
                AssertMatches(expected.GetProperty("weight_u"), Buffer(layer, "weight_u"), tol, $"{name} u after {k}");
                AssertMatches(expected.GetProperty("weight_v"), Buffer(layer, "weight_v"), tol, $"{name} v after {k}");
            }
        }
        var r = TensorFrom(c.GetProperty("grad_weights"));
        (last! * r).sum().backward();
        var grad = layer.WeightOrig.grad;
        Assert.NotNull(grad);
        AssertMatches(c.GetProperty("grad_weight_orig"), grad!, tol, $"{name} d/d weight_orig");

        layer.eval();
        using (torch.no_grad())
            AssertMatches(c.GetProperty("eval_output"), layer.forward(x), tol, $"{name} eval output");
        AssertMatches(c.GetProperty("eval_weight_u"), Buffer(layer, "weight_u"), tol, $"{name} u after eval");
        AssertMatches(c.GetProperty("eval_weight_v"), Buffer(layer, "weight_v"), tol, $"{name} v after eval");
    }

    [Fact]
    public void Names_inside_a_sequential_are_pytorchs_state_dict_names()
    {
        using var model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), new SpectralNorm(nn.Linear(3, 1)), nn.BatchNorm1d(1));
        Assert.Equal(["0.weight", "0.bias", "2.bias", "2.weight_orig", "3.weight", "3.bias"], Parameters(model).Select(p => p.Name));
        Assert.Equal(["2.weight_u", "2.weight_v", "3.running_mean", "3.running_var", "3.num_batches_tracked"], Buffers(model).Select(b => b.Name));
        Assert.Equal(6, model.parameters().Count());
    }

    [Fact]
    public void Two_training_forwards_then_one_backward_works()
    {
        // A GAN loss evaluates D on real and fake data before one backward; the second forward's
        // power iteration updates u and v in place, which must not invalidate the first graph.
        using var scope = torch.NewDisposeScope();
        using var d = nn.Sequential(new SpectralNorm(nn.Linear(4, 8)), nn.LeakyReLU(0.2), new SpectralNorm(nn.Linear(8, 1)));
        var inputs = new Generator(4);
        var a = d.forward(torch.randn([3, 4], generator: inputs));
        var b = d.forward(torch.randn([3, 4], generator: inputs));
        (a.mean() - b.mean()).backward();
        foreach (var (pname, p) in d.named_parameters())
            Assert.True(p.grad is not null, $"{pname} has no gradient");
    }

    [Fact]
    public void Normalised_weight_has_spectral_norm_one_after_power_iterations()
    {
        // A weight with known singular values (3, 1, 0.5, 0.2, 0.1): W = [diag | 0], 5 × 6. Power iteration
        // converges like (σ₂/σ₁)² = 1/9 per step, so 50 iterations reach σ̂ = 3 to machine precision from any
        // start u, and W/σ̂ has top singular value exactly W[0,0]/σ̂ = 1 (a random W could have σ₂ ≈ σ₁ and
        // converge arbitrarily slowly).
        using var scope = torch.NewDisposeScope();
        using var layer = new SpectralNorm(nn.Linear(6, 5, dtype: ScalarType.Float64), powerIterations: 50);
        double[] singular = [3, 1, 0.5, 0.2, 0.1];
        var data = new double[5 * 6];
        for (var i = 0; i < 5; i++) data[i * 6 + i] = singular[i];
        using (torch.no_grad()) layer.WeightOrig.copy_(torch.tensor(data, [5, 6], ScalarType.Float64));

        var w = Values(layer.NormalizedWeight(powerIteration: true));

        for (var i = 0; i < 5; i++)
            for (var j = 0; j < 6; j++)
                Assert.Equal(i == j ? singular[i] / 3 : 0, w[i * 6 + j], 12);
    }

    [Fact]
    public void Eval_mode_uses_the_stored_vectors_and_does_not_update_them()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(5);
        using var layer = new SpectralNorm(nn.Conv2d(2, 3, 3, dtype: ScalarType.Float64));
        var x = torch.randn([2, 2, 5, 5], ScalarType.Float64, generator: new Generator(3));
        layer.forward(x);   // training mode: one power-iteration step
        var u = Values(Buffer(layer, "weight_u"));
        var v = Values(Buffer(layer, "weight_v"));
        layer.eval();
        var y1 = Values(layer.forward(x));
        var y2 = Values(layer.forward(x));
        Assert.Equal(u, Values(Buffer(layer, "weight_u")));
        Assert.Equal(v, Values(Buffer(layer, "weight_v")));
        Assert.Equal(y1, y2);
        // The output is the convolution with W / (uᵀ W v) for the stored u, v.
        var w = layer.WeightOrig.detach();
        var sigma = Buffer(layer, "weight_u").matmul(w.reshape(3, -1).matmul(Buffer(layer, "weight_v")));
        var expected = Values(nn.functional.conv2d(x, w / sigma, layer.parameters().First()));
        NnReference.AssertClose(expected, y1, 1e-13, "eval output");
        layer.train();
        layer.forward(x);
        Assert.NotEqual(u, Values(Buffer(layer, "weight_u")));
    }

    [Fact]
    public void Converting_to_float64_keeps_values_names_and_a_working_forward()
    {
        using var scope = torch.NewDisposeScope();
        using var model = nn.Sequential(new SpectralNorm(nn.Linear(3, 4)), nn.ReLU(), new SpectralNorm(nn.Linear(4, 1)));
        var before = Snapshot(model);
        model.to(ScalarType.Float64);
        Assert.Equal(["0.bias", "0.weight_orig", "2.bias", "2.weight_orig"], Parameters(model).Select(p => p.Name));
        Assert.Equal(["0.weight_u", "0.weight_v", "2.weight_u", "2.weight_v"], Buffers(model).Select(b => b.Name));
        Assert.All(Parameters(model).Concat(Buffers(model)), t => Assert.Equal(ScalarType.Float64, t.Tensor.dtype));
        AssertSameState(before, model);
        var y = model.forward(torch.ones([2, 3], ScalarType.Float64));
        Assert.Equal(ScalarType.Float64, y.dtype);
        y.sum().backward();
        Assert.All(model.parameters(), p => Assert.NotNull(p.grad));
    }

    [Fact]
    public void Only_weighted_layers_can_be_wrapped()
    {
        var e = Assert.Throws<ArgumentException>(() => new SpectralNorm(nn.ReLU()));
        Assert.Contains("ReLU", e.Message);
    }
}
