using GanDsl.Testing;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GanDsl.Generator.Tests;

/// <summary>The code generated for every loss in src/Losses, compared with Snapshots/*.verified.cs, and compiled.</summary>
public sealed class SnapshotTests
{
    private static readonly Lazy<GeneratorRun> s_zoo = new(() => GeneratorTestDriver.Run(GeneratorTestDriver.CreateCompilation(TestSupport.LossProjectSources())));

    /// <summary>Every file of src/Losses that declares a [GanLoss] class.</summary>
    public static TheoryData<string> LossFiles()
    {
        var data = new TheoryData<string>();
        foreach (var (path, text) in TestSupport.LossProjectSources())
            if (text.Contains("[GanLoss(", StringComparison.Ordinal)) data.Add(path);
        return data;
    }

    [Theory]
    [MemberData(nameof(LossFiles))]
    public void LossFile_GeneratesVerifiedCode_ThatCompiles(string file)
    {
        var run = s_zoo.Value;
        Assert.Null(run.Exception);
        var fileName = Path.GetFileName(file);
        Assert.Empty(run.Diagnostics.Where(d => d.Location.SourceTree?.FilePath == fileName).Select(d => d.ToString()));

        // The [GanLoss] classes the file declares (a file name need not match its class).
        var tree = run.InputCompilation.SyntaxTrees.Single(t => t.FilePath == fileName);
        var classes = tree.GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>()
            .Where(c => c.AttributeLists.SelectMany(l => l.Attributes).Any(a => a.Name.ToString() is "GanLoss" or "GanLossAttribute"))
            .Select(c => c.Identifier.ValueText).ToList();
        Assert.NotEmpty(classes);
        var hints = run.Files.Keys.Where(h => classes.Any(c => h.EndsWith("." + c + ".g.cs", StringComparison.Ordinal) || h == c + ".g.cs")).ToList();
        Assert.Equal(classes.Count, hints.Count);
        foreach (var hint in hints)
        {
            Assert.Empty(run.CompilationErrors.Where(d => d.Location.SourceTree?.FilePath is { } p && (p == fileName || p.EndsWith(hint, StringComparison.Ordinal))).Select(d => d.ToString()));
            Snapshot.Verify(run.Files[hint], "Losses." + hint[..^".cs".Length]);
        }
    }

    [Fact]
    public void LossProject_CompilesWithAllGeneratedFiles_AndHasNoStaleSnapshots()
    {
        var run = s_zoo.Value;
        Assert.Null(run.Exception);
        Assert.Empty(run.Diagnostics.Select(d => d.ToString()));
        run.AssertCompiles();
        Snapshot.VerifyFileSet(run.Files.Keys.Select(h => "Losses." + h[..^".cs".Length]), "Losses.");
        TestSupport.AssertRerunIsCached(run);
    }
}
