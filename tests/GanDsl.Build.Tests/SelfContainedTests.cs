using System.Diagnostics;
using System.Text.RegularExpressions;

namespace GanDsl.Build.Tests;

/// <summary>The repository stands alone: no tracked file points to a file outside it.</summary>
public sealed class SelfContainedTests
{
    // A path that leaves the repository: the sibling `shared` folder of the project's machines (as ../shared,
    // shared/golden, shared/LOSSES.md, ...) or an absolute path into the checkout's parent folder.
    private static readonly Regex s_outside = new(@"\.\./shared\b|\bshared/(golden|LOSSES|DESIGN|STYLE|hooks)|/work/(main|shared|wt)\b", RegexOptions.Compiled);

    [Fact]
    public void NoTrackedFileReferencesAFileOutsideTheRepository()
    {
        var files = TrackedTextFiles();
        Assert.True(files.Count > 100, $"git ls-files listed only {files.Count} files under {TestEnv.RepoRoot}");
        var offenders = new List<string>();
        foreach (var file in files)
        {
            var lines = File.ReadAllLines(Path.Combine(TestEnv.RepoRoot, file));
            for (var i = 0; i < lines.Length; i++)
                if (s_outside.Match(lines[i]) is { Success: true } m) offenders.Add($"{file}:{i + 1}: {m.Value}");
        }
        Assert.True(offenders.Count == 0, "References outside the repository:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void TheCheckFindsAnOutsideReference()
    {
        // The pattern must match the forms that have occurred, or the test above cannot fail.
        Assert.Matches(s_outside, "see ../shared/golden/README.md");
        Assert.Matches(s_outside, "every row of shared/LOSSES.md");
        Assert.Matches(s_outside, "git -C /work/main archive");
        Assert.DoesNotMatch(s_outside, "shared forward passes");
    }

    private static List<string> TrackedTextFiles()
    {
        var psi = new ProcessStartInfo("git", "ls-files -z") { WorkingDirectory = TestEnv.RepoRoot, RedirectStandardOutput = true };
        using var git = Process.Start(psi)!;
        var output = git.StandardOutput.ReadToEnd();
        git.WaitForExit();
        Assert.Equal(0, git.ExitCode);
        string[] binary = [".bin", ".png", ".npy", ".pt", ".safetensors", ".gz", ".dll", ".so"];
        return output.Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Where(f => !binary.Any(e => f.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
            .Where(f => !f.EndsWith("SelfContainedTests.cs", StringComparison.Ordinal))
            .ToList();
    }
}
