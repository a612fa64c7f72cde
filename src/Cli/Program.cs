namespace GanDsl.Cli;

/// <summary>The <c>gan</c> executable: all the work is in <see cref="GanCli"/>, so tests call it in-process.</summary>
public static class Program
{
    /// <summary>Runs the command line; Ctrl-C asks a training run to finish its step, write a checkpoint and exit 130.</summary>
    public static int Main(string[] args)
    {
        using var interrupt = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            if (interrupt.IsCancellationRequested) return; // a second Ctrl-C ends the process at once
            e.Cancel = true;
            interrupt.Cancel();
            Console.Error.WriteLine();
            Console.Error.WriteLine("Interrupted: finishing the current step and writing a checkpoint (gan compare: the current run, then the table). " +
                "Ctrl-C again to abort.");
        };
        return GanCli.Run(args, Console.Out, Console.Error, interrupt.Token, interactiveProgress: !Console.IsErrorRedirected);
    }
}
