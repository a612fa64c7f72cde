namespace GanDsl.Training;

/// <summary>
/// Where a training run stands, as <see cref="Trainer.Progress"/> and the <see cref="IProgress{T}"/> given to
/// <see cref="Trainer.Run"/> receive it: at most about four times a second, at every tenth of the run, and once
/// more when the run ends (<see cref="IsFinal"/>). The losses are read from the device only for these reports.
/// </summary>
/// <param name="Step">Generator steps done (including those before a resume).</param>
/// <param name="FirstStep">The step this run started from (non-zero when resuming).</param>
/// <param name="TotalSteps">The step the run ends at (<see cref="TrainOptions.Steps"/>).</param>
/// <param name="Elapsed">Time since this run started (not counting the run before a resume).</param>
/// <param name="DiscriminatorLoss">The last critic step's loss; null for losses without a critic, or when the run ended on an error.</param>
/// <param name="GeneratorLoss">The last generator step's loss; null before the first step or when the run ended on an error.</param>
/// <param name="IsFinal">True for the last report of the run (completed, interrupted or diverged): displays close their line.</param>
public sealed record TrainingProgress(long Step, long FirstStep, long TotalSteps, TimeSpan Elapsed, double? DiscriminatorLoss, double? GeneratorLoss,
    bool IsFinal)
{
    /// <summary>Generator steps per second in this run so far.</summary>
    public double StepsPerSecond => (Step - FirstStep) / Math.Max(Elapsed.TotalSeconds, 1e-9);

    /// <summary>Time left at the current rate; zero before the first step.</summary>
    public TimeSpan TimeLeft => StepsPerSecond > 0 ? TimeSpan.FromSeconds((TotalSteps - Step) / StepsPerSecond) : TimeSpan.Zero;

    /// <summary>Fraction of this run's steps done, in [0, 1].</summary>
    public double Fraction => TotalSteps <= FirstStep ? 1 : Math.Clamp((double)(Step - FirstStep) / (TotalSteps - FirstStep), 0, 1);

    /// <summary><c>h:mm:ss</c> or <c>m:ss</c>, as the progress lines write durations.</summary>
    public static string FormatDuration(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}" : $"{t.Minutes}:{t.Seconds:00}";
}
