using System.Reflection;
using GanDsl.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Generator.Tests.Training;

/// <summary>
/// The words added for modern GAN objectives (Tanh, Log1p, Expm1, LogSumExp, Softmax, LogSoftmax, batch Max/Min,
/// TopK), checked end to end: the generated critic step, run in float64 on linear critics, against a float64
/// reference written here from the definitions, and the gradient the step leaves on the critic's weights against
/// central finite differences of the step's own loss. The stable forms are also run in float32 on scores beyond ±88.
/// </summary>
public sealed class WordStepTests
{
    private const int Batch = 6;
    private const int Features = 3;
    private const int Classes = 4;

    /// <summary>A critic loss and its value from the critic's outputs: d [B] (D, a score) and c [B,K] (C, class logits).</summary>
    private sealed record Case(string Name, string Loss, Func<double[], double[][], double> Reference);

    private static double Lse(IEnumerable<double> v)
    {
        var m = v.Max();
        return m + Math.Log(v.Sum(t => Math.Exp(t - m)));
    }

    private static double[] TopRows(double[] d, double fraction) =>
        d.OrderByDescending(t => t).Take((int)Math.Ceiling(fraction * d.Length)).ToArray();

    private static readonly Case[] Cases =
    [
        new("tanh", "Mean(Tanh(D(x)))", (d, _) => d.Average(Math.Tanh)),
        new("log1p", "Mean(Log1p(Square(D(x))))", (d, _) => d.Average(t => Math.Log(1 + t * t))),
        new("expm1", "Mean(Expm1(D(x)))", (d, _) => d.Average(t => Math.Exp(t) - 1)),
        new("logsumexp", "LogSumExp(D(x))", (d, _) => Lse(d)),
        new("logsumexp_per_sample", "Mean(LogSumExpPerSample(C(x)))", (_, c) => c.Average(Lse)),
        new("softmax", "Mean(Softmax(C(x)) * C(x))",
            (_, c) => c.SelectMany(row => row.Select(t => Math.Exp(t - Lse(row)) * t)).Average()),
        new("log_softmax", "-Mean(LogSoftmax(C(x)))", (_, c) => -c.SelectMany(row => row.Select(t => t - Lse(row))).Average()),
        new("batch_max_min", "Max(D(x)) - Min(D(x)) + Max(C(x))", (d, c) => d.Max() - d.Min() + c.SelectMany(r => r).Max()),
        new("topk_constant", "Mean(TopK(D(x), 0.4))", (d, _) => TopRows(d, 0.4).Average()),
        new("topk_hyper_softplus", "Mean(Softplus(-TopK(D(x), Nu)))", (d, _) => TopRows(d, 0.5).Average(t => Math.Log(1 + Math.Exp(-t)))),
        // Longer than the parser's BalanceAbove: lowered as a balanced tree (issue 22), with the same value.
        new("sum_of_200_terms", string.Concat(Enumerable.Range(1, 200).Select(k => (k % 3 == 0 ? " - " : " + ") + k + " * Mean(D(x))")).Substring(3),
            (d, _) => Enumerable.Range(1, 200).Sum(k => (k % 3 == 0 && k > 1 ? -k : k) * d.Average())),
        new("product_of_100_terms", "Mean(D(x))" + string.Concat(Enumerable.Range(1, 99).Select(k => (k % 2 == 0 ? " / " : " * ") + "(1 + 0.001 * " + k + " * Mean(D(x)))")),
            (d, _) => Enumerable.Range(1, 99).Aggregate(d.Average(), (p, k) => k % 2 == 0 ? p / (1 + 0.001 * k * d.Average()) : p * (1 + 0.001 * k * d.Average()))),
        new("topk_elementwise_with_itself", "Mean(Square(TopK(D(x), Nu)) - TopK(D(x), Nu))", (d, _) => TopRows(d, 0.5).Average(t => t * t - t)),
    ];

    private static string Source(Case c, int i) => TestSupport.Prelude + $$"""
        [GanLoss("w{{i}}")]
        public partial class W{{i}}
        {
            [Hyper] const double Nu = 0.5;
            [Network(NetworkRole.Critic, NetworkOutput.Features)] private static partial Expr C(Expr v);
            [DiscriminatorLoss] static Loss Dl => {{c.Loss}};
            [GeneratorLoss] static Loss Gl => -Mean(D(G(z)));
        }
        """;

    private static readonly Lazy<Microsoft.CodeAnalysis.Compilation> s_compiled = new(() =>
    {
        var run = GeneratorTestDriver.Run(GeneratorTestDriver.CreateCompilation(Cases.Select(Source)));
        Assert.Null(run.Exception);
        Assert.Empty(run.Diagnostics);
        run.AssertCompiles();
        return run.OutputCompilation;
    });

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases) data.Add(c.Name);
        return data;
    }

    private static nn.Module<Tensor, Tensor> Linear(long inputs, long outputs, ScalarType dtype, torch.Generator generator, double scale)
    {
        var layer = nn.Linear(inputs, outputs, hasBias: false, dtype: dtype);
        using (no_grad()) layer.weight!.copy_(torch.randn([outputs, inputs], dtype: dtype, generator: generator) * scale);
        return layer;
    }

    private static double[] Values(Tensor t) => t.to_type(ScalarType.Float64).cpu().data<double>().ToArray();

    /// <summary>The critic step of one case: its loss, and the gradient it left on each critic weight.</summary>
    private static (double Loss, Dictionary<string, double[]> Grads, double[] D, double[][] C) CriticStep(
        IGanLoss loss, Dictionary<string, nn.Module<Tensor, Tensor>> networks, Tensor real, Tensor noise)
    {
        foreach (var n in networks.Values) n.zero_grad();
        using var draws = new torch.Generator(3);
        var context = new StepContext(real, noise, networks, new GeneratorStepRandom(draws));
        using var result = loss.DiscriminatorStep(context);
        var grads = networks.Where(n => n.Key != "G").ToDictionary(n => n.Key, n => n.Value.parameters().First().grad is { } g ? Values(g) : []);
        using var _ = no_grad();
        var d = Values(networks["D"].call(real).reshape(Batch));
        var cFlat = Values(networks["C"].call(real));
        var c = Enumerable.Range(0, Batch).Select(i => cFlat.Skip(i * Classes).Take(Classes).ToArray()).ToArray();
        return (result.Loss, grads, d, c);
    }

    private static Dictionary<string, nn.Module<Tensor, Tensor>> Networks(ScalarType dtype, double criticScale) =>
        new(StringComparer.Ordinal)
        {
            ["G"] = Linear(2, Features, dtype, new torch.Generator(5), 1.0),
            ["D"] = Linear(Features, 1, dtype, new torch.Generator(6), criticScale),
            ["C"] = Linear(Features, Classes, dtype, new torch.Generator(7), criticScale),
        };

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Critic_step_matches_the_float64_reference_and_finite_differences(string name)
    {
        var index = Array.FindIndex(Cases, c => c.Name == name);
        var c = Cases[index];
        TwoStepHarness.InContext(s_compiled.Value, assembly =>
        {
            using var scope = NewDisposeScope();
            var loss = (IGanLoss)Activator.CreateInstance(assembly.GetType("Samples.W" + index)!)!;
            var networks = Networks(ScalarType.Float64, 1.0);
            var real = torch.randn([Batch, Features], dtype: ScalarType.Float64, generator: new torch.Generator(8));
            var noise = torch.randn([Batch, 2], dtype: ScalarType.Float64, generator: new torch.Generator(9));

            var (value, grads, d, cs) = CriticStep(loss, networks, real, noise);
            var expected = c.Reference(d, cs);
            Assert.True(Math.Abs(value - expected) <= 1e-12 * Math.Max(1, Math.Abs(expected)), $"{name}: loss {value:R}, float64 reference {expected:R}");

            const double h = 1e-6;
            foreach (var (net, analytic) in grads)
            {
                var weight = networks[net].parameters().First();
                Assert.Equal(weight.numel(), analytic.Length == 0 ? weight.numel() : analytic.Length);
                for (var i = 0; i < weight.numel(); i++)
                {
                    double At(double delta)
                    {
                        using (no_grad()) weight.view(-1)[i].add_(delta);
                        var up = CriticStep(loss, networks, real, noise).Loss;
                        using (no_grad()) weight.view(-1)[i].sub_(delta);
                        return up;
                    }
                    var numeric = (At(h) - At(-h)) / (2 * h);
                    var got = analytic.Length == 0 ? 0 : analytic[i];
                    Assert.True(Math.Abs(numeric - got) <= 1e-6 + 1e-5 * Math.Abs(numeric),
                        $"{name}: d loss / d {net}.weight[{i}]: generated step {got:R}, finite differences {numeric:R}");
                }
            }
            return 0;
        });
    }

    /// <summary>
    /// Scores of about ±100 in float32 (exp overflows above 88 and underflows below -88): LogSumExp and LogSoftmax stay
    /// finite, agree with the float64 reference, and give finite gradients.
    /// </summary>
    [Theory]
    [InlineData("logsumexp", 1.0)]
    [InlineData("logsumexp", -1.0)]
    [InlineData("logsumexp_per_sample", 1.0)]
    [InlineData("logsumexp_per_sample", -1.0)]
    [InlineData("log_softmax", 1.0)]
    [InlineData("log_softmax", -1.0)]
    public void Stable_forms_stay_finite_beyond_float32_exp_range(string name, double sign)
    {
        var index = Array.FindIndex(Cases, c => c.Name == name);
        var c = Cases[index];
        TwoStepHarness.InContext(s_compiled.Value, assembly =>
        {
            using var scope = NewDisposeScope();
            var loss = (IGanLoss)Activator.CreateInstance(assembly.GetType("Samples.W" + index)!)!;
            var networks = Networks(ScalarType.Float32, 1.0);
            // Every input row is the same direction, scaled so each output is about ±100 or beyond.
            using (no_grad())
            {
                networks["D"].parameters().First().copy_(torch.full([1, Features], 1.0f));
                networks["C"].parameters().First().copy_(torch.tensor(new float[] { 1, 1, 1, 1.01f, 1.01f, 1.01f, 0.99f, 0.99f, 0.99f, 1.02f, 1.02f, 1.02f }, [Classes, Features]));
            }
            var real = (torch.rand([Batch, Features], generator: new torch.Generator(8)) + 33.0) * sign;
            var noise = torch.randn([Batch, 2], generator: new torch.Generator(9));
            var (value, grads, d, cs) = CriticStep(loss, networks, real, noise);
            Assert.True(d.All(t => Math.Abs(t) > 95), $"scores {string.Join(", ", d)} are not beyond ±88");
            var expected = c.Reference(d, cs);
            Assert.True(double.IsFinite(value), $"{name}: loss {value} at scores near {100 * sign}");
            Assert.True(Math.Abs(value - expected) <= 1e-4 * Math.Max(1, Math.Abs(expected)), $"{name}: float32 loss {value:R}, float64 reference {expected:R}");
            Assert.All(grads.Values.SelectMany(g => g), g => Assert.True(double.IsFinite(g), $"{name}: a gradient is {g}"));
            Assert.Contains(grads.Values.SelectMany(g => g), g => g != 0);
            return 0;
        });
    }
}
