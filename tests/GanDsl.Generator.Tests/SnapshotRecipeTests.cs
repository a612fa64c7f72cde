using GanDsl.Testing;

namespace GanDsl.Generator.Tests;

/// <summary>
/// The snapshot recipe a user copies from the README: sources found from the test file (not the working folder),
/// snapshot names without a doubled namespace, and a first run that lists every missing snapshot at once.
/// </summary>
public sealed class SnapshotRecipeTests
{
    private const string TwoLosses = """
        using GanDsl;
        using static GanDsl.Vocabulary;
        namespace MyLosses;
        [GanLoss("my-hinge")]
        public partial class MyHinge
        {
            [DiscriminatorLoss] static Loss Critic => Mean(Relu(1 - D(x))) + Mean(Relu(1 + D(G(z))));
            [GeneratorLoss] static Loss Generator => -Mean(D(G(z)));
        }
        [GanLoss("my-ls")]
        public partial class MyLs
        {
            [DiscriminatorLoss] static Loss Critic => Mean(Square(D(x) - 1)) + Mean(Square(D(G(z))));
            [GeneratorLoss] static Loss Generator => Mean(Square(D(G(z)) - 1));
        }
        """;

    [Fact]
    public void RunFile_ResolvesAPathFromTheTestFile_NotTheWorkingFolder()
    {
        var previous = Directory.GetCurrentDirectory();
        try
        {
            Directory.SetCurrentDirectory(Path.GetTempPath());   // wherever the runner starts, the path is the same
            var run = GeneratorTestDriver.RunFile("../../src/Losses/Began.cs");
            Assert.Empty(run.Diagnostics);
            Assert.Contains("Began.cs", run.InputCompilation.SyntaxTrees.Select(t => t.FilePath));
            Assert.Contains(run.Files.Keys, h => h.EndsWith(".Began.g.cs", StringComparison.Ordinal));
        }
        finally { Directory.SetCurrentDirectory(previous); }
    }

    [Fact]
    public void RunFile_NamesAMissingFileAndWhereItLooked()
    {
        var e = Assert.Throws<FileNotFoundException>(() => GeneratorTestDriver.RunFile("../NoSuchLoss.cs"));
        Assert.Contains("NoSuchLoss.cs", e.Message);
        Assert.Contains("relative to the test file", e.Message);
    }

    [Fact]
    public void VerifySnapshots_ListsEveryMissingSnapshot_ThenPasses_ThenCatchesAStaleOne()
    {
        if (Snapshot.AcceptEnabled) return;   // accepting would turn every failure below into a pass
        var folder = Path.Combine(Path.GetTempPath(), "gandsl-snapshots-" + Guid.NewGuid().ToString("N"));
        try
        {
            var run = GeneratorTestDriver.Run(TwoLosses);
            Assert.Empty(run.Diagnostics);
            run.AssertCompiles();

            // First run: both files reported in one exception, each written as received, names not doubled.
            var first = Assert.Throws<SnapshotMismatchException>(() => run.VerifySnapshots(folder));
            Assert.Contains("2 snapshot problem(s)", first.Message);
            Assert.Contains("MyLosses.MyHinge.g.verified.cs", first.Message);
            Assert.Contains("MyLosses.MyLs.g.verified.cs", first.Message);
            Assert.DoesNotContain("MyLosses.MyLosses.", first.Message);
            var received = Directory.GetFiles(folder, "*.received.cs").Select(f => Path.GetFileName(f)!).OrderBy(n => n, StringComparer.Ordinal).ToArray();
            Assert.Equal(["MyLosses.MyHinge.g.received.cs", "MyLosses.MyLs.g.received.cs"], received);

            // Reviewed and renamed to .verified: the check passes and removes nothing it should keep.
            foreach (var file in Directory.GetFiles(folder, "*.received.cs"))
                File.Move(file, file.Replace(".received.cs", ".verified.cs", StringComparison.Ordinal));
            run.VerifySnapshots(folder);
            Assert.Empty(Directory.GetFiles(folder, "*.received.cs"));

            // A snapshot of a loss that is no longer generated is stale.
            File.WriteAllText(Path.Combine(folder, "MyLosses.Removed.g.verified.cs"), "// old\n");
            var stale = Assert.Throws<SnapshotMismatchException>(() => run.VerifySnapshots(folder));
            Assert.Contains("MyLosses.Removed.g", stale.Message);
            run.VerifySnapshots(folder, checkStale: false);
        }
        finally { if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true); }
    }
}
