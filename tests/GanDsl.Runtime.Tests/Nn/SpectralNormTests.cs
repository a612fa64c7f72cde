using GanDsl.Nn;
using GanDsl.Torch;
using static GanDsl.Runtime.Tests.Nn.NnReference;
using T = GanDsl.Torch.Torch;

namespace GanDsl.Runtime.Tests.Nn;

/// <summary>
/// Spectral normalisation against torch.nn.utils.spectral_norm: outputs and the power-iteration
/// vectors after 1 and 3 training forwards, the gradient with respect to weight_orig, and an
/// evaluation forward that leaves u and v alone.
/// </summary>
public sealed class SpectralNormTests
{
    public SpectralNormTests() => T.SetNumThreads(2);

    public static IEnumerable<object[]> Cases() => CaseNames("spectral");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Spectral_norm_equals_pytorch(string name)
    {
        var c = Section("spectral").GetProperty(name);
        var dtype = DTypeOf(c);
        var tol = dtype == DType.Float64 ? 1e-12 : 1e-6;
        using var scope = T.NewScope();
        using var layer = ReferenceModels.ForSpectral(name);
        layer.ToDType(dtype);
        LoadState(layer, c);
        var x = TensorFrom(c.GetProperty("input"));
        var train = c.GetProperty("train").EnumerateArray().ToList();
        Tensor? last = null;
        for (var k = 1; k <= 3; k++)
        {
            last = layer.Forward(x);
            foreach (var expected in train.Where(e => e.GetProperty("after_forwards").GetInt32() == k))
            {
                AssertMatches(expected.GetProperty("output"), last, tol, $"{name} output after {k}");
                AssertMatches(expected.GetProperty("weight_u"), Buffer(layer, "weight_u"), tol, $"{name} u after {k}");
                AssertMatches(expected.GetProperty("weight_v"), Buffer(layer, "weight_v"), tol, $"{name} v after {k}");
            }
        }
        var r = TensorFrom(c.GetProperty("grad_weights"));
        (last! * r).Sum().Backward();
        var grad = layer.WeightOrig.Grad;
        Assert.NotNull(grad);
        AssertMatches(c.GetProperty("grad_weight_orig"), grad!, tol, $"{name} d/d weight_orig");

        layer.Eval();
        using (T.NoGrad())
            AssertMatches(c.GetProperty("eval_output"), layer.Forward(x), tol, $"{name} eval output");
        AssertMatches(c.GetProperty("eval_weight_u"), Buffer(layer, "weight_u"), tol, $"{name} u after eval");
        AssertMatches(c.GetProperty("eval_weight_v"), Buffer(layer, "weight_v"), tol, $"{name} v after eval");
    }

    [Fact]
    public void Two_training_forwards_then_one_backward_works()
    {
        // A GAN loss evaluates D on real and fake data before one backward; the second forward's
        // power iteration updates u and v in place, which must not invalidate the first graph.
        using var scope = T.NewScope();
        using var d = new Sequential(new SpectralNorm(new Linear(4, 8)), new LeakyReLU(0.2), new SpectralNorm(new Linear(8, 1)));
        using var inputs = new Generator(4);
        var a = d.Forward(T.Randn([3, 4], gen: inputs));
        var b = d.Forward(T.Randn([3, 4], gen: inputs));
        (a.Mean() - b.Mean()).Backward();
        foreach (var (pname, p) in d.NamedParameters())
            Assert.True(p.Grad is not null, $"{pname} has no gradient");
    }

    [Fact]
    public void Normalised_weight_has_spectral_norm_one_after_power_iterations()
    {
        // A weight with known singular values (3, 1, 0.5, 0.2, 0.1): W = [diag | 0], 5 × 6. Power iteration
        // converges like (σ₂/σ₁)² = 1/9 per step, so 50 iterations reach σ̂ = 3 to machine precision from any
        // start u, and W/σ̂ has top singular value exactly W[0,0]/σ̂ = 1 (a random W could have σ₂ ≈ σ₁ and
        // converge arbitrarily slowly, which made an earlier version of this test flaky).
        using var scope = T.NewScope();
        using var layer = new SpectralNorm(new Linear(6, 5), powerIterations: 50);
        layer.ToDType(DType.Float64);
        double[] singular = [3, 1, 0.5, 0.2, 0.1];
        var data = new double[5 * 6];
        for (var i = 0; i < 5; i++) data[i * 6 + i] = singular[i];
        var weightOrig = layer.NamedParameters().Single(p => p.Name == "weight_orig").Parameter;
        using (T.NoGrad()) weightOrig.CopyFrom_(T.FromArray(data, [5, 6]));

        var w = layer.NormalizedWeight(powerIteration: true).ToArray<double>();

        for (var i = 0; i < 5; i++)
            for (var j = 0; j < 6; j++)
                Assert.Equal(i == j ? singular[i] / 3 : 0, w[i * 6 + j], 12);
    }

    [Fact]
    public void Only_weighted_layers_can_be_wrapped()
    {
        var e = Assert.Throws<ArgumentException>(() => new SpectralNorm(new ReLU()));
        Assert.Contains("ReLU", e.Message);
    }

    private static Tensor Buffer(Module m, string name) => m.NamedBuffers().Single(b => b.Name == name).Buffer;
}
