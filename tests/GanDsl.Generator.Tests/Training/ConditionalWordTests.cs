using GanDsl.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Generator.Tests.Training;

/// <summary>
/// CrossEntropy and label-taking declared networks end to end (issue 16): the generated critic step, in float64, against
/// cross-entropy written out here and central finite differences; the optimiser's rule Mean(CrossEntropy(l, t)) →
/// cross_entropy(l, t) against the plain per-sample form (same loss and every gradient); and the fused form in float32
/// on logits beyond ±88, where a naive log(softmax) would give −∞.
/// </summary>
public sealed class ConditionalWordTests
{
    private const int Batch = 6, Features = 3, Classes = 4;

    // Relu(CrossEntropy(...)) is CrossEntropy (it is positive) but blocks the rewrite: the plain per-sample form.
    private static readonly string[] Critics =
    [
        "Mean(CrossEntropy(C(x), y)) + Mean(Softplus(-E(x, y)))",
        "Mean(Relu(CrossEntropy(C(x), y))) + Mean(Softplus(-E(x, y)))",
    ];

    private static string Source(string critic, int i) => TestSupport.Prelude + $$"""
        [GanLoss("c{{i}}")]
        public partial class C{{i}}
        {
            [Network(NetworkRole.Critic, NetworkOutput.ClassLogits)] private static partial Expr C(Expr v);
            [Network(NetworkRole.Critic, NetworkOutput.Score)] private static partial Expr E(Expr v, Expr label);
            [DiscriminatorLoss] static Loss Dl => {{critic}} + Mean(Softplus(E(G(z), yz)));
            [GeneratorLoss] static Loss Gl => Mean(Softplus(-E(G(z), yz)));
        }
        """;

    private static readonly Lazy<GeneratorRun> s_run = new(() =>
    {
        var run = GeneratorTestDriver.Run(GeneratorTestDriver.CreateCompilation(Critics.Select(Source)));
        Assert.Null(run.Exception);
        Assert.Empty(run.Diagnostics);
        run.AssertCompiles();
        return run;
    });

    /// <summary>E(x, y) = w·x + e[y]: a label-taking critic.</summary>
    private sealed class LabelCritic : nn.Module<Tensor, Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> linear;
        private readonly nn.Module<Tensor, Tensor> embed;

        public LabelCritic(ScalarType dtype) : base("LabelCritic")
        {
            linear = nn.Linear(Features, 1, hasBias: false, dtype: dtype);
            embed = nn.Embedding(Classes, 1, dtype: dtype);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x, Tensor y) => linear.call(x) + embed.call(y);
    }

    private static Dictionary<string, nn.Module> Networks(ScalarType dtype)
    {
        torch.manual_seed(4);
        return new(StringComparer.Ordinal)
        {
            ["G"] = nn.Linear(2, Features, dtype: dtype),
            ["C"] = nn.Linear(Features, Classes, hasBias: false, dtype: dtype),
            ["E"] = new LabelCritic(dtype),
        };
    }

    private static readonly Tensor Y = torch.tensor(new long[] { 0, 1, 2, 3, 1, 2 });
    private static readonly Tensor Yz = torch.tensor(new long[] { 3, 3, 0, 1, 2, 0 });

    private static (double Loss, Tensor[] Grads) CriticStep(IGanLoss loss, Dictionary<string, nn.Module> networks, Tensor real, Tensor noise)
    {
        foreach (var n in networks.Values) n.zero_grad();
        var context = new StepContext(real, noise, networks, new GeneratorStepRandom(new torch.Generator(3))) { RealLabels = Y, NoiseLabels = Yz, ClassCount = Classes };
        using var result = loss.DiscriminatorStep(context);
        return (result.Loss, networks["C"].parameters().Concat(networks["E"].parameters()).Select(p => p.grad!.clone()).ToArray());
    }

    private static T With<T>(Func<IGanLoss, IGanLoss, T> use) => TwoStepHarness.InContext(s_run.Value.OutputCompilation, assembly =>
        use((IGanLoss)Activator.CreateInstance(assembly.GetType("Samples.C0")!)!, (IGanLoss)Activator.CreateInstance(assembly.GetType("Samples.C1")!)!));

    [Fact]
    public void The_rule_fuses_the_mean_of_CrossEntropy_into_one_cross_entropy_call()
    {
        var fused = s_run.Value.Files.Single(f => f.Key.EndsWith("C0.g.cs", StringComparison.Ordinal)).Value;
        var plain = s_run.Value.Files.Single(f => f.Key.EndsWith("C1.g.cs", StringComparison.Ordinal)).Value;
        Assert.Contains("global::GanDsl.LossOps.CrossEntropyMean(", fused);
        Assert.DoesNotContain("global::GanDsl.LossOps.CrossEntropy(", fused);
        Assert.Contains("global::GanDsl.LossOps.CrossEntropy(", plain);
        Assert.DoesNotContain("CrossEntropyMean", plain);
        // The label-taking network is fetched as one and called with its labels, concatenated like its batches in a shared pass.
        Assert.Contains("c.ConditionalNetwork(\"E\")", fused);
        Assert.Contains("global::GanDsl.LossOps.Forward(c, netE, new[] { c.Real, t", fused);
        Assert.Contains("new[] { y, yz })", fused);
    }

    [Fact]
    public void Fused_and_plain_steps_match_the_written_out_cross_entropy_and_each_other_and_finite_differences() => With((fused, plain) =>
    {
        using var scope = NewDisposeScope();
        var networks = Networks(ScalarType.Float64);
        var real = torch.randn([Batch, Features], dtype: ScalarType.Float64, generator: new torch.Generator(8));
        var noise = torch.randn([Batch, 2], dtype: ScalarType.Float64, generator: new torch.Generator(9));

        var (value, grads) = CriticStep(fused, networks, real, noise);
        var (plainValue, plainGrads) = CriticStep(plain, networks, real, noise);
        double expected;
        using (no_grad())
        {
            var logits = ((nn.Module<Tensor, Tensor>)networks["C"]).call(real);
            var e = (nn.Module<Tensor, Tensor, Tensor>)networks["E"];
            var fake = ((nn.Module<Tensor, Tensor>)networks["G"]).call(noise);
            var ce = -(logits - logits.logsumexp(1, keepdim: true)).gather(1, Y.unsqueeze(1)).mean();
            expected = (ce + nn.functional.softplus(-e.call(real, Y)).mean() + nn.functional.softplus(e.call(fake, Yz)).mean()).item<double>();
        }
        Assert.True(Math.Abs(value - expected) <= 1e-12 * Math.Max(1, Math.Abs(expected)), $"fused step {value:R}, written out {expected:R}");
        Assert.True(Math.Abs(value - plainValue) <= 1e-12, $"fused {value:R}, plain {plainValue:R}");
        for (var k = 0; k < grads.Length; k++)
            Assert.True(grads[k].allclose(plainGrads[k], rtol: 1e-12, atol: 1e-14), $"parameter {k}: fused and plain gradients differ");

        var parameters = networks["C"].parameters().Concat(networks["E"].parameters()).ToArray();
        const double h = 1e-6;
        for (var k = 0; k < parameters.Length; k++)
            for (var i = 0; i < parameters[k].numel(); i++)
            {
                double At(double delta)
                {
                    using (no_grad()) parameters[k].view(-1)[i].add_(delta);
                    var up = CriticStep(fused, networks, real, noise).Loss;
                    using (no_grad()) parameters[k].view(-1)[i].sub_(delta);
                    return up;
                }
                var numeric = (At(h) - At(-h)) / (2 * h);
                var got = grads[k].view(-1)[i].item<double>();
                Assert.True(Math.Abs(numeric - got) <= 1e-7 + 1e-6 * Math.Abs(numeric), $"parameter {k}[{i}]: step {got:R}, finite differences {numeric:R}");
            }
        return 0;
    });

    [Fact]
    public void Fused_cross_entropy_stays_finite_on_logits_beyond_float32_exp_range() => With((fused, _) =>
    {
        using var scope = NewDisposeScope();
        var networks = Networks(ScalarType.Float32);
        // Logits of about ±100 and more: exp overflows, softmax of the true class rounds to 0 for some rows.
        using (no_grad()) networks["C"].parameters().First().copy_(torch.tensor(new float[] { 40, 0, 0, -40, 0, 0, 0, 40, 0, 0, 0, -40 }, [Classes, Features]));
        var real = torch.randn([Batch, Features], generator: new torch.Generator(8)).sign() * 3;
        var noise = torch.randn([Batch, 2], generator: new torch.Generator(9));
        var (value, grads) = CriticStep(fused, networks, real, noise);
        Assert.True(double.IsFinite(value), $"loss {value}");
        Assert.True(value > 10, $"loss {value}: some true classes have logits far below the largest");
        Assert.All(grads, g => Assert.True(g.isfinite().all().item<bool>()));
        return 0;
    });
}
