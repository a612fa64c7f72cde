using GanDsl.Formats;
using GanDsl.Data;
using GanDsl.Imaging;

namespace GanDsl.Training;

/// <summary>
/// The figures of a 2-D <c>gan compare</c>: <see cref="SamplesFile"/>, a grid of scatter plots (a row per loss, a
/// column per seed: each run's final samples, translucent, under the reference points, on the same axes), and
/// <see cref="MetricsFile"/>, the table as bar charts (mean ± std over seeds of sliced Wasserstein, energy distance
/// and, on the Gaussian mixtures, modes covered).
/// </summary>
public static class ComparisonFigures
{
    /// <summary>The grid of sample plots.</summary>
    public const string SamplesFile = "comparison_samples.png";

    /// <summary>The bar charts of the table.</summary>
    public const string MetricsFile = "comparison_metrics.png";

    /// <summary>Generated points drawn per cell (the first of each run's samples.npy): enough to see the shape, few enough to stay fast.</summary>
    public const int PointsPerCell = 2000;

    /// <summary>Height of one cell in pixels.</summary>
    public const int CellSize = 320;

    /// <summary>
    /// Draws the grid: for every (loss, seed) of <paramref name="options"/>, the run's samples.npy when it has one (a
    /// run not in <paramref name="runs"/>, or without samples, is an empty plot titled so), over <paramref name="reference"/>.
    /// </summary>
    public static void SaveSamples(string path, ComparisonOptions options, IReadOnlyList<ComparisonRun> runs, float[] reference, string title)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(runs);
        var frame = ScatterPlot.FrameFor(reference);
        var real = reference.AsSpan(0, Math.Min(reference.Length, 2 * PointsPerCell)).ToArray();
        var cells = new List<PlotPicture>();
        foreach (var (loss, seed) in options.Pairs)
        {
            var run = runs.FirstOrDefault(r => r.Loss == loss && r.Seed == seed);
            var samples = Path.Combine(options.RunDirectory(loss, seed), "samples.npy");
            float[] generated = run is not null && File.Exists(samples) ? NpyFile.Read(samples).Data : [];
            if (generated.Length > 2 * PointsPerCell) generated = generated[..(2 * PointsPerCell)];
            var status = run is null ? ": not run" : run.Status == RunStatus.Completed ? "" : $" ({run.Status.ToString().ToLowerInvariant()})";
            cells.Add(ScatterPlot.Render(real, generated, new ScatterPlotOptions
            {
                Size = CellSize, Frame = frame, Title = $"{loss}, seed {seed}{status}",
                TitleSize = 12
            }));
        }
        AtomicFile.WriteAllBytes(path, Charts.Tile(cells, options.Seeds, title));
    }

    /// <summary>Draws the table's measures as bar charts side by side; writes nothing when no run completed.</summary>
    public static void SaveMetrics(string path, IReadOnlyList<ComparisonRun> runs, string title)
    {
        var summaries = ComparisonTable.Summarize(runs);
        var charts = new List<PlotPicture?>
        {
            BarChart.Render(summaries.Select(s => (s.Loss, s.SlicedWasserstein)).ToList(), "sliced Wasserstein ↓ (mean ± std)", "sliced Wasserstein",
                width: 480),
            BarChart.Render(summaries.Select(s => (s.Loss, s.EnergyDistance)).ToList(), "energy distance ↓ (mean ± std)", "energy distance", width: 480),
        };
        if (summaries.FirstOrDefault(s => s.ModeCount is not null)?.ModeCount is { } modes)
            charts.Add(BarChart.Render(summaries.Select(s => (s.Loss, s.ModesCovered ?? default)).ToList(), $"modes covered (of {modes}) ↑", "modes covered",
                "G3", width: 480));
        var drawn = charts.OfType<PlotPicture>().ToList();
        if (drawn.Count == 0) return;
        AtomicFile.WriteAllBytes(path, Charts.Tile(drawn, drawn.Count, title));
    }
}
