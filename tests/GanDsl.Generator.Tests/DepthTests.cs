using System.Text;
using GanDsl.Generator;
using GanDsl.Testing;
using Microsoft.CodeAnalysis;

namespace GanDsl.Generator.Tests;

/// <summary>
/// Very large expressions build or get GAN0018, on a thread with .NET's default stack (1.5 MB on Linux),
/// never a stack overflow: the compiler runs generators on such threads.
/// </summary>
public sealed class DepthTests
{
    private const string DLoss = "[DiscriminatorLoss] static Loss Dl => Mean(Softplus(-D(x))) + Mean(Softplus(D(G(z))));";

    private static string Loss(string generatorLoss, string members = "") =>
        TestSupport.Prelude + "[GanLoss(\"deep\")] public partial class Deep { " + members + " " + DLoss + " [GeneratorLoss] static Loss Gl => " + generatorLoss + "; }";

    private static string Sum(int terms) => string.Join(" + ", Enumerable.Repeat("Mean(D(G(z)))", terms));

    private static string Nested(int depth, string inner) => string.Concat(Enumerable.Repeat("Abs(", depth)) + inner + new string(')', depth);

    /// <summary>Runs the generator and the compiler on a default-stack thread; a stack overflow would kill the test process.</summary>
    private static (GeneratorRun Run, List<(string Id, string Message, string Span)> Diagnostics, IReadOnlyList<Diagnostic> Errors) OnDefaultStack(string source, bool compile = true)
    {
        GeneratorRun? run = null;
        List<(string, string, string)>? diagnostics = null;
        IReadOnlyList<Diagnostic>? errors = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                run = GeneratorTestDriver.Run(source);
                diagnostics = TestSupport.Describe(run);
                errors = compile ? run.CompilationErrors : Array.Empty<Diagnostic>();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        }, maxStackSize: 0);
        thread.Start();
        thread.Join();
        Assert.Null(failure);
        Assert.Null(run!.Exception);
        return (run, diagnostics!, errors!);
    }

    private static void AssertTooDeep(string source)
    {
        // The compiler's own verdict on the user code is not asked for: binding 50,000 user-defined operators takes it most of a minute.
        var (run, diagnostics, _) = OnDefaultStack(source, compile: false);
        Assert.DoesNotContain(diagnostics, d => d.Id == "GAN0099");
        Assert.Empty(run.Files);
        if (!diagnostics.Any(d => d.Id == "GAN0018"))
        {
            // Where the parser itself gives up on this stack (it measures what is left, so this varies with
            // JIT tiering), its CS8078 is the diagnostic: there is no expression for the generator to read.
            var parse = run.InputCompilation.SyntaxTrees.Single().GetDiagnostics().Select(d => d.Id).ToList();
            Assert.True(parse.Contains("CS8078"), "neither GAN0018 nor the parser's CS8078; parse diagnostics: " + string.Join(", ", parse));
            return;
        }
        var tooDeep = Assert.Single(diagnostics, d => d.Id == "GAN0018");
        Assert.Equal("This expression is nested more than 1000 levels deep (after inlining macros), or sums or multiplies more than 10000 terms: split it into macros that are summed or reduced separately, or write a shorter expression", tooDeep.Message);
        Assert.NotEqual("", tooDeep.Span);   // a location in the source
        Assert.DoesNotContain(diagnostics, d => d.Id == "GAN0099");
        Assert.Empty(run.Files);
    }

    [Fact]
    public void SumOf50000Terms_ReportsGAN0018_OnADefaultStackThread() => AssertTooDeep(Loss(Sum(50_000)));

    /// <summary>A sum, a product or parentheses are one level, however long (issue 22): they build, compile and train.</summary>
    [Theory]
    [InlineData("sum")]
    [InlineData("signed_sum")]
    [InlineData("product")]
    [InlineData("parentheses")]
    public void FlatButLong_BuildsCompilesAndTrains_OnADefaultStackThread(string shape)
    {
        var loss = shape switch
        {
            "sum" => Sum(5_000),
            "signed_sum" => "Mean(D(G(z)))" + string.Concat(Enumerable.Range(0, 4_999).Select(i => (i % 3 == 0 ? " - " : " + ") + (i % 2 == 0 ? "Mean(D(G(z)))" : "Lambda * Mean(D(G(z2)))"))),
            "product" => "Mean(D(G(z)))" + string.Concat(Enumerable.Range(0, 2_999).Select(i => (i % 2 == 0 ? " * " : " / ") + "Sigmoid(Mean(D(G(z))))")),
            _ => "Mean(" + new string('(', 1_000) + "D(G(z))" + new string(')', 1_000) + ")",
        };
        var (run, diagnostics, errors) = OnDefaultStack(Loss(loss, "[Hyper] const double Lambda = 0.5;"));
        Assert.Empty(diagnostics);
        Assert.Single(run.Files);
        Assert.Empty(errors);
        Assert.Null(Training.TwoStepHarness.Train(run.OutputCompilation, ["Samples.Deep"])["Samples.Deep"]);
    }

    [Fact]
    public void Nesting5000Deep_ReportsGAN0018_OnADefaultStackThread() => AssertTooDeep(Loss("Mean(" + Nested(5_000, "D(G(z))") + ")"));

    [Fact]
    public void MacrosInlinedPastTheLimit_ReportGAN0018()
    {
        var macro = "static Expr M(Expr v) => " + Nested(10, "v") + ";";
        AssertTooDeep(Loss("Mean(" + string.Concat(Enumerable.Repeat("M(", 150)) + "D(G(z))" + new string(')', 150) + ")", macro));
    }

    [Theory]
    [InlineData("sum")]
    [InlineData("nesting")]
    public void JustBelowTheLimit_GeneratesCodeThatCompiles_OnADefaultStackThread(string shape)
    {
        var loss = shape == "sum" ? Sum(GanLossGenerator.Parser.MaxDepth - 10) : "Mean(" + Nested(GanLossGenerator.Parser.MaxDepth - 10, "D(G(z))") + ")";
        // The compiler binding 990 nested user calls takes it ~15 s: the nesting case checks the generator's passes (emitter included) only.
        var (run, diagnostics, errors) = OnDefaultStack(Loss(loss), compile: shape == "sum");
        Assert.Empty(diagnostics);
        Assert.Single(run.Files);
        Assert.Empty(errors);
    }
}
