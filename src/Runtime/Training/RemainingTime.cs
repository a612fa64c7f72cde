namespace GanDsl.Training;

/// <summary>
/// The time a comparison has left, from what its runs took. Runs of one loss take about the same time, runs of
/// different losses do not (WGAN-GP's five critic steps with a double backward against one plain step: a factor of
/// five to ten), so every pending run is costed at the mean of its own loss's timed runs, a loss not timed yet at
/// the mean of all timed runs, and the current run by its loss's mean blended with its own pace as it advances.
/// The comparison trains seed by seed (every loss once, then again) so each loss is timed early.
/// </summary>
public sealed class RemainingTime
{
    private readonly List<string> _pending;
    private readonly Dictionary<string, List<double>> _timed = new(StringComparer.Ordinal);

    /// <summary>Starts with the losses of the runs still to train, one entry per run (the current one included).</summary>
    public RemainingTime(IEnumerable<string> pendingRuns) => _pending = pendingRuns.ToList();

    /// <summary>A run of <paramref name="loss"/> finished in <paramref name="seconds"/> (training and evaluation).</summary>
    public void Finished(string loss, double seconds)
    {
        _pending.Remove(loss);
        if (!_timed.TryGetValue(loss, out var list)) _timed[loss] = list = [];
        list.Add(seconds);
    }

    /// <summary>
    /// Seconds left: the current run of <paramref name="currentLoss"/> (null between runs), <paramref name="runSeconds"/>
    /// into it, <paramref name="runFraction"/> of its steps done; then every other pending run. Null while nothing is
    /// timed and the current run has made no progress.
    /// </summary>
    public double? Seconds(string? currentLoss, double runSeconds, double runFraction)
    {
        var all = _timed.Values.SelectMany(v => v).ToList();
        double? Mean(string loss) => _timed.TryGetValue(loss, out var v) ? v.Average() : all.Count > 0 ? all.Average() : null;
        double total = 0;
        var others = new List<string>(_pending);
        if (currentLoss is not null)
        {
            others.Remove(currentLoss);
            double? pace = runFraction > 0 ? runSeconds / runFraction : null;    // projected length of the current run
            // The projection from this run's pace grows more reliable as it advances (early on it carries the set-up);
            // its loss's timed runs are reliable from the start: blend the two by the fraction done.
            double? timed = _timed.ContainsKey(currentLoss) ? Mean(currentLoss) : null;
            double? length = (pace, timed) switch
            {
                ({ } p, { } m) => runFraction * p + (1 - runFraction) * m,
                ({ } p, null) => p,
                (null, { } m) => m,
                _ => Mean(currentLoss),
            };
            if (length is null) return null;
            total += Math.Max(length.Value - runSeconds, 0);
            if (all.Count == 0) return total + others.Count * length.Value;   // nothing timed yet: the others as long as this one
        }
        foreach (var loss in others)
        {
            if (Mean(loss) is not { } m) return null;
            total += m;
        }
        return total;
    }
}
