using GanDsl.Training;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace GanDsl.Cli;

/// <summary>The writers and settings of one <c>gan</c> invocation, passed to every command.</summary>
/// <param name="Stdout">Results (listings, summaries).</param>
/// <param name="Stderr">Errors, run headers and progress.</param>
/// <param name="Interrupt">Signalled by Ctrl-C.</param>
/// <param name="Interactive">True when stderr is a terminal: a live progress bar instead of plain lines.</param>
public sealed record CliContext(TextWriter Stdout, TextWriter Stderr, CancellationToken Interrupt, bool Interactive);

/// <summary>
/// Progress of <c>gan train</c> and <c>gan compare</c> on stderr. On a terminal: a live Spectre.Console display
/// (bar, percentage, steps/s, time left, last D/G losses; for a comparison also run i/N and the overall time left).
/// Otherwise (CI, pipes, tests): the runtime's plain <see cref="ProgressReporter"/> lines. Spectre stays in the
/// program: the runtime only raises <see cref="TrainingProgress"/> reports.
/// </summary>
internal static class ProgressDisplay
{
    /// <summary>Runs <paramref name="work"/> (one training run) with its progress shown.</summary>
    public static T Train<T>(CliContext cli, string title, Func<IProgress<TrainingProgress>, T> work)
    {
        if (!cli.Interactive)
        {
            var plain = new ProgressReporter(cli.Stderr, interactive: false);
            return work(plain);
        }
        return Live(cli).Start(context =>
        {
            var task = context.AddTask(Markup.Escape(title), maxValue: 1);
            return work(new Callback<TrainingProgress>(p => Update(task, p)));
        });
    }

    /// <summary>
    /// Runs <paramref name="work"/> (a comparison) with its overall progress shown; on a terminal the lines it writes
    /// to the given log go above the live display.
    /// </summary>
    public static T Compare<T>(CliContext cli, Func<TextWriter, IProgress<ComparisonProgress>?, T> work)
    {
        if (!cli.Interactive) return work(cli.Stderr, null); // the comparison writes plain progress lines to the log itself
        var console = Console(cli.Stderr);
        return Live(cli, console).Start(context =>
        {
            var overall = context.AddTask("comparison", maxValue: 1);
            var current = context.AddTask("starting", maxValue: 1); // Spectre refuses an empty description
            var lastRun = 0;
            return work(new ConsoleLineWriter(console), new Callback<ComparisonProgress>(p =>
            {
                overall.Description = Markup.Escape($"run {p.Run}/{p.Runs}");
                overall.Value = p.Fraction;
                overall.Tag = $"{TrainingProgress.FormatDuration(p.Elapsed)} so far"
                    + (p.TimeLeft is { } left ? $", {TrainingProgress.FormatDuration(left)} left" : "");
                if (p.Run != lastRun)
                {
                    // A new run: its own bar restarts from zero.
                    lastRun = p.Run;
                    current.Description = Markup.Escape($"{p.Loss}, seed {p.Seed}");
                    current.Value = 0;
                    current.Tag = "";
                }
                if (p.Training is { } training) Update(current, training);
            }));
        });
    }

    private static void Update(ProgressTask task, TrainingProgress p)
    {
        task.MaxValue = Math.Max(1, p.TotalSteps);
        task.Value = p.Step;
        task.Tag = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{p.Step}/{p.TotalSteps}  {p.StepsPerSecond:F1} steps/s  {TrainingProgress.FormatDuration(p.TimeLeft)} left{ProgressReporter.FormatLosses(p)}");
    }

    private static Progress Live(CliContext cli, IAnsiConsole? console = null) =>
        (console ?? Console(cli.Stderr)).Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 20 }, new PercentageColumn(), new TagColumn());

    /// <summary>A Spectre console on the given writer (stderr), which the caller has found to be a terminal.</summary>
    private static IAnsiConsole Console(TextWriter writer) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(writer),
        Interactive = InteractionSupport.Yes,
        Ansi = AnsiSupport.Detect,
    });

    /// <summary>The text kept in a task's <see cref="ProgressTask.Tag"/>: steps/s, time left, losses.</summary>
    private sealed class TagColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) => new Text(task.Tag as string ?? "");
    }

    /// <summary>A synchronous <see cref="IProgress{T}"/> (<see cref="Progress{T}"/> would post to the thread pool).</summary>
    private sealed class Callback<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    /// <summary>Writes whole lines through the Spectre console, so they appear above the live display instead of through it.</summary>
    private sealed class ConsoleLineWriter(IAnsiConsole console) : TextWriter
    {
        private readonly System.Text.StringBuilder _line = new();

        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(char value)
        {
            if (value == '\n')
            {
                console.WriteLine(_line.ToString().TrimEnd('\r'));
                _line.Clear();
            }
            else _line.Append(value);
        }
    }
}
