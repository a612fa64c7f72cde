using GanDsl.Testing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GanDsl.Generator.Tests;

/// <summary>One test per diagnostic: its id, message and the source it points at, and nothing else reported.</summary>
public sealed class DiagnosticTests
{
    private const string DLoss = "[DiscriminatorLoss] static Loss Dl => Mean(Softplus(-D(x))) + Mean(Softplus(D(G(z))));";
    private const string GLoss = "[GeneratorLoss] static Loss Gl => Mean(Softplus(-D(G(z))));";

    private static void Expect(string source, params (string Id, string Span, string Message)[] expected) =>
        Expect(GeneratorTestDriver.Run(TestSupport.Prelude + source), expected);

    private static void Expect(GeneratorRun run, params (string Id, string Span, string Message)[] expected)
    {
        Assert.Null(run.Exception);
        var actual = TestSupport.Describe(run);
        Assert.Equal(expected.Select(e => (e.Id, e.Message, e.Span)).ToList(), actual);
    }

    [Fact]
    public void ValidLoss_ReportsNothing_AndCompiles()
    {
        var run = TestSupport.RunAndCheck(TestSupport.Prelude + $$"""[GanLoss("t")] public partial class T { {{DLoss}} {{GLoss}} }""");
        Assert.Empty(run.Diagnostics);
        Assert.Single(run.Files);
    }

    [Fact]
    public void GAN0001_ClassNotPartial() => Expect($$"""[GanLoss("t")] public class T { {{DLoss}} {{GLoss}} }""",
        ("GAN0001", "T", "Loss class 'T' must be declared 'partial' and not 'static': write 'public partial class T' so the generator can add the IGanLoss implementation"));

    [Fact]
    public void GAN0002_LossWithBlockBody() => Expect($$"""[GanLoss("t")] public partial class T { {{DLoss}} [GeneratorLoss] static Loss Gl { get { return -Mean(D(G(z))); } } }""",
        ("GAN0002", "Gl", "'Gl' must be an expression-bodied property: write 'static Loss Gl => <expression>;'"));

    [Fact]
    public void GAN0003_MathLog_IsNotInVocabulary() => Expect($$"""[GanLoss("t")] public partial class T { {{DLoss}} [GeneratorLoss] static Loss Gl => -Mean(D(G(z))) + System.Math.Log(2); }""",
        ("GAN0003", "System.Math.Log", "'System.Math.Log' is not part of the GanDsl vocabulary: use the members of GanDsl.Vocabulary (Log, Mean, D, ...), a [Hyper] constant, or an expression-bodied Expr helper (a macro)"));

    [Fact]
    public void GAN0003_LocalMethodThatIsNotAMacro() => Expect($$"""[GanLoss("t")] public partial class T { static double Two() { return 2; } {{DLoss}} [GeneratorLoss] static Loss Gl => -Mean(D(G(z))) * Two(); }""",
        ("GAN0003", "Two", "'Two' is not part of the GanDsl vocabulary: use the members of GanDsl.Vocabulary (Log, Mean, D, ...), a [Hyper] constant, or an expression-bodied Expr helper (a macro)"));

    [Fact]
    public void GAN0004_HyperNotConstant() => Expect($$"""[GanLoss("t")] public partial class T { [Hyper] static double Lambda = 10; {{DLoss}} {{GLoss}} }""",
        ("GAN0004", "Lambda", "Hyperparameter 'Lambda' must be a compile-time constant: write '[Hyper] const double Lambda = <value>;' (runs override it by name)"));

    [Fact]
    public void GAN0005_TwoLossesWithTheSameName() => Expect($$"""
        [GanLoss("same")] public partial class A { {{DLoss}} {{GLoss}} }
        [GanLoss("same")] public partial class B { {{DLoss}} {{GLoss}} }
        """,
        ("GAN0005", "\"same\"", "Loss name 'same' is already used by 'Samples.A': give each [GanLoss(\"...\")] a unique name"));

    [Fact]
    public void GAN0006_MissingGeneratorLoss() => Expect($$"""[GanLoss("t")] public partial class T { {{DLoss}} }""",
        ("GAN0006", "T", "Loss class 'T' needs one [GeneratorLoss] property: add '[GeneratorLoss] static Loss Generator => <expression>;'"));

    [Fact]
    public void GAN0007_TwoGeneratorLosses() => Expect($$"""[GanLoss("t")] public partial class T { {{DLoss}} {{GLoss}} [GeneratorLoss] static Loss G2 => -Mean(D(G(z))); }""",
        ("GAN0007", "G2", "'G2' is a second [GeneratorLoss] member: a loss class has at most one; combine the terms into one expression"));

    [Fact]
    public void GAN0008_RecursiveMacro() => Expect($$"""[GanLoss("t")] public partial class T { static Expr R(Expr v) => R(v) + 1; {{DLoss}} [GeneratorLoss] static Loss Gl => Mean(R(D(G(z)))); }""",
        ("GAN0008", "R(v)", "Macro 'R' uses itself (directly or through another macro), so it cannot be inlined: write the expression without the cycle"));

    [Fact]
    public void GAN0009_ConditionalExpression() => Expect($$"""[GanLoss("t")] public partial class T { {{DLoss}} [GeneratorLoss] static Loss Gl => true ? -Mean(D(G(z))) : Mean(D(G(z))); }""",
        ("GAN0009", "true ? -Mean(D(G(z))) : Mean(D(G(z)))", "'true ? -Mean(D(G(z))) : Mean(D(G(z)))' cannot appear in a loss expression: use numbers, operators (+ - * /), vocabulary calls, hyperparameters, state and macros"));

    [Fact]
    public void GAN0010_NestedClass() => Expect($$"""public partial class Outer { [GanLoss("t")] public partial class T { {{DLoss}} {{GLoss}} } }""",
        ("GAN0010", "T", "Loss class 'T' is nested in 'Outer': declare it directly in a namespace"));

    [Fact]
    public void GAN0011_NetworkWithTwoParameters() => Expect($$"""[GanLoss("t")] public partial class T { [Network(NetworkRole.Critic, NetworkOutput.Score)] private static partial Expr A(Expr v, Expr w); {{DLoss}} {{GLoss}} }""",
        ("GAN0011", "A", "Network 'A' must be declared as 'private static partial Expr A(Expr v);' (one Expr parameter, returning Expr)"));

    [Fact]
    public void GAN0012_InvalidLossName() => Expect($$"""[GanLoss("Bad Name")] public partial class T { {{DLoss}} {{GLoss}} }""",
        ("GAN0012", "\"Bad Name\"", "Loss name 'Bad Name' is not usable on the command line: use lower-case letters, digits and '-' (e.g. \"wgan-gp\")"));

    [Fact]
    public void GAN0013_MemberHidesAVocabularyName() => Expect($$"""[GanLoss("t")] public partial class T { [Hyper] const double z2 = 1; {{DLoss}} {{GLoss}} }""",
        ("GAN0013", "z2", "'z2' hides GanDsl.Vocabulary.z2, so 'z2' in a loss would mean this member, not the vocabulary's: rename it (e.g. 'z2Value')"));

    [Fact]
    public void GAN0014_ParamsMacroParameter() => Expect($$"""[GanLoss("t")] public partial class T { static Expr First(params Expr[] vs) => vs[0]; {{DLoss}} [GeneratorLoss] static Loss Gl => -Mean(D(First(G(z)))); }""",
        ("GAN0014", "First(G(z))", "Macro 'First' has parameter 'vs' declared 'params GanDsl.Expr[] vs': a macro's parameters must be plain 'Expr' or 'double' (no params, ref, out or in); write one parameter per value"));

    [Fact]
    public void GAN0016_MemberNamedLikeAGeneratedOne() => Expect($$"""[GanLoss("t")] public partial class T { public static int Hyper => 1; {{DLoss}} {{GLoss}} }""",
        ("GAN0016", "Hyper", "'Hyper' is a member the generator adds to a loss class (the IGanLoss implementation): rename it"));

    [Fact]
    public void GAN0017_EnumValueOutOfRange() => Expect($$"""[GanLoss("t")] public partial class T { [Network(NetworkRole.Critic, (NetworkOutput)5)] private static partial Expr A(Expr v); {{DLoss}} {{GLoss}} }""",
        ("GAN0017", "(NetworkOutput)5", "'(NetworkOutput)5' is not a defined NetworkOutput: use one of NetworkOutput.Sample, NetworkOutput.Score, NetworkOutput.Features, NetworkOutput.Reconstruction, NetworkOutput.ClassLogits"));

    [Fact]
    public void GAN0019_IntegerDivisionOfAHyperparameter() => Expect($$"""[GanLoss("t")] public partial class T { [Hyper] const int K = 3; [DiscriminatorLoss] static Loss Dl => Mean(D(x)) - Mean(D(G(z))) + K / 2 * Mean(Square(D(x))); {{GLoss}} }""",
        ("GAN0019", "K / 2", "'K / 2' is integer arithmetic in C# on hyperparameter 'K', which runs can set to any number: write it with a double (e.g. 'K / 2.0'), or declare '[Hyper] const double K'"));

    [Fact]
    public void GAN0010_Record() => Expect($$"""[GanLoss("t")] public partial record T { {{DLoss}} {{GLoss}} }""",
        ("GAN0010", "T", "Loss class 'T' is a record: declare it 'public partial class T'"));

    [Fact]
    public void GAN0023_RewriteOfLogOneMinusCritic_IsTheSameLoss() => Expect($$"""[GanLoss("t")] public partial class T { {{DLoss}} [GeneratorLoss] static Loss Gl => -Mean(Log(1 - D(G(z)))); }""",
        ("GAN0023", "Log(1 - D(G(z)))", "'Log(1 - D(G(z)))' takes the log of '1 - D(G(z))', an unbounded critic output that can be negative: if the critic outputs a logit, write '-Softplus(D(G(z)))' (the same loss with the critic's output read as the probability sigmoid(logit)); for a critic score, drop the Log"));

    [Fact]
    public void GAN0023_LogOfAMeanOfCritic() => Expect($$"""[GanLoss("t")] public partial class T { {{DLoss}} [GeneratorLoss] static Loss Gl => -Log(Mean(D(G(z)))); }""",
        ("GAN0023", "Log(Mean(D(G(z))))", "'Log(Mean(D(G(z))))' takes the log of 'Mean(D(G(z)))', an unbounded critic output that can be negative: if the critic outputs a logit, write 'Log(Mean(Sigmoid(D(G(z)))))' (the same loss with the critic's output read as the probability sigmoid(logit)); for a critic score, drop the Log"));

    private const string TopKRows = "operands over the same samples (a TopK(...) result keeps only the top rows of the batch: reduce it first, e.g. 'Mean(TopK(v, f))', or take TopK of the whole per-sample expression, e.g. 'TopK(a - b, f)')";

    [Fact]
    public void GAN0025_TopKCombinedWithAFullBatchValue() => Expect($$"""[GanLoss("t")] public partial class T { {{DLoss}} [GeneratorLoss] static Loss Gl => Mean(TopK(D(G(z)), 0.5) - D(x)); }""",
        ("GAN0025", "D(x)", "'-' needs " + TopKRows + ", but 'D(x)' is over the whole batch"));

    [Fact]
    public void GAN0025_TopKScalingABatch() => Expect($$"""[GanLoss("t")] public partial class T { {{DLoss}} [GeneratorLoss] static Loss Gl => Mean(D(G(z) * TopK(D(G(z)), 0.5))); }""",
        ("GAN0025", "TopK(D(G(z)), 0.5)", "'*' needs " + TopKRows + ", but 'TopK(D(G(z)), 0.5)' is over the top rows of the batch only"));

    [Fact]
    public void GAN0025_TopKOfTopKsWithDifferentFractions() => Expect($$"""[GanLoss("t")] public partial class T { {{DLoss}} [GeneratorLoss] static Loss Gl => Mean(Max(TopK(D(G(z)), 0.5), TopK(D(G(z)), 0.25))); }""",
        ("GAN0025", "TopK(D(G(z)), 0.25)", "'Max(...)' needs " + TopKRows + ", but 'TopK(D(G(z)), 0.25)' is over the top rows of the batch only"));

    [Fact]
    public void GAN0025_TopKOfABatchOfSamples() => Expect($$"""[GanLoss("t")] public partial class T { {{DLoss}} [GeneratorLoss] static Loss Gl => -Mean(D(G(z))) + Mean(TopK(G(z), 0.5)); }""",
        ("GAN0025", "G(z)", "'TopK(...)' needs a per-sample value (one number per sample, e.g. D(G(z))), but 'G(z)' is a batch of samples"));

    [Fact]
    public void GAN0025_TopKFractionThatIsATensor() => Expect($$"""[GanLoss("t")] public partial class T { {{DLoss}} [GeneratorLoss] static Loss Gl => Mean(TopK(D(G(z)), Mean(Sigmoid(D(x))))); }""",
        ("GAN0025", "Mean(Sigmoid(D(x)))", "'TopK(...)' needs a constant, hyperparameter or state fraction, but 'Mean(Sigmoid(D(x)))' is a scalar"));

    [Fact]
    public void GAN0045_TopKFractionOutOfRange() => Expect($$"""[GanLoss("t")] public partial class T { {{DLoss}} [GeneratorLoss] static Loss Gl => Mean(TopK(D(G(z)), 1.5)); }""",
        ("GAN0045", "1.5", "The fraction '1.5' of TopK is 1.5, which cannot run: use a fraction in (0, 1], e.g. 'TopK(D(G(z)), 0.5)'"));

    [Fact]
    public void TopKFraction_MayBeAHyperparameterOrState()
    {
        var run = TestSupport.RunAndCheck(TestSupport.Prelude + $$"""
            [GanLoss("t")] public partial class T
            {
                [Hyper] const double Nu = 0.75;
                [State(1.0, StateUpdateTiming.EndOfEpoch)] static Expr K => Max(K * 0.99, Nu);
                {{DLoss}}
                [GeneratorLoss] static Loss Gl => Mean(Softplus(-TopK(D(G(z)), K))) + Mean(TopK(D(G(z)), Nu));
            }
            """);
        Assert.Empty(run.Diagnostics);
    }

    [Fact]
    public void GAN0015_MisspelledHyperparameter_SuggestsTheNearestName() => Expect($$"""[GanLoss("t")] public partial class T { [Hyper] const double Lambda = 1; {{DLoss}} [GeneratorLoss] static Loss Gl => Lamda * Mean(Softplus(-D(G(z)))); }""",
        ("GAN0015", "Lamda", "'Lamda' is not declared: did you mean 'Lambda'? If not, for a network, declare it in the loss class with '[Network(NetworkRole.Critic, NetworkOutput.Score)] private static partial Expr Lamda(Expr v);'"));

    [Fact]
    public void GAN0015_MisspelledWord_SuggestsTheVocabulary() => Expect($$"""[GanLoss("t")] public partial class T { {{DLoss}} [GeneratorLoss] static Loss Gl => Mean(Tahn(-D(G(z)))); }""",
        ("GAN0015", "Tahn", "'Tahn' is not declared: did you mean 'Tanh'? If not, for a network, declare it in the loss class with '[Network(NetworkRole.Critic, NetworkOutput.Score)] private static partial Expr Tahn(Expr v);'"));

    [Fact]
    public void GAN0015_WrongCase_SuggestsTheDeclaredSpelling() => Expect($$"""[GanLoss("t")] public partial class T { {{DLoss}} [GeneratorLoss] static Loss Gl => mean(Softplus(-D(G(z)))); }""",
        ("GAN0015", "mean", "'mean' is not declared: did you mean 'Mean'? If not, for a network, declare it in the loss class with '[Network(NetworkRole.Critic, NetworkOutput.Score)] private static partial Expr mean(Expr v);'"));

    [Fact]
    public void GAN0026_ExpOfAnUnboundedCriticOutput()
    {
        var run = GeneratorTestDriver.Run(TestSupport.Prelude + $$"""[GanLoss("t")] public partial class T { {{DLoss}} [GeneratorLoss] static Loss Gl => Mean(Exp(-D(G(z)))) + Mean(Exp(-Softplus(D(G(z))))); }""");
        Expect(run, ("GAN0026", "Exp(-D(G(z)))", "'Exp(-D(G(z)))' takes the exponential of '-D(G(z))', an unbounded critic output: it overflows to infinity once the output passes about 88 (float32), and the loss becomes NaN or infinite; "
            + "bound it, e.g. 'Exp(Clamp(-D(G(z)), -80, 80))', or write the stable word for the whole expression: LogSumExp(v) for Log(Sum(Exp(v))), Softplus(v) for Log(1 + Exp(v)), Expm1(v) for Exp(v) - 1"));
        // A warning, so the loss builds, and the generated LossInfo carries it for the run's non-finite guard.
        Assert.Contains("new(false, \"GAN0026\", \"Exp(-D(G(z)))\", \"bound it, e.g.", run.Files.Values.Single());
    }

    [Fact]
    public void GAN0023_IsCarriedIntoLossInfo_ForTheLossItWasFoundIn()
    {
        var run = TestSupport.RunAndCheck(TestSupport.Prelude + $$"""[GanLoss("t")] public partial class T { [DiscriminatorLoss] static Loss Dl => -Mean(Log(D(x))) - Mean(Log(1 - Sigmoid(D(G(z))))); {{GLoss}} }""");
        var code = run.Files.Values.Single();
        Assert.Contains("Warnings = new global::GanDsl.LossWarning[]", code);
        Assert.Contains("new(true, \"GAN0023\", \"Log(D(x))\", \"if the critic outputs a logit, write 'LogSigmoid(D(x))' (its output read as the probability sigmoid(logit)); for a critic score, drop the Log\"),", code);
    }

    [Fact]
    public void GAN0025_CriticOfNoise() => Expect($$"""[GanLoss("t")] public partial class T { [DiscriminatorLoss] static Loss Dl => Mean(D(x)) - Mean(D(z)); {{GLoss}} }""",
        ("GAN0025", "z", "'D(...)' needs a batch of data samples (x, G(z), ...), but 'z' is a batch of noise vectors"));

    [Fact]
    public void GAN0044_AdamBetaOutsideTheUnitInterval() => Expect($$"""[GanLoss("t"), Adam(1e-4, 0.5, 1.5)] public partial class T { {{DLoss}} {{GLoss}} }""",
        ("GAN0044", "1.5", "The beta2 of [Adam] is 1.5: use a value in [0, 1), e.g. [Adam(2e-4, 0.5, 0.999)]"));

    [Fact]
    public void GAN0045_ClampWithMinAboveMax() => Expect($$"""[GanLoss("t")] public partial class T { [DiscriminatorLoss] static Loss Dl => Mean(Clamp(D(x), 1, -1)) - Mean(D(G(z))); {{GLoss}} }""",
        ("GAN0045", "Clamp(D(x), 1, -1)", "The range of 'Clamp(D(x), 1, -1)' is [1, -1], which cannot run: write Clamp(v, min, max) with min <= max"));

    [Fact]
    public void GAN0020_LossNotScalar() => Expect($$"""[GanLoss("t")] public partial class T { {{DLoss}} [GeneratorLoss] static Loss Gl => -D(G(z)); }""",
        ("GAN0020", "-D(G(z))", "The loss '-D(G(z))' is per-sample (one value per sample), not a scalar: reduce it, e.g. 'Mean(...)'"));

    [Fact]
    public void GAN0021_DiscriminatorLossWithoutCritic() => Expect($$"""[GanLoss("t")] public partial class T { [DiscriminatorLoss] static Loss Dl => Mean(Square(G(z))); {{GLoss}} }""",
        ("GAN0021", "Mean(Square(G(z)))", "The discriminator loss 'Mean(Square(G(z)))' sends no gradient to any critic-role network, so its step trains nothing (StopGradient, Step and Std pass no gradient, and G(z) is a constant in this step): use D(...) (or a declared critic) outside them"));

    [Fact]
    public void GAN0022_GeneratorLossWithoutG() => Expect($$"""[GanLoss("t")] public partial class T { {{DLoss}} [GeneratorLoss] static Loss Gl => Mean(D(x)); }""",
        ("GAN0022", "Mean(D(x))", "The generator loss 'Mean(D(x))' sends no gradient to G, so its step trains nothing (StopGradient, Step and Std pass no gradient): use G(z) outside them, e.g. '-Mean(D(G(z)))'"));

    [Fact]
    public void GAN0023_LogOfCriticOutput_IsAWarning_AndStillGenerates()
    {
        var run = GeneratorTestDriver.Run(TestSupport.Prelude + $$"""[GanLoss("t")] public partial class T { {{DLoss}} [GeneratorLoss] static Loss Gl => -Mean(Log(D(G(z)))); }""");
        Expect(run, ("GAN0023", "Log(D(G(z)))", "'Log(D(G(z)))' takes the log of 'D(G(z))', an unbounded critic output that can be negative: if the critic outputs a logit, write 'LogSigmoid(D(G(z)))' (the same loss with the critic's output read as the probability sigmoid(logit)); for a critic score, drop the Log"));
        Assert.Equal(DiagnosticSeverity.Warning, run.Diagnostics.Single().Severity);
        Assert.Single(run.Files);
        run.AssertCompiles();
    }

    [Fact]
    public void GAN0023_IsSilencedByPragma()
    {
        var run = GeneratorTestDriver.Run(TestSupport.Prelude + $$"""
            [GanLoss("t")] public partial class T
            {
                {{DLoss}}
            #pragma warning disable GAN0023 // a bounded D in this experiment
                [GeneratorLoss] static Loss Gl => -Mean(Log(D(G(z))));
            #pragma warning restore GAN0023
            }
            """);
        Assert.Null(run.Exception);
        Assert.Empty(run.Diagnostics);
        Assert.Single(run.Files);
    }

    [Fact]
    public void GAN0024_GradOfValueNotDependingOnInput() => Expect($$"""[GanLoss("t")] public partial class T { [DiscriminatorLoss] static Loss Dl => Mean(D(x)) + Mean(Norm(Grad(D(x), G(z)))); {{GLoss}} }""",
        ("GAN0024", "Grad(D(x), G(z))", "'Grad(D(x), G(z))' has no gradient path from its value to 'G(z)' in the critic step (StopGradient, Step, Std, random draws and constants pass no gradient, and G is a constant in the critic step): differentiate an expression that uses 'G(z)' directly, e.g. 'Grad(D(G(z)), G(z))'"));

    [Fact]
    public void GAN0025_MetadataMacroWithTensorExponent_PointsAtTheCallSite()
    {
        var library = MacroLibrary("""public static class Lib { [Macro("Pow(v, Mean(v))")] public static Expr Bad(Expr v) => v; }""");
        var run = RunWithLibrary(library, $$"""[GanLoss("t")] public partial class T { {{DLoss}} [GeneratorLoss] static Loss Gl => Mean(Lib.Bad(D(G(z)))); }""");
        Expect(run, ("GAN0025", "Lib.Bad(D(G(z)))", "'Pow(...)' needs a constant exponent, but 'Mean(v)' is a scalar"));
    }

    [Fact]
    public void GAN0040_CriticStepsNotPositive() => Expect($$"""[GanLoss("t"), CriticSteps(0)] public partial class T { {{DLoss}} {{GLoss}} }""",
        ("GAN0040", "0", "CriticSteps(0) must be between 1 and 1000: write e.g. [CriticSteps(5)]"));

    [Fact]
    public void GAN0041_ClipWeightsOfUnknownNetwork() => Expect($$"""[GanLoss("t"), ClipWeights("Q", 0.01)] public partial class T { {{DLoss}} {{GLoss}} }""",
        ("GAN0041", "ClipWeights(\"Q\", 0.01)", "ClipWeights for 'Q' names no network the loss uses: use one of G, D"));

    [Fact]
    public void GAN0041_ClipWeightsWithMinAboveMax() => Expect($$"""[GanLoss("t"), ClipWeights("D", 0.5, -0.5)] public partial class T { {{DLoss}} {{GLoss}} }""",
        ("GAN0041", "ClipWeights(\"D\", 0.5, -0.5)", "ClipWeights for 'D' has min 0.5 above max -0.5: write [ClipWeights(\"D\", min, max)] with min <= max"));

    [Fact]
    public void GAN0042_StateUpdateNotScalar() => Expect($$"""[GanLoss("t")] public partial class T { [State(0, StateUpdateTiming.AfterCriticStep)] static Expr k => D(x); {{DLoss}} {{GLoss}} }""",
        ("GAN0042", "D(x)", "The update of state 'k' is per-sample (one value per sample), not a scalar: reduce it, e.g. 'Mean(...)'"));

    [Fact]
    public void GAN0043_StateWithoutExpressionBody() => Expect($$"""[GanLoss("t")] public partial class T { [State(0, StateUpdateTiming.AfterCriticStep)] static Expr k { get { return Mean(D(x)); } } {{DLoss}} {{GLoss}} }""",
        ("GAN0043", "k", "State 'k' must be an expression-bodied property whose body is its update rule: write '[State(0, StateUpdateTiming.AfterCriticStep)] static Expr k => <new value>;'"));

    [Fact]
    public void GAN0060_LanguageVersionBelowTen()
    {
        var source = $$"""
            using GanDsl;
            using static GanDsl.Vocabulary;
            namespace Samples { [GanLoss("t")] public partial class T { {{DLoss}} {{GLoss}} } }
            """;
        var run = GeneratorTestDriver.Run(GeneratorTestDriver.CreateCompilation(new[] { source }, LanguageVersion.CSharp9));
        Expect(run, ("GAN0060", "T", "The code generated for 'T' uses file-scoped namespaces, which need C# 10: set <LangVersion>10</LangVersion> or later"));
        Assert.Empty(run.Files);
    }

    [Fact]
    public void GAN0015_UndeclaredNetwork_SaysHowToDeclareIt()
    {
        var run = GeneratorTestDriver.Run(TestSupport.Prelude + $$"""[GanLoss("t")] public partial class T { {{DLoss}} [GeneratorLoss] static Loss Gl => -Mean(Nope(G(z))); }""");
        Expect(run, ("GAN0015", "Nope", "'Nope' is not declared: for a network, declare it in the loss class with '[Network(NetworkRole.Critic, NetworkOutput.Score)] private static partial Expr Nope(Expr v);'; otherwise use a member of GanDsl.Vocabulary"));
        Assert.Empty(run.Files);
        Assert.Contains(run.CompilationErrors, d => d.Id == "CS0103");
    }

    [Fact]
    public void ErrorInLossWithDeclaredNetwork_StillImplementsTheNetwork()
    {
        var run = GeneratorTestDriver.Run(TestSupport.Prelude + $$"""
            [GanLoss("t")] public partial class T
            {
                [Network(NetworkRole.Critic, NetworkOutput.Score)] private static partial Expr A(Expr v);
                {{DLoss}}
                [GeneratorLoss] static Loss Gl => -A(G(z));
            }
            """);
        Assert.Equal("GAN0020", Assert.Single(run.Diagnostics).Id);
        Assert.Empty(run.CompilationErrors);
    }

    /// <summary>A compiled DSL library (metadata only for the loss compilation), to test [Macro] texts.</summary>
    internal static MetadataReference MacroLibrary(string source)
    {
        var compilation = GeneratorTestDriver.CreateCompilation(new[] { "using GanDsl;\nusing static GanDsl.Vocabulary;\n" + source }, assemblyName: "MacroLibrary");
        using var stream = new MemoryStream();
        var emitted = compilation.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        return MetadataReference.CreateFromImage(stream.ToArray());
    }

    internal static GeneratorRun RunWithLibrary(MetadataReference library, string source) =>
        GeneratorTestDriver.Run(GeneratorTestDriver.CreateCompilation(new[] { TestSupport.Prelude + source }).AddReferences(library));
}
