using System.Runtime.CompilerServices;
using System.Text;

namespace GanDsl.Testing;

/// <summary>
/// Received/verified snapshot checks, usable from any test framework: a mismatch writes
/// <c>{name}.received{ext}</c> beside <c>{name}.verified{ext}</c> and throws
/// <see cref="SnapshotMismatchException"/> with the first differing lines.
/// </summary>
/// <remarks>
/// Set the environment variable <c>GANDSL_ACCEPT=1</c> to accept: the received text becomes the
/// verified file and the check passes. Line endings are normalised to <c>\n</c> on both sides, and
/// the generator version in <c>GeneratedCode</c> attributes is replaced by <c>VERSION</c>.
/// Add <c>*.received.*</c> to <c>.gitignore</c>.
/// </remarks>
public static class Snapshot
{
    /// <summary>The environment variable that accepts received snapshots.</summary>
    public const string AcceptVariable = "GANDSL_ACCEPT";

    /// <summary>True when <see cref="AcceptVariable"/> is set to 1 or true.</summary>
    public static bool AcceptEnabled =>
        Environment.GetEnvironmentVariable(AcceptVariable) is { } v && (v == "1" || v.Equals("true", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Compares <paramref name="actual"/> with <c>{directory}/{name}.verified{extension}</c>.
    /// </summary>
    /// <param name="actual">The text produced by the code under test.</param>
    /// <param name="name">The snapshot's name, unique in its folder (e.g. <c>MyLosses.Hinge.g</c>).</param>
    /// <param name="directory">The folder of the snapshots; by default a <c>Snapshots</c> folder beside the calling source file.</param>
    /// <param name="extension">The file extension, <c>.cs</c> by default.</param>
    /// <param name="callerFile">Filled in by the compiler: the calling source file.</param>
    /// <exception cref="SnapshotMismatchException">The verified file is missing or differs (and accepting is off).</exception>
    public static void Verify(string actual, string name, string? directory = null, string extension = ".cs", [CallerFilePath] string callerFile = "")
    {
        directory ??= DefaultDirectory(callerFile);
        var verifiedPath = Path.Combine(directory, name + ".verified" + extension);
        var receivedPath = Path.Combine(directory, name + ".received" + extension);
        var received = Normalize(actual);

        var verified = File.Exists(verifiedPath) ? Normalize(File.ReadAllText(verifiedPath)) : null;
        if (verified == received)
        {
            if (File.Exists(receivedPath)) File.Delete(receivedPath);
            return;
        }

        if (AcceptEnabled)
        {
            WriteAtomically(verifiedPath, received);
            if (File.Exists(receivedPath)) File.Delete(receivedPath);
            return;
        }

        WriteAtomically(receivedPath, received);
        throw new SnapshotMismatchException(verified is null
            ? $"No verified snapshot '{verifiedPath}'. The output was written to '{receivedPath}'; review it, then rename it to '.verified' or rerun " +
                $"with {AcceptVariable}=1."
            : $"Snapshot '{verifiedPath}' differs from the output (written to '{receivedPath}'). Rerun with {AcceptVariable}=1 to " +
                $"accept.\n{FirstDifference(verified, received)}");
    }

    /// <summary>
    /// Checks that the verified snapshots in <paramref name="directory"/> whose names start with
    /// <paramref name="prefix"/> are exactly <paramref name="expectedNames"/>: a stale snapshot (its
    /// output no longer produced) fails, or is deleted when accepting.
    /// </summary>
    /// <exception cref="SnapshotMismatchException">A verified file has no matching output.</exception>
    public static void VerifyFileSet(IEnumerable<string> expectedNames, string prefix, string? directory = null, string extension = ".cs",
        [CallerFilePath] string callerFile = "") =>
        VerifyFileSetEndingWith(expectedNames, prefix, directory ?? DefaultDirectory(callerFile), extension, "");

    /// <summary>As the public overload; only verified files whose names end with <paramref name="suffixFilter"/> are considered.</summary>
    internal static void VerifyFileSetEndingWith(IEnumerable<string> expectedNames, string prefix, string directory, string extension, string suffixFilter)
    {
        var expected = new HashSet<string>(expectedNames, StringComparer.Ordinal);
        var suffix = ".verified" + extension;
        var stale = Directory.Exists(directory)
            ? Directory.GetFiles(directory, prefix + "*" + suffixFilter + suffix).Select(p => Path.GetFileName(p)[..^suffix.Length]).Where(n =>
                !expected.Contains(n)).OrderBy(n => n, StringComparer.Ordinal).ToList()
            : new List<string>();
        if (stale.Count == 0) return;
        if (AcceptEnabled)
        {
            foreach (var n in stale) File.Delete(Path.Combine(directory, n + suffix));
            return;
        }
        throw new SnapshotMismatchException($"Verified snapshots with no matching output (delete them or rerun with {AcceptVariable}=1): " +
            $"{string.Join(", ", stale)}");
    }

    /// <summary>Line endings to <c>\n</c>, generator versions to <c>VERSION</c>, one final newline.</summary>
    public static string Normalize(string text)
    {
        var s = text.Replace("\r\n", "\n").Replace('\r', '\n');
        s = System.Text.RegularExpressions.Regex.Replace(s, "(GeneratedCode\\(\"[^\"]+\", \")[^\"]+(\"\\))", "$1VERSION$2");
        return s.TrimEnd('\n') + "\n";
    }

    private static string DefaultDirectory(string callerFile) =>
        Path.Combine(Path.GetDirectoryName(callerFile) ?? Directory.GetCurrentDirectory(), "Snapshots");

    private static string FirstDifference(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        var i = 0;
        while (i < e.Length && i < a.Length && e[i] == a[i]) i++;
        var sb = new StringBuilder();
        sb.AppendLine($"First difference at line {i + 1}:");
        for (var j = Math.Max(0, i - 2); j < Math.Min(Math.Max(e.Length, a.Length), i + 3); j++)
        {
            if (j < e.Length && (j >= a.Length || e[j] != a[j])) sb.AppendLine($"  - {j + 1,4}: {e[j]}");
            if (j < a.Length && (j >= e.Length || e[j] != a[j])) sb.AppendLine($"  + {j + 1,4}: {a[j]}");
            if (j < e.Length && j < a.Length && e[j] == a[j]) sb.AppendLine($"    {j + 1,4}: {e[j]}");
        }
        return sb.ToString();
    }

    private static void WriteAtomically(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        File.WriteAllText(temp, text, new UTF8Encoding(false));
        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>A snapshot differs from its verified file (the message shows the first differing lines).</summary>
public sealed class SnapshotMismatchException : Exception
{
    /// <summary>Creates the exception with its explanation.</summary>
    public SnapshotMismatchException(string message) : base(message) { }
}
