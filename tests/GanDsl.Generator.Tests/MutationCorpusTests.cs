using System.Text.RegularExpressions;
using GanDsl.Generator.Tests.Training;
using GanDsl.Testing;
using Microsoft.CodeAnalysis;

namespace GanDsl.Generator.Tests;

/// <summary>
/// Malformed and unusual loss declarations, each with the only acceptable outcome: a GAN diagnostic at the
/// right place, or code that compiles and trains two steps. Grouped by the defect class of issue 11.
/// </summary>
public sealed class MutationCorpusTests
{
    private const string DLoss = "[DiscriminatorLoss] static Loss Dl => Mean(Softplus(-D(x))) + Mean(Softplus(D(G(z))));";
    private const string GLoss = "[GeneratorLoss] static Loss Gl => Mean(Softplus(-D(G(z))));";
    private const string Wgan = "[DiscriminatorLoss] static Loss Dl => Mean(D(G(z))) - Mean(D(x))";

    /// <summary>One declaration. $C is the class name, $N the loss name, {D}/{G} the standard losses. Id and Span: the diagnostic expected; Trains: it must also train.</summary>
    public sealed record Case(string Name, string Source, string? Id = null, string? Span = null, bool Trains = false)
    {
        public override string ToString() => Name;
    }

    private static Case Trains(string name, string source) => new(name, source, Trains: true);

    public static readonly Case[] Corpus =
    [
        // ----- 1. gradient reachability -----
        new("stopgradient-of-g", """[GanLoss("$N")] public partial class $C { {D} [GeneratorLoss] static Loss Gl => -Mean(D(StopGradient(G(z)))); }""", "GAN0022", "-Mean(D(StopGradient(G(z))))"),
        new("step-of-critic-in-g", """[GanLoss("$N")] public partial class $C { {D} [GeneratorLoss] static Loss Gl => -Mean(Step(D(G(z)))); }""", "GAN0022", "-Mean(Step(D(G(z))))"),
        new("step-of-critic-in-d", """[GanLoss("$N")] public partial class $C { [DiscriminatorLoss] static Loss Dl => Mean(Step(D(x))) - Mean(Step(D(G(z)))); {G} }""", "GAN0021", "Mean(Step(D(x))) - Mean(Step(D(G(z))))"),
        new("std-of-critic-in-d", """[GanLoss("$N")] public partial class $C { [DiscriminatorLoss] static Loss Dl => Std(D(x)); {G} }""", "GAN0021", "Std(D(x))"),
        new("grad-through-stopgradient", """[GanLoss("$N")] public partial class $C { {Wgan} + Mean(Square(Norm(Grad(D(StopGradient(x)), x)))); {G} }""", "GAN0024", "Grad(D(StopGradient(x)), x)"),
        new("grad-through-g-in-critic-step", """[GanLoss("$N")] public partial class $C { {Wgan} + Mean(Norm(Grad(D(G(z)), z))); {G} }""", "GAN0024", "Grad(D(G(z)), z)"),
        new("grad-of-step", """[GanLoss("$N")] public partial class $C { {Wgan} + Mean(Norm(Grad(Step(D(x)), x))); {G} }""", "GAN0024", "Grad(Step(D(x)), x)"),
        new("grad-at-hyperparameter", """[GanLoss("$N")] public partial class $C { [Hyper] const double Lambda = 2; {Wgan} + Mean(Grad(D(x) * Lambda, Lambda)); {G} }""", "GAN0024", "Grad(D(x) * Lambda, Lambda)"),
        new("grad-monitor-through-stopgradient", """[GanLoss("$N")] public partial class $C { static Expr GradNorm => Mean(Norm(Grad(D(StopGradient(x)), x))); {D} {G} }""", "GAN0024", "Grad(D(StopGradient(x)), x)"),
        Trains("grad-through-g-in-generator-step", """[GanLoss("$N")] public partial class $C { {D} [GeneratorLoss] static Loss Gl => -Mean(D(G(z))) + Mean(Norm(Grad(D(G(z)), z))); }"""),
        Trains("grad-norm-monitor", """[GanLoss("$N")] public partial class $C { static Expr GradNorm => Mean(Norm(Grad(D(x), x))); {D} {G} }"""),
        Trains("grad-in-state-update", """[GanLoss("$N")] public partial class $C { [State(0, StateUpdateTiming.AfterCriticStep)] static Expr Gn => Mean(Norm(Grad(D(x), x))); {D} {G} }"""),
        Trains("grad-in-generator-state-update", """[GanLoss("$N")] public partial class $C { [State(0, StateUpdateTiming.AfterGeneratorStep)] static Expr Gn => Mean(Norm(Grad(D(G(z)), G(z)))); {D} {G} }"""),
        Trains("grad-in-epoch-state-update", """[GanLoss("$N")] public partial class $C { [State(0, StateUpdateTiming.EndOfEpoch)] static Expr Gn => Mean(Norm(Grad(D(G(z)), G(z)))); {D} {G} }"""),
        Trains("stopgradient-beside-a-path", """[GanLoss("$N")] public partial class $C { {D} [GeneratorLoss] static Loss Gl => -Mean(D(G(z))) + Mean(StopGradient(D(x))); }"""),

        // ----- 2. shapes and roles -----
        new("critic-of-a-score", """[GanLoss("$N")] public partial class $C { {D} [GeneratorLoss] static Loss Gl => -Mean(D(D(G(z)))); }""", "GAN0025", "D(G(z))"),
        new("penalty-of-a-score", """[GanLoss("$N")] public partial class $C { {Wgan} + GradientPenalty(D(x)); {G} }""", "GAN0025", "GradientPenalty(D(x))"),
        new("critic-of-noise", """[GanLoss("$N")] public partial class $C { [DiscriminatorLoss] static Loss Dl => Mean(D(x)) - Mean(D(z)); {G} }""", "GAN0025", "z"),
        new("generator-of-data", """[GanLoss("$N")] public partial class $C { {D} [GeneratorLoss] static Loss Gl => -Mean(D(G(x))); }""", "GAN0025", "x"),
        new("autoencoder-of-noise", """[GanLoss("$N")] public partial class $C { [DiscriminatorLoss] static Loss Dl => Mean(Square(AE(z) - z)); {G} }""", "GAN0025", "z"),
        new("hyper-named-x", """[GanLoss("$N")] public partial class $C { [Hyper] const double x = 1; {D} {G} }""", "GAN0013", "x"),
        new("data-plus-noise", """[GanLoss("$N")] public partial class $C { [DiscriminatorLoss] static Loss Dl => Mean(D(x + z)); {G} }""", "GAN0025", "z"),
        new("between-data-and-noise", """[GanLoss("$N")] public partial class $C { {Wgan} + GradientPenalty(Between(x, z)); {G} }""", "GAN0025", "z"),
        new("mmd-of-data-and-noise", """[GanLoss("$N")] public partial class $C { [GeneratorLoss] static Loss Gl => Mmd2(x, G(z)) + Mmd2(x, z); }""", "GAN0025", "z"),
        new("features-minus-samples", """[GanLoss("$N")] public partial class $C { [Network(NetworkRole.Critic, NetworkOutput.Features)] private static partial Expr A(Expr v); [DiscriminatorLoss] static Loss Dl => Mean(Square(A(x) - x)); [GeneratorLoss] static Loss Gl => Mean(A(G(z))); }""", "GAN0025", "x"),
        new("network-of-a-constant", """[GanLoss("$N")] public partial class $C { [DiscriminatorLoss] static Loss Dl => Mean(D(1)); {G} }""", "GAN0025", "1"),

        // ----- 3. C# semantics -----
        Trains("integer-division", """[GanLoss("$N")] public partial class $C { {Wgan} + 1 / 2 * Mean(Square(D(x))); {G} }"""),
        Trains("named-params-argument", """[GanLoss("$N")] public partial class $C { [GeneratorLoss] static Loss Gl => Mmd2(x, G(z), sigmas: 3); }"""),
        Trains("extension-method-macro", """public static class Ext$C { public static Expr Sq(this Expr v) => Square(v); } [GanLoss("$N")] public partial class $C { {D} [GeneratorLoss] static Loss Gl => Mean((D(G(z)) - 1).Sq()); }"""),
        Trains("integer-cast", """[GanLoss("$N")] public partial class $C { {Wgan} + (int)2.5 * Mean(Square(D(x))); {G} }"""),
        new("params-macro", """[GanLoss("$N")] public partial class $C { static Expr First(params Expr[] vs) => vs[0]; {D} [GeneratorLoss] static Loss Gl => -Mean(D(First(G(z)))); }""", "GAN0014", "First(G(z))"),
        new("integer-division-of-hyper", """[GanLoss("$N")] public partial class $C { [Hyper] const int K = 3; {Wgan} + K / 2 * Mean(Square(D(x))); {G} }""", "GAN0019", "K / 2"),

        // ----- 4. generated code that does not compile -----
        Trains("escaped-class-name", """[GanLoss("$N")] public partial class @event { {D} {G} }"""),
        Trains("escaped-namespace", """namespace $NS.@class; [GanLoss("$N")] public partial class $C { {D} {G} }"""),
        Trains("escaped-network-name", """[GanLoss("$N")] public partial class $C { [Network(NetworkRole.Critic, NetworkOutput.Score)] private static partial Expr @base(Expr @in); [DiscriminatorLoss] static Loss Dl => Mean(Softplus(-@base(x))) + Mean(Softplus(@base(G(z)))); [GeneratorLoss] static Loss Gl => -Mean(@base(G(z))); }"""),
        new("member-named-info", """[GanLoss("$N")] public partial class $C { public string Info => ""; {D} {G} }""", "GAN0016", "Info"),
        new("member-named-state", """[GanLoss("$N")] public partial class $C { static int State = 0; {D} {G} }""", "GAN0016", "State"),
        new("member-named-end-of-epoch", """[GanLoss("$N")] public partial class $C { [State(0, StateUpdateTiming.EndOfEpoch)] static Expr K => K + 1; public void EndOfEpoch(StepContext c) { } {D} {G} }""", "GAN0016", "EndOfEpoch"),
        new("network-role-out-of-range", """[GanLoss("$N")] public partial class $C { [Network((NetworkRole)7, NetworkOutput.Score)] private static partial Expr A(Expr v); {D} {G} }""", "GAN0017", "(NetworkRole)7"),
        new("state-timing-out-of-range", """[GanLoss("$N")] public partial class $C { [State(0, (StateUpdateTiming)9)] static Expr K => K + 1; {D} {G} }""", "GAN0017", "(StateUpdateTiming)9"),
        new("record-class", """[GanLoss("$N")] public partial record $C { {D} {G} }""", "GAN0010", "$C"),

        // ----- 5. constants that cannot run -----
        new("adam-negative-learning-rate", """[GanLoss("$N"), Adam(-1e-4)] public partial class $C { {D} {G} }""", "GAN0044", "-1e-4"),
        new("adam-nan-learning-rate", """[GanLoss("$N"), Adam(double.NaN)] public partial class $C { {D} {G} }""", "GAN0044", "double.NaN"),
        new("adam-beta1-one", """[GanLoss("$N"), Adam(1e-4, 1, 0.9)] public partial class $C { {D} {G} }""", "GAN0044", "1"),
        new("rmsprop-zero-learning-rate", """[GanLoss("$N"), RMSprop(0)] public partial class $C { {D} {G} }""", "GAN0044", "0"),
        new("hyper-nan", """[GanLoss("$N")] public partial class $C { [Hyper] const double L = double.NaN; {D} {G} }""", "GAN0045", "L"),
        new("hyper-infinite", """[GanLoss("$N")] public partial class $C { [Hyper] const double L = 1.0 / 0; {D} {G} }""", "GAN0045", "L"),
        new("clip-infinite", """[GanLoss("$N"), ClipWeights("D", double.PositiveInfinity)] public partial class $C { {D} {G} }""", "GAN0041", "ClipWeights(\"D\", double.PositiveInfinity)"),
        new("state-initial-nan", """[GanLoss("$N")] public partial class $C { [State(double.NaN, StateUpdateTiming.AfterCriticStep)] static Expr K => K + Mean(D(x)); {D} {G} }""", "GAN0045", "double.NaN"),
        new("clamp-reversed", """[GanLoss("$N")] public partial class $C { [DiscriminatorLoss] static Loss Dl => Mean(Clamp(D(x), 1, -1)) - Mean(D(G(z))); {G} }""", "GAN0045", "Clamp(D(x), 1, -1)"),
        new("mmd-zero-width", """[GanLoss("$N")] public partial class $C { [GeneratorLoss] static Loss Gl => Mmd2(x, G(z), 0); }""", "GAN0045", "0"),
        new("critic-steps-huge", """[GanLoss("$N"), CriticSteps(int.MaxValue)] public partial class $C { {D} {G} }""", "GAN0040", "int.MaxValue"),
        new("abstract-class", """[GanLoss("$N")] public abstract partial class $C { {D} {G} }""", "GAN0010", "$C"),
        new("private-constructor", """[GanLoss("$N")] public partial class $C { private $C() { } {D} {G} }""", "GAN0010", "$C"),

        // ----- 7. missed warnings -----
        new("log-of-mean-of-critic", """[GanLoss("$N")] public partial class $C { {D} [GeneratorLoss] static Loss Gl => -Log(Mean(Sigmoid(D(G(z))))) - Log(Mean(D(G(z)))); }""", "GAN0023", "Log(Mean(D(G(z))))", Trains: true),
        new("log-of-stopgradient-critic", """[GanLoss("$N")] public partial class $C { [DiscriminatorLoss] static Loss Dl => Mean(D(G(z))) - Mean(D(x)) + Mean(Log(StopGradient(D(x)))); {G} }""", "GAN0023", "Log(StopGradient(D(x)))", Trains: true),
        new("undeclared-network", """[GanLoss("$N")] public partial class $C { {D} [GeneratorLoss] static Loss Gl => -Mean(A(G(z))); }""", "GAN0015", "A"),
    ];

    public static TheoryData<Case> DiagnosticCases() => new(Corpus.Where(c => c.Id is not null));

    /// <summary>The whole source of case <paramref name="index"/>: its own namespace, class and loss name.</summary>
    internal static string Source(Case c, int index)
    {
        var body = c.Source.Replace("{D}", DLoss).Replace("{G}", GLoss).Replace("{Wgan}", Wgan)
            .Replace("$NS", "Corpus" + index).Replace("$N", "case-" + index).Replace("$C", "C" + index);
        var usings = "using GanDsl;\nusing static GanDsl.Vocabulary;\nusing static GanDsl.Penalties;\n";
        return body.StartsWith("namespace", StringComparison.Ordinal)
            ? usings + body
            : usings + "namespace Corpus" + index + ";\n" + body;
    }

    [Theory]
    [MemberData(nameof(DiagnosticCases))]
    public void MalformedDeclaration_GetsItsDiagnosticAtTheRightPlace(Case c)
    {
        var index = Array.IndexOf(Corpus, c);
        var source = Source(c, index);
        var run = GeneratorTestDriver.Run(source);
        Assert.Null(run.Exception);
        var span = c.Span!.Replace("$C", "C" + index);
        var all = TestSupport.Describe(run);
        Assert.DoesNotContain(all, d => d.Id == "GAN0099");
        Assert.True(all.Any(d => d.Id == c.Id && d.Span == span),
            $"expected {c.Id} at '{span}', got:\n{string.Join("\n", all.Select(d => $"{d.Id} at '{d.Span}': {d.Message}"))}\n{source}");
        if (run.Diagnostics.All(d => d.Severity != DiagnosticSeverity.Error))
            run.AssertCompiles();   // a warning only: the code must still compile (and the trains test trains it)
    }

    [Fact]
    public void AcceptedDeclarations_CompileAndTrainTwoSteps()
    {
        var cases = Corpus.Select((c, i) => (Case: c, Index: i)).Where(t => t.Case.Trains).ToList();
        var sources = cases.Select(t => Source(t.Case, t.Index)).ToList();
        var run = GeneratorTestDriver.Run(GeneratorTestDriver.CreateCompilation(sources));
        Assert.Null(run.Exception);
        var errors = run.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        run.AssertCompiles();

        var types = sources.Select(TypeName).ToList();
        var trained = TwoStepHarness.Train(run.OutputCompilation, types);
        var failures = cases.Zip(types).Where(p => trained[p.Second] is not null).Select(p => $"{p.First.Case.Name}: {trained[p.Second]}").ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>The full metadata name of the [GanLoss] class of a source (escapes removed).</summary>
    internal static string TypeName(string source)
    {
        var ns = Regex.Match(source, @"namespace ([\w.@]+);").Groups[1].Value.Replace("@", "");
        var type = Regex.Match(source, @"\[GanLoss[^\]]*\]\s*public (?:\w+ )*partial class (@?\w+)").Groups[1].Value.Replace("@", "");
        return ns + "." + type;
    }
}
