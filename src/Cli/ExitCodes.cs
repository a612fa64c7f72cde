namespace GanDsl.Cli;

/// <summary>The program's exit codes.</summary>
public static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Success = 0;

    /// <summary>Training stopped on a value that was not finite, or an unexpected error (a check failed, for verify-golden).</summary>
    public const int Failure = 1;

    /// <summary>Bad command line or input file, reported before any work started.</summary>
    public const int BadInput = 2;

    /// <summary>Interrupted by Ctrl-C (128 + SIGINT) after writing a checkpoint.</summary>
    public const int Interrupted = 130;
}
