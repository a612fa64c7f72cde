using static GanDsl.Tests.Cli.CliRunner;

namespace GanDsl.Tests.Cli;

/// <summary>A second <c>gan train</c> into a folder that holds a run is refused unless --resume or --overwrite.</summary>
public sealed class OutputFolderTests : TempFolderTests
{
    private static readonly string[] Tiny = ["--loss", "test-nonsaturating", "--data", "ring", "--steps", "2", "--batch", "16", "--samples", "10", "--sample-every", "1"];

    [Fact]
    public void An_existing_out_folder_is_refused_naming_it_and_both_options_and_overwrite_replaces_it()
    {
        var dir = Path.Combine(TempDir("out-exists"), "run");
        Assert.Equal(0, Train(dir, Tiny).ExitCode);
        var before = File.ReadAllBytes(Path.Combine(dir, "checkpoint.bin"));

        var again = Train(dir, Tiny);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains($"'{Path.GetFullPath(dir)}'", again.Stderr);
        Assert.Contains("--resume", again.Stderr);
        Assert.Contains("--overwrite", again.Stderr);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(dir, "checkpoint.bin")));   // untouched

        File.WriteAllText(Path.Combine(dir, "samples_999999.png"), "left over from an older run");
        var replaced = Train(dir, [.. Tiny, "--overwrite", "--seed", "7"]);
        Assert.True(replaced.ExitCode == 0, replaced.Stderr);
        Assert.False(File.Exists(Path.Combine(dir, "samples_999999.png")));
        Assert.NotEqual(before, File.ReadAllBytes(Path.Combine(dir, "checkpoint.bin")));

        Assert.Equal(2, Train(dir, [.. Tiny, "--overwrite", "--resume"]).ExitCode);
    }

    [Fact]
    public void An_empty_existing_folder_is_used_as_it_is()
    {
        var dir = TempDir("out-empty");
        Assert.Equal(0, Train(dir, Tiny).ExitCode);
    }
}
