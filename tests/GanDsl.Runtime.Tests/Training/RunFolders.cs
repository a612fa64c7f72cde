namespace GanDsl.Runtime.Tests.Training;

// GanDsl.Cli.Tests compiles this file too (a linked file): both test projects make their run folders this way.

/// <summary>Base of test classes that make run folders with <see cref="RunFolders.TempDir"/>: they are deleted after each test.</summary>
public abstract class TempFolderTests : IDisposable
{
    public void Dispose()
    {
        RunFolders.DeleteTempDirs();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Temp folders for training runs (one parent folder per test process), and readers of the metrics.csv a run writes.</summary>
public static class RunFolders
{
    private static readonly Lazy<string> Root = new(() =>
    {
        // One folder per test process; folders of earlier runs (their checkpoints weigh ~13 MB each) are removed.
        var parent = Path.Combine(Path.GetTempPath(), "gandsl-training-tests");
        Directory.CreateDirectory(parent);
        foreach (var old in Directory.GetDirectories(parent))
            if (!int.TryParse(Path.GetFileName(old), out var pid) || !ProcessIsAlive(pid))
                try { Directory.Delete(old, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        var root = Path.Combine(parent, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(root);
        return root;
    });

    private static bool ProcessIsAlive(int pid)
    {
        try { using var p = System.Diagnostics.Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
    }

    /// <summary>A fresh empty folder under this test process's temp folder.</summary>
    public static string TempDir(string label)
    {
        var dir = Path.Combine(Root.Value, $"{label}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        lock (Created) Created.Add(dir);
        return dir;
    }

    private static readonly List<string> Created = new();

    /// <summary>Deletes every folder <see cref="TempDir"/> made so far (the tests that use it run one at a time).</summary>
    public static void DeleteTempDirs()
    {
        lock (Created)
        {
            foreach (var dir in Created)
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            Created.Clear();
        }
    }

    /// <summary>Reads metrics.csv as a header and rows of strings.</summary>
    public static (string[] Header, string[][] Rows) ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();
        return (lines[0].Split(','), lines.Skip(1).Select(l => l.Split(',')).ToArray());
    }

    /// <summary>
    /// Asserts that two runs wrote the same metrics.csv, <paramref name="rows"/> rows each, equal in every column but the
    /// wall-clock seconds (a run resumed midway against one that was not); returns the first run's header and rows.
    /// </summary>
    public static (string[] Header, string[][] Rows) AssertSameMetrics(string runA, string runB, int rows)
    {
        var (h1, rows1) = ReadCsv(Path.Combine(runA, "metrics.csv"));
        var (h2, rows2) = ReadCsv(Path.Combine(runB, "metrics.csv"));
        Assert.Equal(h1, h2);
        Assert.Equal(rows, rows1.Length);
        Assert.Equal(rows, rows2.Length);
        var seconds = Array.IndexOf(h1, "seconds");
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < h1.Length; c++)
                if (c != seconds) Assert.True(rows1[r][c] == rows2[r][c], $"step {rows1[r][0]}, column {h1[c]}: {rows1[r][c]} vs {rows2[r][c]}");
        return (h1, rows1);
    }
}
