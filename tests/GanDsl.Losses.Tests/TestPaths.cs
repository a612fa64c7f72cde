namespace GanDsl.Losses.Tests;

/// <summary>Locations of the reference files, found from the test assembly's folder up to the repository root.</summary>
internal static class TestPaths
{
    /// <summary>The repository root (the folder holding GanDsl.sln).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The zoo reference written by tests/reference/zoo/make_zoo_reference.py.</summary>
    public static string ZooReference => Path.Combine(RepoRoot, "tests", "reference", "zoo", "zoo.json");

    /// <summary>tests/reference/golden: reference files computed outside the project (see its README).</summary>
    public static string GoldenFolder => Path.Combine(RepoRoot, "tests", "reference", "golden");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "GanDsl.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No GanDsl.sln above {AppContext.BaseDirectory}.");
    }
}
