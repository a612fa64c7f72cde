namespace GanDsl.Training;

/// <summary>
/// Where a comparison stands, for a display of its overall progress: run <see cref="Run"/> of <see cref="Runs"/>
/// and, while that run trains, its <see cref="Training"/> report.
/// </summary>
/// <param name="Run">The current run, 1-based.</param>
/// <param name="Runs">Runs in the comparison (losses × seeds).</param>
/// <param name="Loss">The current run's loss.</param>
/// <param name="Seed">The current run's seed.</param>
/// <param name="Elapsed">Time since the comparison started.</param>
/// <param name="Training">The current run's last training report; null when it has not reported yet.</param>
public sealed record ComparisonProgress(int Run, int Runs, string Loss, int Seed, TimeSpan Elapsed, TrainingProgress? Training)
{
    /// <summary>Fraction of the whole comparison done: finished runs plus the current run's share.</summary>
    public double Fraction => Math.Clamp((Run - 1 + (Training?.Fraction ?? 0)) / Math.Max(Runs, 1), 0, 1);

    /// <summary>
    /// The comparison's own estimate of the time left (<see cref="RemainingTime"/>: per loss, from the runs of that loss
    /// already timed); null: <see cref="TimeLeft"/> falls back to the overall pace.
    /// </summary>
    public TimeSpan? Estimate { get; init; }

    /// <summary>Time left: <see cref="Estimate"/>, else at the pace so far (as if runs were alike); null until some of it is done.</summary>
    public TimeSpan? TimeLeft => Estimate ?? (Fraction > 0 ? TimeSpan.FromSeconds(Elapsed.TotalSeconds * (1 - Fraction) / Fraction) : null);
}
