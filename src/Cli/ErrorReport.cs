namespace GanDsl.Cli;

/// <summary>
/// How <c>gan</c> reports an error that stops a command after its arguments were accepted: one line on stderr, the
/// full exception (with its stack trace and inner exceptions) appended to <c>error.log</c> in the output folder
/// when there is one, and on stderr too with <c>--verbose</c>. Never a .NET "Unhandled exception" dump.
/// </summary>
internal static class ErrorReport
{
    /// <summary>The log file in the output folder.</summary>
    public const string LogFile = "error.log";

    /// <summary>
    /// Writes <paramref name="message"/> (the runtime's names mapped to flags by <see cref="OptionNames"/>) and the
    /// stack trace as described above; returns <see cref="ExitCodes.Failure"/>.
    /// </summary>
    public static int Fail(TextWriter stderr, string message, Exception e, string? outputDirectory, bool verbose)
    {
        var log = TryLog(outputDirectory, e);
        stderr.WriteLine($"gan: {OptionNames.ForCommandLine(message)}");
        if (verbose) stderr.WriteLine(e.ToString());
        else if (log is not null) stderr.WriteLine($"gan: the stack trace is in {log} (--verbose prints it).");
        else stderr.WriteLine("gan: --verbose prints the stack trace.");
        return ExitCodes.Failure;
    }

    /// <summary>Appends the exception to <see cref="LogFile"/> in an existing <paramref name="outputDirectory"/>; the path, or null when it could
    /// not.</summary>
    private static string? TryLog(string? outputDirectory, Exception e)
    {
        if (string.IsNullOrWhiteSpace(outputDirectory) || !Directory.Exists(outputDirectory)) return null;
        var path = Path.Combine(Path.GetFullPath(outputDirectory), LogFile);
        try
        {
            File.AppendAllText(path, $"[{DateTime.UtcNow:yyyy-MM-dd HH:mm:ss}Z] {e}{Environment.NewLine}{Environment.NewLine}");
            return path;
        }
        catch (Exception io) when (io is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
