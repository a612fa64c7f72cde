using GanDsl.Testing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using static GanDsl.Generator.GanLossGenerator;

namespace GanDsl.Generator.Tests;

/// <summary>Edit scenarios: what re-runs and what stays cached (tracked step run reasons).</summary>
public sealed class IncrementalTests
{
    private const string LossA = """
        [GanLoss("a")] public partial class A
        {
            [DiscriminatorLoss] static Loss Dl => Mean(Softplus(-D(x))) + Mean(Softplus(D(G(z))));
            [GeneratorLoss] static Loss Gl => Mean(Softplus(-D(G(z))));
        }
        """;

    private const string LossB = """
        [GanLoss("b")] public partial class B
        {
            [Hyper] const double Lambda = 10;
            [DiscriminatorLoss] static Loss Dl => Mean(D(G(z))) - Mean(D(x)) + Lambda * Helpers.Penalty(Between(x, G(z)));
            [GeneratorLoss] static Loss Gl => -Mean(D(G(z)));
        }
        """;

    private const string HelpersFile = """
        public static class Helpers
        {
            public static Expr Penalty(Expr at) => Mean(Square(Norm(Grad(D(at), at)) - 1));
        }
        """;

    private static CSharpCompilation Initial() => GeneratorTestDriver.CreateCompilation(new[]
    {
        ("A.cs", TestSupport.Prelude + LossA),
        ("B.cs", TestSupport.Prelude + LossB),
        ("Helpers.cs", TestSupport.Prelude + HelpersFile),
    });

    private static Compilation Replace(Compilation compilation, string path, string newText)
    {
        var old = compilation.SyntaxTrees.Single(t => t.FilePath == path);
        return compilation.ReplaceSyntaxTree(old, old.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(newText)));
    }

    private static Dictionary<string, IncrementalStepRunReason> OptimizedReasons(GeneratorRun run) =>
        run.Result.Results[0].TrackedSteps[Steps.Optimized]
            .SelectMany(step => step.Outputs)
            .ToDictionary(o => ((OptimizedSpec)o.Value).Spec.TypeName, o => o.Reason);

    private static IEnumerable<IncrementalStepRunReason> Reasons(GeneratorRun run, string step) =>
        run.Result.Results[0].TrackedSteps.TryGetValue(step, out var runs) ? runs.SelectMany(r => r.Outputs).Select(o => o.Reason) : [];

    [Fact]
    public void EditingOneLossExpression_RegeneratesThatLossOnly()
    {
        var first = GeneratorTestDriver.Run(Initial()).AssertCompiles();
        var edited = Replace(first.InputCompilation, "A.cs", TestSupport.Prelude + LossA.Replace("Mean(Softplus(-D(G(z))))", "-Mean(D(G(z)))"));
        var second = first.RunAgain(edited).AssertCompiles();

        var reasons = OptimizedReasons(second);
        Assert.Equal(IncrementalStepRunReason.Modified, reasons["A"]);
        Assert.True(reasons["B"] is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, reasons["B"].ToString());
        Assert.NotEqual(first.Files["Samples.A.g.cs"], second.Files["Samples.A.g.cs"]);
        Assert.Equal(first.Files["Samples.B.g.cs"], second.Files["Samples.B.g.cs"]);
        TestSupport.AssertNoRoslynObjects(second);
    }

    [Fact]
    public void UnrelatedEdit_LeavesEveryStepFromTheSpecOnCached()
    {
        var first = GeneratorTestDriver.Run(Initial());
        var edited = first.InputCompilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("public class Unrelated { public int X => 1; }", GeneratorTestDriver.ParseOptions(), "Unrelated.cs"));
        var second = first.RunAgain(edited);

        foreach (var step in new[] { Steps.Spec, Steps.Optimized })
        {
            var reasons = Reasons(second, step).ToList();
            Assert.NotEmpty(reasons);
            Assert.All(reasons, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {r}"));
        }
        Assert.Equal(first.Files, second.Files);
    }

    [Fact]
    public void CommentEditInsideALossFile_DoesNotRegenerate()
    {
        var first = GeneratorTestDriver.Run(Initial());
        var edited = Replace(first.InputCompilation, "A.cs", TestSupport.Prelude + "// a note on the experiment\n" + LossA);
        var second = first.RunAgain(edited);
        Assert.All(OptimizedReasons(second).Values, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
    }

    [Fact]
    public void EditingAnInlinedHelperInAnotherFile_RegeneratesTheLossUsingIt()
    {
        var first = GeneratorTestDriver.Run(Initial());
        var edited = Replace(first.InputCompilation, "Helpers.cs", TestSupport.Prelude + HelpersFile.Replace("Norm(Grad(D(at), at)) - 1", "Norm(Grad(D(at), at))"));
        var second = first.RunAgain(edited).AssertCompiles();

        var reasons = OptimizedReasons(second);
        Assert.Equal(IncrementalStepRunReason.Modified, reasons["B"]);
        Assert.True(reasons["A"] is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, reasons["A"].ToString());
        Assert.DoesNotContain("MseLoss", second.Files["Samples.B.g.cs"]);
        Assert.Contains("MseLoss", first.Files["Samples.B.g.cs"]);
    }

    [Fact]
    public void AddingALossClass_LeavesTheOthersUnchanged_AndAddsOne()
    {
        var first = GeneratorTestDriver.Run(Initial());
        var edited = first.InputCompilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(
            TestSupport.Prelude + LossA.Replace("class A", "class C").Replace("\"a\"", "\"c\""), GeneratorTestDriver.ParseOptions(), "C.cs"));
        var second = first.RunAgain(edited).AssertCompiles();

        var reasons = OptimizedReasons(second);
        Assert.Equal(IncrementalStepRunReason.New, reasons["C"]);
        Assert.All(new[] { reasons["A"], reasons["B"] }, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
        Assert.Equal(3, second.Files.Count);
    }

    [Fact]
    public void SpecsOfTheSameSource_AreEqual()
    {
        var a = GeneratorTestDriver.Run(Initial());
        var b = GeneratorTestDriver.Run(Initial());
        var specsA = a.Result.Results[0].TrackedSteps[Steps.Spec].SelectMany(s => s.Outputs).Select(o => o.Value).ToList();
        var specsB = b.Result.Results[0].TrackedSteps[Steps.Spec].SelectMany(s => s.Outputs).Select(o => o.Value).ToList();
        Assert.Equal(specsA, specsB);
        Assert.Equal(specsA.Select(s => s!.GetHashCode()), specsB.Select(s => s!.GetHashCode()));
    }
}
