using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using GanDsl.Cli.Commands;

namespace GanDsl.Cli;

/// <summary>
/// The command line of <c>gan</c> (System.CommandLine): <c>train</c>, <c>compare</c>, <c>sample</c>, <c>eval</c>,
/// <c>list</c>, <c>verify-golden</c>, <c>show</c>, <c>check</c>. Every command writes to the writers it is given (so tests capture them) and
/// returns the exit code (see <see cref="ExitCodes"/>). Help, typo suggestions and tab completion
/// (<c>[suggest]</c> directive, dotnet-suggest) come from System.CommandLine.
/// </summary>
public static class GanCli
{
    private const string Notes = """
        'gan COMMAND --help' lists a command's options. Tab completion: see README (dotnet-suggest).
        Exit codes: 0 done, 1 training diverged or a check failed, 2 bad arguments or input files, 130 interrupted.
        """;

    /// <summary>Help is wrapped at this width when stderr is not a terminal (System.CommandLine would ask the console).</summary>
    private const int HelpWidth = 110;

    /// <summary>The root command with every subcommand, running with <paramref name="cli"/>'s writers.</summary>
    public static RootCommand CreateCommand(CliContext cli)
    {
        ArgumentNullException.ThrowIfNull(cli);
        var root = new RootCommand("gan: train and inspect GAN losses declared with GanDsl.");
        var notes = new Dictionary<Command, string> { [root] = Notes };
        void Add(Command command, string? note)
        {
            root.Add(command);
            if (note is not null) notes[command] = note;
        }
        Add(TrainCommand.Create(cli), TrainCommand.Notes);
        Add(CompareCommand.Create(cli), CompareCommand.Notes);
        Add(SampleCommand.Create(cli), SampleCommand.Notes);
        Add(ExportCommand.Create(cli), ExportCommand.Notes);
        Add(EvalCommand.Create(cli), EvalCommand.Notes);
        Add(ListCommand.Create(cli), null);
        Add(VerifyGoldenVerb.Create(cli), VerifyGoldenVerb.Notes);
        Add(ShowCommand.Create(cli), ShowCommand.Notes);
        Add(CheckCommand.Create(cli), CheckCommand.Notes);
        root.HelpName = "gan"; // not the host's name (dotnet, testhost)
        foreach (var help in root.Options.OfType<HelpOption>())
            if (help.Action is HelpAction action)
            {
                if (!cli.Interactive) action.MaxWidth = HelpWidth;
                help.Action = new HelpWithNotes(action, notes);
            }
        return root;
    }

    /// <summary>Runs one command line.</summary>
    /// <param name="args">The arguments, command first.</param>
    /// <param name="stdout">Results (listings, summaries, help, completions).</param>
    /// <param name="stderr">Errors and the progress display.</param>
    /// <param name="interrupt">Signalled by Ctrl-C: a training run finishes its step, writes a checkpoint and returns 130.</param>
    /// <param name="interactiveProgress">True when stderr is a terminal (a live progress bar instead of plain lines).</param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken interrupt = default, bool interactiveProgress = false)
    {
        ArgumentNullException.ThrowIfNull(args);
        var root = CreateCommand(new CliContext(stdout, stderr, interrupt, interactiveProgress));
        var invocation = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
        if (args.Length == 0)
        {
            // No command: the overview on stderr, as a usage error.
            root.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = stderr, Error = stderr });
            return ExitCodes.BadInput;
        }
        if (args[0] == "help") args = [.. args[1..], "--help"]; // `gan help [COMMAND]`, as the earlier parser accepted
        var parse = root.Parse(args);
        if (parse.Action is ParseErrorAction errors)
        {
            stderr.WriteLine($"gan: {ParseErrors.Describe(parse, errors)}");
            return ExitCodes.BadInput;
        }
        try
        {
            return parse.Invoke(invocation);
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"gan: {OptionNames.ForCommandLine(e.Message)}");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Last resort for a file a command does not handle itself (an --out folder that cannot be created or
            // written, a disk that fills up in `gan sample`): a message, not a stack trace.
            stderr.WriteLine($"gan: {OptionNames.ForCommandLine(e.Message)}");
            return ExitCodes.Failure;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Last resort for anything else (a user's code a command does not fence, a bug): one line and exit 1,
            // never the runtime's "Unhandled exception" and SIGABRT.
            return ErrorReport.Fail(stderr, $"unexpected error: {e.GetType().Name}: {e.Message}", e, null, args.Contains("--verbose"));
        }
    }

    /// <summary>
    /// System.CommandLine's help followed by the command's notes (outputs, Ctrl-C, exit codes): the one-line
    /// descriptions stay short in the command list, the details come with the command's own help.
    /// </summary>
    private sealed class HelpWithNotes(HelpAction help, IReadOnlyDictionary<Command, string> notes) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true; // as the help action: `gan train --help --stepz` shows help

        public override int Invoke(ParseResult parseResult)
        {
            var code = help.Invoke(parseResult);
            if (notes.TryGetValue(parseResult.CommandResult.Command, out var text)) parseResult.InvocationConfiguration.Output.WriteLine(text);
            return code;
        }
    }
}
