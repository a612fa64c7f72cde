using System.Diagnostics;
using System.Globalization;

namespace GanDsl.Training;

/// <summary>
/// The progress line of a long run: step, steps per second, time left and the last losses. On a terminal it
/// rewrites one line (carriage return) at most four times a second; when the output is redirected it writes a
/// plain line every tenth of the run (and at least every 30 seconds), so logs stay readable.
/// </summary>
public sealed class ProgressReporter
{
    private readonly TextWriter _writer;
    private readonly bool _interactive;
    private readonly long _firstStep;
    private readonly long _totalSteps;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan? _lastWrite;
    private long _lastPlainStep;
    private bool _lineOpen;

    /// <param name="writer">Where to write (stderr in the program).</param>
    /// <param name="interactive">True for a terminal (rewrite one line), false for a file or pipe (plain lines).</param>
    /// <param name="firstStep">The step the run starts from (non-zero when resuming).</param>
    /// <param name="totalSteps">The step the run ends at.</param>
    public ProgressReporter(TextWriter writer, bool interactive, long firstStep, long totalSteps)
    {
        _writer = writer;
        _interactive = interactive;
        _firstStep = firstStep;
        _totalSteps = totalSteps;
        _lastPlainStep = firstStep;
    }

    /// <summary>
    /// True when <see cref="Report"/> would write for <paramref name="step"/>: callers read the losses (a device
    /// synchronisation) only then.
    /// </summary>
    public bool IsDue(long step)
    {
        var now = _clock.Elapsed;
        if (step >= _totalSteps) return true;
        if (_interactive) return _lastWrite is not { } previous || now - previous >= TimeSpan.FromMilliseconds(250);
        var tenth = Math.Max(1, (_totalSteps - _firstStep) / 10);
        return step - _lastPlainStep >= tenth || now - (_lastWrite ?? TimeSpan.Zero) >= TimeSpan.FromSeconds(30);
    }

    /// <summary>Reports that <paramref name="step"/> generator steps are done; writes when it is time to.</summary>
    public void Report(long step, double? discriminatorLoss, double generatorLoss)
    {
        if (!IsDue(step)) return;
        var now = _clock.Elapsed;
        var done = step - _firstStep;
        bool last = step >= _totalSteps;
        if (!_interactive) _lastPlainStep = step;
        _lastWrite = now;
        double rate = done / Math.Max(now.TotalSeconds, 1e-9);
        var left = rate > 0 ? TimeSpan.FromSeconds((_totalSteps - step) / rate) : TimeSpan.Zero;
        var ci = CultureInfo.InvariantCulture;
        var losses = (discriminatorLoss is { } d ? string.Format(ci, "  D {0:G4}", d) : "") + string.Format(ci, "  G {0:G4}", generatorLoss);
        var text = string.Format(ci, "step {0}/{1}  {2:F1} steps/s  {3} left{4}", step, _totalSteps, rate, Format(left), losses);
        if (_interactive)
        {
            _writer.Write("\r" + text.PadRight(78));
            _lineOpen = true;
            if (last) Finish();
        }
        else
        {
            _writer.WriteLine(text);
        }
        _writer.Flush();
    }

    /// <summary>Ends the rewritten line, so what follows starts on a new one.</summary>
    public void Finish()
    {
        if (!_lineOpen) return;
        _writer.WriteLine();
        _lineOpen = false;
    }

    private static string Format(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}" : $"{t.Minutes}:{t.Seconds:00}";
}
