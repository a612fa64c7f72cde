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

/// <summary>Temp folders for training runs (one parent folder per test process) and a reader for the metrics.csv a run writes.</summary>
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
}
