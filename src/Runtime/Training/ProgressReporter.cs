using System.Diagnostics;
using System.Globalization;

namespace GanDsl.Training;

/// <summary>
/// A text progress display of a run (step, steps per second, time left and the last losses), driven by the
/// trainer's <see cref="TrainingProgress"/> reports. On a terminal it rewrites one line (carriage return) at most
/// four times a second; when the output is redirected it writes a plain line every tenth of the run (and at least
/// every 30 seconds), so logs stay readable. <c>trainer.Run(cancel, ProgressReporter.Console())</c> shows it on stderr.
/// </summary>
/// <remarks>The <c>gan</c> program draws a live progress bar (Spectre.Console) instead when stderr is a terminal.</remarks>
public sealed class ProgressReporter : IProgress<TrainingProgress>
{
    private readonly TextWriter _writer;
    private readonly bool _interactive;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan? _lastWrite;
    private long? _lastPlainStep;
    private bool _lineOpen;

    /// <param name="writer">Where to write (stderr in the program).</param>
    /// <param name="interactive">True for a terminal (rewrite one line), false for a file or pipe (plain lines).</param>
    public ProgressReporter(TextWriter writer, bool interactive)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
        _interactive = interactive;
    }

    /// <summary>A reporter on the console's error stream: one rewritten line on a terminal, plain lines when redirected.</summary>
    public static ProgressReporter Console() => new(System.Console.Error, interactive: !System.Console.IsErrorRedirected);

    /// <summary>Reports nothing: pass it to <see cref="Trainer.Run"/> to keep a run quiet on a terminal.</summary>
    public static IProgress<TrainingProgress> Silent { get; } = new SilentReporter();

    /// <summary>
    /// What <see cref="Trainer.Run"/> reports to when it is given no reporter: the one-line display on stderr when stderr
    /// is a terminal (someone is watching), nothing when it is redirected (a program's logs stay as they were).
    /// </summary>
    internal static IProgress<TrainingProgress>? Default(bool stderrIsTerminal) =>
        stderrIsTerminal ? new ProgressReporter(System.Console.Error, interactive: true) : null;

    private sealed class SilentReporter : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) { }
    }

    /// <summary>Writes <paramref name="value"/> when it is time to (see the class remarks).</summary>
    public void Report(TrainingProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        // A run that ended on an error or an interrupt has no new losses: only close the open line.
        if (value.IsFinal && value.GeneratorLoss is null)
        {
            Finish();
            return;
        }
        var now = _clock.Elapsed;
        var last = value.Step >= value.TotalSteps;
        if (_interactive)
        {
            if (!last && _lastWrite is { } previous && now - previous < TimeSpan.FromMilliseconds(250)) return;
        }
        else
        {
            var from = _lastPlainStep ?? value.FirstStep;
            var tenth = Math.Max(1, (value.TotalSteps - value.FirstStep) / 10);
            if (!last && value.Step - from < tenth && now - (_lastWrite ?? TimeSpan.Zero) < TimeSpan.FromSeconds(30)) return;
            if (_lastPlainStep == value.Step) return; // the final report repeats the last step's
            _lastPlainStep = value.Step;
        }
        _lastWrite = now;
        var text = Format(value);
        if (_interactive)
        {
            _writer.Write("\r" + text.PadRight(78));
            _lineOpen = true;
            if (last || value.IsFinal) Finish();
        }
        else
        {
            _writer.WriteLine(text);
        }
        _writer.Flush();
    }

    /// <summary>One progress line: <c>step 120/500  35.2 steps/s  0:10 left  D -0.31  G 0.12</c>.</summary>
    public static string Format(TrainingProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var ci = CultureInfo.InvariantCulture;
        return string.Format(ci, "step {0}/{1}  {2:F1} steps/s  {3} left{4}", value.Step, value.TotalSteps, value.StepsPerSecond,
            TrainingProgress.FormatDuration(value.TimeLeft), FormatLosses(value));
    }

    /// <summary>The losses part of a progress line: <c>  D -0.31  G 0.12</c> (empty when there are none).</summary>
    public static string FormatLosses(TrainingProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var ci = CultureInfo.InvariantCulture;
        return (value.DiscriminatorLoss is { } d ? string.Format(ci, "  D {0:G4}", d) : "") + (value.GeneratorLoss is { } g ? string.Format(ci, "  G {0:G4}",
            g) : "");
    }

    /// <summary>Ends the rewritten line, so what follows starts on a new one.</summary>
    public void Finish()
    {
        if (!_lineOpen) return;
        _writer.WriteLine();
        _writer.Flush();
        _lineOpen = false;
    }
}
