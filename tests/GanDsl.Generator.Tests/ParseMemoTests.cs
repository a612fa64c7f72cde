using System.Globalization;
using GanDsl.Testing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using static GanDsl.Generator.GanLossGenerator;

namespace GanDsl.Generator.Tests;

/// <summary>
/// The parse memo (<see cref="GanLossGenerator.ParseMemo"/>): an edit re-parses exactly the classes it can
/// affect. Every scenario also compares the memo-driven rerun with a fresh generator on the same compilation
/// (same files, same diagnostics), so a stale result fails whichever way it is stale.
/// </summary>
public sealed class ParseMemoTests
{
    private const string Usings = "using GanDsl;\nusing static GanDsl.Vocabulary;\n\n";

    private const string LossB = Usings + """
        namespace Lab.Losses;

        [GanLoss("b")] public partial class B
        {
            [Hyper] const double Lambda = Defaults.Weight;
            [DiscriminatorLoss] static Loss Dl => Mean(D(G(z))) - Mean(D(x)) + Lambda * Helpers.Penalty(Between(x, G(z)));
            [GeneratorLoss] static Loss Gl => -Mean(D(G(z)));
        }
        """;

    private const string HelpersFile = Usings + """
        namespace Lab;

        public static class Helpers
        {
            public static Expr Penalty(Expr at) => Mean(Square(Norm(Grad(D(at), at)) - 1));
        }
        """;

    private const string DefaultsFile = "namespace Lab;\n\npublic static class Defaults\n{\n    public const double Weight = 10;\n}\n";

    private const string UtilFile = "public static class Util\n{\n    public static int Answer()\n    {\n        return 41;\n    }\n}\n";

    /// <summary>A loss like A of the incremental tests, as class <c>L{i}</c> in its own file.</summary>
    private static string SimpleLoss(int i) => Usings + $$"""
        namespace Lab.Losses;

        [GanLoss("l{{i}}")] public partial class L{{i}}
        {
            [DiscriminatorLoss] static Loss Dl => Mean(Softplus(-D(x))) + Mean(Softplus(D(G(z))));
            [GeneratorLoss] static Loss Gl => Mean(Softplus(-D(G(z))));
        }
        """;

    private static Compilation Initial(int simpleLosses = 3)
    {
        var sources = new List<(string, string)> { ("B.cs", LossB), ("Helpers.cs", HelpersFile), ("Defaults.cs", DefaultsFile), ("Util.cs", UtilFile) };
        for (var i = 0; i < simpleLosses; i++) sources.Add(($"L{i}.cs", SimpleLoss(i)));
        return GeneratorTestDriver.CreateCompilation(sources);
    }

    /// <summary>A generator whose memo the test can read, in a driver that tracks steps.</summary>
    private sealed class MemoRun
    {
        private readonly GanLossGenerator _generator = new();
        private int _parses, _hits;

        public MemoRun(Compilation compilation)
        {
            var driver = CSharpGeneratorDriver.Create(new[] { _generator.AsSourceGenerator() }, parseOptions: GeneratorTestDriver.ParseOptions(),
                driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
            Run = GeneratorTestDriver.Run(driver, compilation);
            TakeCounts();
        }

        public GeneratorRun Run { get; private set; }

        /// <summary>Classes parsed and results reused by the last run.</summary>
        public (int Parses, int Hits) Last { get; private set; }

        public GeneratorRun Edit(Func<Compilation, Compilation> edit)
        {
            Run = Run.RunAgain(edit(Run.InputCompilation));
            TakeCounts();
            AssertSameAsFreshRun(Run);
            return Run;
        }

        private void TakeCounts()
        {
            Last = (_generator.Memo.Parses - _parses, _generator.Memo.Hits - _hits);
            (_parses, _hits) = (_generator.Memo.Parses, _generator.Memo.Hits);
        }
    }

    /// <summary>The oracle: a fresh generator (no memo, no driver state) on the same compilation gives the same files and diagnostics.</summary>
    private static void AssertSameAsFreshRun(GeneratorRun run)
    {
        var fresh = GeneratorTestDriver.Run(run.InputCompilation);
        Assert.Equal(fresh.Files, run.Files);
        Assert.Equal(DescribeWithFile(fresh), DescribeWithFile(run));
    }

    private static List<string> DescribeWithFile(GeneratorRun run) =>
        run.Diagnostics.Select(d => d.Id + " " + d.Location.SourceTree?.FilePath + d.Location.SourceSpan + " " + d.GetMessage(CultureInfo.InvariantCulture)).ToList();

    private static Compilation Replace(Compilation compilation, string path, Func<string, string> edit)
    {
        var old = compilation.SyntaxTrees.Single(t => t.FilePath == path);
        var text = old.GetText().ToString();
        var newText = edit(text);
        Assert.NotEqual(text, newText);   // the edit applied
        return compilation.ReplaceSyntaxTree(old, old.WithChangedText(SourceText.From(newText)));
    }

    private static Compilation Add(Compilation compilation, string path, string text) =>
        compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(text, GeneratorTestDriver.ParseOptions(), path));

    private static IEnumerable<IncrementalStepRunReason> ParsedReasons(GeneratorRun run) =>
        run.Result.Results[0].TrackedSteps[Steps.Parsed].SelectMany(s => s.Outputs).Select(o => o.Reason);

    [Fact]
    public void FirstRun_ParsesEveryClass()
    {
        var memo = new MemoRun(Initial());
        Assert.Equal((4, 0), memo.Last);
        Assert.Empty(memo.Run.Diagnostics);
        memo.Run.AssertCompiles();
    }

    [Fact]
    public void BodyOnlyEditInAnUnrelatedFile_ReparsesNoLoss()
    {
        var memo = new MemoRun(Initial(simpleLosses: 49));
        var first = memo.Run;

        var second = memo.Edit(c => Replace(c, "Util.cs", t => t.Replace("return 41;", "return 42; // the answer")));

        Assert.Equal((0, 50), memo.Last);
        Assert.All(ParsedReasons(second), r => Assert.Equal(IncrementalStepRunReason.Unchanged, r));
        Assert.Equal(first.Files, second.Files);
    }

    [Fact]
    public void EditingOneLoss_ReparsesThatLossOnly()
    {
        var memo = new MemoRun(Initial(simpleLosses: 49));
        var first = memo.Run;

        var second = memo.Edit(c => Replace(c, "L7.cs", t => t.Replace("Mean(Softplus(-D(G(z))))", "-Mean(D(G(z)))")));

        Assert.Equal((1, 49), memo.Last);
        Assert.NotEqual(first.Files["Lab.Losses.L7.g.cs"], second.Files["Lab.Losses.L7.g.cs"]);
        Assert.Single(second.Files, f => first.Files[f.Key] != f.Value);
    }

    [Fact]
    public void DeclarationEditInAnUnrelatedFile_ReparsesEveryLoss()
    {
        // A new member anywhere may change what a name binds to; the memo does not try to tell.
        var memo = new MemoRun(Initial());

        memo.Edit(c => Replace(c, "Util.cs", t => t.Replace("public static int Answer()", "public static int Other => 1;\n    public static int Answer()")));

        Assert.Equal((4, 0), memo.Last);
    }

    [Fact]
    public void EditingAMacroBodyInAnotherFile_RegeneratesTheLossUsingIt_WithTheNewText()
    {
        var memo = new MemoRun(Initial());
        var first = memo.Run;

        var second = memo.Edit(c => Replace(c, "Helpers.cs", t => t.Replace("Norm(Grad(D(at), at)) - 1", "Norm(Grad(D(at), at)) - 2")));

        Assert.Equal((1, 3), memo.Last);   // B only: the L classes never read Helpers.cs
        Assert.Contains("MseLoss(t9, 1d)", first.Files["Lab.Losses.B.g.cs"]);
        Assert.Contains("MseLoss(t9, 2d)", second.Files["Lab.Losses.B.g.cs"]);
    }

    [Fact]
    public void EditingAConstantDefaultInAnotherFile_UpdatesTheHyperparameter()
    {
        var memo = new MemoRun(Initial());
        var first = memo.Run;

        var second = memo.Edit(c => Replace(c, "Defaults.cs", t => t.Replace("Weight = 10;", "Weight = 5;")));

        Assert.Contains("new(\"Lambda\", 10d", first.Files["Lab.Losses.B.g.cs"]);
        Assert.Contains("new(\"Lambda\", 5d", second.Files["Lab.Losses.B.g.cs"]);
    }

    [Fact]
    public void ATypeInAnotherFileThatShadowsAMacrosType_RebindsTheLoss()
    {
        // Lab.Losses.Helpers, added to a file B never read (same number of files), hides Lab.Helpers from
        // inside namespace Lab.Losses: only the declaration signature can tell.
        var memo = new MemoRun(Initial());
        var first = memo.Run;

        var second = memo.Edit(c => Replace(c, "Util.cs", t => Usings + t + """

            namespace Lab.Losses
            {
                public static class Helpers
                {
                    public static Expr Penalty(Expr at) => Mean(Square(Norm(Grad(D(at), at))));
                }
            }
            """));

        Assert.Contains("MseLoss", first.Files["Lab.Losses.B.g.cs"]);
        Assert.DoesNotContain("MseLoss", second.Files["Lab.Losses.B.g.cs"]);
    }

    [Fact]
    public void AStaticMemberInAnotherFileThatShadowsTheVocabulary_RebindsTheLoss()
    {
        // A new partial part of L0 declares a macro 'x': inside L0 it hides GanDsl.Vocabulary.x.
        var memo = new MemoRun(Initial());
        var first = memo.Run;

        var second = memo.Edit(c => Add(c, "L0.Part.cs", Usings + "namespace Lab.Losses;\n\npublic partial class L0\n{\n    static Expr x => G(z2);\n}\n"));

        // The memo must notice: L0 is re-parsed and now reports the hidden vocabulary name (GAN0013), L1 is untouched.
        Assert.Contains("UsesSecondNoise: false", first.Files["Lab.Losses.L0.g.cs"]);
        var diagnostic = Assert.Single(second.Diagnostics);
        Assert.Equal("GAN0013", diagnostic.Id);
        Assert.Equal("L0.Part.cs", diagnostic.Location.SourceTree?.FilePath);
        Assert.DoesNotContain("Lab.Losses.L0.g.cs", second.Files.Keys);
        Assert.Equal(first.Files["Lab.Losses.L1.g.cs"], second.Files["Lab.Losses.L1.g.cs"]);
    }

    [Fact]
    public void APartialPartInAnotherFileAddingASecondGeneratorLoss_ReportsGAN0007()
    {
        var memo = new MemoRun(Initial());

        var second = memo.Edit(c => Add(c, "L1.Part.cs", Usings + "namespace Lab.Losses;\n\npublic partial class L1\n{\n    [GeneratorLoss] static Loss Gl2 => -Mean(D(G(z)));\n}\n"));

        var diagnostic = Assert.Single(second.Diagnostics);
        Assert.Equal("GAN0007", diagnostic.Id);
        Assert.Equal("L1.Part.cs", diagnostic.Location.SourceTree?.FilePath);
        Assert.DoesNotContain("Lab.Losses.L1.g.cs", second.Files.Keys);
    }

    [Fact]
    public void EditingThePartialPartOfALoss_ReparsesIt_AndRemovingTheMacroFile_DropsTheLoss()
    {
        var memo = new MemoRun(Add(Initial(), "B.Part.cs", Usings + "namespace Lab.Losses;\n\npublic partial class B\n{\n    static Expr Unused => Mean(D(x));\n}\n"));
        var first = memo.Run;

        // A body edit in the part: B depends on it (its members), the L classes do not.
        var second = memo.Edit(c => Replace(c, "B.Part.cs", t => t.Replace("Mean(D(x))", "Mean(D(G(z)))")));
        Assert.Equal((1, 3), memo.Last);
        Assert.NotEqual(first.Files["Lab.Losses.B.g.cs"], second.Files["Lab.Losses.B.g.cs"]);

        // Without Helpers.cs, 'Helpers' does not bind (the compiler's CS0103): no file for B, and no GAN diagnostic.
        var third = memo.Edit(c => c.RemoveSyntaxTrees(c.SyntaxTrees.Single(t => t.FilePath == "Helpers.cs")));
        Assert.DoesNotContain("Lab.Losses.B.g.cs", third.Files.Keys);
        Assert.Contains("Lab.Losses.L0.g.cs", third.Files.Keys);
    }

    [Fact]
    public void ChangingTheMetadataReferences_ReparsesEveryLoss()
    {
        var memo = new MemoRun(Initial());

        // The same list of reference objects reuses every result; a new object for GanDsl.Dsl (a rebuilt
        // assembly, as far as the memo can tell) reuses none.
        memo.Edit(c => c.RemoveReferences(c.References.Last()).AddReferences(c.References.Last()));
        Assert.Equal((0, 4), memo.Last);

        memo.Edit(c =>
        {
            var dsl = c.References.OfType<PortableExecutableReference>().Single(r => Path.GetFileName(r.FilePath) == "GanDsl.Dsl.dll");
            return c.ReplaceReference(dsl, MetadataReference.CreateFromFile(dsl.FilePath!));
        });
        Assert.Equal((4, 0), memo.Last);
    }

    [Fact]
    public void ADiagnosticOfAReusedResult_StillPointsAtTheRightSource()
    {
        var memo = new MemoRun(Add(Initial(), "Bad.cs", Usings + "namespace Lab.Losses;\n\n[GanLoss(\"bad\")] public partial class Bad\n{\n    [GeneratorLoss] static Loss Gl => -Mean(D(G(z))) + System.Math.Log(2);\n}\n"));
        Assert.Equal("GAN0003", Assert.Single(memo.Run.Diagnostics).Id);

        var second = memo.Edit(c => Replace(c, "Util.cs", t => t.Replace("return 41;", "return 40;")));

        Assert.Equal((0, 5), memo.Last);
        var diagnostic = Assert.Single(second.Diagnostics);
        Assert.Equal("System.Math.Log", diagnostic.Location.SourceTree!.GetText().ToString(diagnostic.Location.SourceSpan));
    }
    private const string SignatureBase = """
        using System;
        namespace N;
        public class C
        {
            public const double K = 1;
            static readonly int s_r = 3;
            public static int M(int a = 2) { return a + 1; }
            public int P => 4;
            public int Q { get { return 5; } }
            public int R { get; } = 6;
        }
        """;

    [Theory]
    [InlineData("return a + 1;", "return a + 2; // edited")]
    [InlineData("P => 4;", "P => 40;")]
    [InlineData("return 5;", "return 50;")]
    [InlineData("} = 6;", "} = 60;")]
    [InlineData("s_r = 3;", "s_r = 30;")]
    [InlineData("public class C", "/// <summary>Doc.</summary>\npublic class C")]
    public void DeclarationSignature_IgnoresBodiesInitialisersAndComments(string from, string to) =>
        Assert.Equal(Signature(SignatureBase), Signature(Edited(from, to)));

    [Theory]
    [InlineData("K = 1;", "K = 2;")]
    [InlineData("int a = 2", "int a = 3")]
    [InlineData("int a = 2", "double a = 2")]
    [InlineData("using System;", "using static System.Math;")]
    [InlineData("public static int M", "public int M")]
    [InlineData("public int P", "public static int P")]
    [InlineData("public class C", "[Obsolete] public class C")]
    [InlineData("namespace N;", "namespace N.M;")]
    [InlineData("public int P => 4;", "public int P => 4;\n    public static int Log => 1;")]
    public void DeclarationSignature_ChangesWithDeclarations(string from, string to) =>
        Assert.NotEqual(Signature(SignatureBase), Signature(Edited(from, to)));

    private static string Edited(string from, string to)
    {
        var edited = SignatureBase.Replace(from, to);
        Assert.NotEqual(SignatureBase, edited);
        return edited;
    }

    private static ulong Signature(string text) => DeclarationSignature.Of(CSharpSyntaxTree.ParseText(text, GeneratorTestDriver.ParseOptions(), "S.cs"));
}
