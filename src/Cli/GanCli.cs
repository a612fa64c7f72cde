using GanDsl.Cli.Commands;

namespace GanDsl.Cli;

/// <summary>
/// The command line of <c>gan</c>: <c>train</c>, <c>compare</c>, <c>sample</c>, <c>eval</c>, <c>list</c>, <c>verify-golden</c>. Every command
/// writes to the writers it is given (so tests capture them) and returns the exit code (see <see cref="ExitCodes"/>).
/// </summary>
public static class GanCli
{
    /// <summary>The overview printed by <c>gan --help</c>.</summary>
    public const string Usage = """
        gan: train and inspect GAN losses declared with GanDsl.

        Usage:
          gan train  --loss NAME --data ring|grid|swissroll|fashion-mnist|FILE.npy --out DIR [options]
          gan compare --losses A,B,... --data ring|grid|swissroll|FILE.npy|fashion-mnist --out DIR [--seeds N] [--steps N] [options]
          gan sample --checkpoint FILE [--count N] [--seed N] [--out DIR] [--no-ema]
          gan eval   --samples FILE.npy [--count N] [--out FILE.json]   (FID, KID, precision/recall on Fashion-MNIST)
          gan list   [--assembly PATH]...
          gan verify-golden FILE...

        'gan COMMAND --help' lists a command's options.
        Exit codes: 0 done, 1 training diverged or a check failed, 2 bad arguments or input files, 130 interrupted.
        """;

    /// <summary>Runs one command line.</summary>
    /// <param name="args">The arguments, command first.</param>
    /// <param name="stdout">Results (listings, summaries).</param>
    /// <param name="stderr">Errors and the progress line.</param>
    /// <param name="interrupt">Signalled by Ctrl-C: a training run finishes its step, writes a checkpoint and returns 130.</param>
    /// <param name="interactiveProgress">True when stderr is a terminal (the progress line rewrites itself).</param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken interrupt = default, bool interactiveProgress = false)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            (args.Length == 0 ? stderr : stdout).WriteLine(Usage);
            return args.Length == 0 ? ExitCodes.BadInput : ExitCodes.Success;
        }
        var command = args[0];
        var rest = args[1..];
        try
        {
            return command switch
            {
                "train" => TrainCommand.Run(rest, stdout, stderr, interrupt, interactiveProgress),
                "compare" => CompareCommand.Run(rest, stdout, stderr, interrupt, interactiveProgress),
                "sample" => SampleCommand.Run(rest, stdout, stderr),
                "eval" => EvalCommand.Run(rest, stdout, stderr),
                "list" => ListCommand.Run(rest, stdout, stderr),
                "verify-golden" => VerifyGoldenVerb.Run(rest, stdout, stderr),
                _ => throw new UsageException($"Unknown command '{command}'. Commands: train, compare, sample, eval, list, verify-golden (see 'gan --help')."),
            };
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"gan: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Last resort for a file a command does not handle itself (an --out folder that cannot be created or
            // written, a disk that fills up in `gan sample`): a message, not a stack trace.
            stderr.WriteLine($"gan: {e.Message}");
            return ExitCodes.Failure;
        }
    }

    /// <summary>True when <paramref name="args"/> asks for help.</summary>
    internal static bool WantsHelp(string[] args) => args.Any(a => a is "--help" or "-h");
}
