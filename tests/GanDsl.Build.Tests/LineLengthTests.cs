namespace GanDsl.Build.Tests;

/// <summary>C# lines in src/ stay within <c>max_line_length</c> of .editorconfig (160 characters).</summary>
public sealed class LineLengthTests
{
    private const int MaxLineLength = 160;

    [Fact]
    public void NoCSharpLineInSrcIsLongerThanTheLimit()
    {
        var (code, output) = TestEnv.Run("git", ["ls-files", "-z", "--", "src/*.cs"], TestEnv.RepoRoot);
        Assert.True(code == 0, output);
        var files = output.Split('\0', StringSplitOptions.RemoveEmptyEntries).ToList();
        Assert.True(files.Count > 100, $"git ls-files listed only {files.Count} C# files under {TestEnv.RepoRoot}src");
        var offenders = files.SelectMany(f => LongLines(f, File.ReadAllLines(Path.Combine(TestEnv.RepoRoot, f)))).ToList();
        Assert.True(offenders.Count == 0,
            $"{offenders.Count} line(s) are longer than {MaxLineLength} characters (.editorconfig max_line_length); wrap them:\n" +
            string.Join("\n", offenders));
    }

    [Fact]
    public void TheCheckFindsALongLine()
    {
        // A line of exactly the limit passes; one character more (counted in Unicode characters, not UTF-16 units) fails.
        var atLimit = new string('x', MaxLineLength - 1) + "𝔼";
        Assert.Empty(LongLines("a.cs", [atLimit]));
        Assert.Equal(["a.cs:2: 161 characters"], LongLines("a.cs", ["short", atLimit + ";"]));
    }

    private static IEnumerable<string> LongLines(string file, string[] lines) =>
        lines.Select((line, i) => (Number: i + 1, Length: line.EnumerateRunes().Count()))
            .Where(l => l.Length > MaxLineLength)
            .Select(l => $"{file}:{l.Number}: {l.Length} characters");
}
