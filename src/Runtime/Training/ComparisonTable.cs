using System.Globalization;
using System.Text;
using GanDsl.Data;
using GanDsl.Evaluation;
using GanDsl.Formats;

namespace GanDsl.Training;

/// <summary>Mean and sample standard deviation of one measure over a loss's completed runs.</summary>
/// <param name="Mean">The mean.</param>
/// <param name="Std">The sample standard deviation (n − 1); 0 for a single run.</param>
/// <param name="Count">How many runs it is over; 0 means no value.</param>
public readonly record struct MeanStd(double Mean, double Std, int Count)
{
    /// <summary>Mean and standard deviation of <paramref name="values"/>.</summary>
    public static MeanStd Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return new MeanStd(double.NaN, double.NaN, 0);
        var mean = values.Average();
        var std = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
        return new MeanStd(mean, std, values.Count);
    }
}

/// <summary>One loss's row of the comparison table.</summary>
/// <param name="Loss">The loss.</param>
/// <param name="Runs">Runs that ran (fewer than the seeds asked for after Ctrl-C).</param>
/// <param name="NotFinished">Runs that diverged or failed; they are excluded from the means below.</param>
/// <param name="SlicedWasserstein">Over the completed runs.</param>
/// <param name="EnergyDistance">Over the completed runs.</param>
/// <param name="ModesCovered">Over the completed runs; null for data that is not a Gaussian mixture.</param>
/// <param name="HighQualityFraction">Over the completed runs; null for data that is not a Gaussian mixture.</param>
/// <param name="MeanDistanceToMode">Over the completed runs; null for data that is not a Gaussian mixture.</param>
/// <param name="ModeCount">The mixture's number of modes; null for data that is not a Gaussian mixture.</param>
/// <param name="Seconds">Wall clock over the completed runs.</param>
public sealed record LossSummary(string Loss, int Runs, int NotFinished, MeanStd SlicedWasserstein, MeanStd EnergyDistance,
    MeanStd? ModesCovered, MeanStd? HighQualityFraction, MeanStd? MeanDistanceToMode, int? ModeCount, MeanStd Seconds)
{
    /// <summary>Label-to-mode accuracy over the completed runs of a conditional generator; null when they have none.</summary>
    public MeanStd? LabelToMode { get; init; }
}

/// <summary>
/// The table of a comparison: per loss, mean ± std over seeds of each metric and of the wall clock, with the
/// number of diverged runs; as Markdown (printed, and <c>comparison.md</c>) and CSV (<c>comparison.csv</c>, with
/// the per-seed values too).
/// </summary>
public static class ComparisonTable
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>One summary per loss, in the order the runs came.</summary>
    public static IReadOnlyList<LossSummary> Summarize(IReadOnlyList<ComparisonRun> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        return runs.GroupBy(r => r.Loss).Select(g =>
        {
            var done = g.Where(r => r.Metrics is not null).ToList();
            MeanStd Stat(Func<ComparisonRun, double> f) => MeanStd.Of(done.Select(f).ToList());
            var modes = done.Count > 0 && done.All(r => r.Metrics!.Modes is not null) ? done.Select(r => r.Metrics!.Modes!).ToList() : null;
            MeanStd? ModeStat(Func<ModeMetrics, double> f) => modes is null ? null : MeanStd.Of(modes.Select(f).ToList());
            return new LossSummary(g.Key, g.Count(), g.Count() - done.Count,
                Stat(r => r.Metrics!.SlicedWasserstein), Stat(r => r.Metrics!.EnergyDistance),
                ModeStat(m => m.ModesCovered), ModeStat(m => m.HighQualityFraction), ModeStat(m => m.MeanDistanceToNearestMode),
                modes?[0].ModeCount, Stat(r => r.Seconds))
            {
                LabelToMode = done.Count > 0 && done.All(r => r.Metrics!.LabelToMode is not null) ? Stat(r => r.Metrics!.LabelToMode!.Accuracy) : null,
            };
        }).ToList();
    }

    /// <summary>The Markdown table (mean ± std per loss).</summary>
    public static string ToMarkdown(IReadOnlyList<ComparisonRun> runs)
    {
        if (IsImageComparison(runs)) return ImageComparison.ToMarkdown(runs);
        var summaries = Summarize(runs);
        var modeCount = summaries.FirstOrDefault(s => s.ModeCount is not null)?.ModeCount;
        var conditional = summaries.Any(s => s.LabelToMode is not null);
        var text = new StringBuilder();
        text.Append("| loss | runs | diverged | sliced Wasserstein ↓ | energy distance ↓ |");
        if (modeCount is not null) text.Append(Invariant, $" modes covered (of {modeCount}) ↑ | high-quality samples ↑ |");
        if (conditional) text.Append(" label-to-mode accuracy ↑ |");
        text.AppendLine(" seconds |");
        text.AppendLine("|---|" + string.Concat(Enumerable.Repeat("--:|", 5 + (modeCount is not null ? 2 : 0) + (conditional ? 1 : 0))));
        foreach (var s in summaries)
        {
            text.Append(Invariant, $"| {s.Loss} | {s.Runs} | {s.NotFinished} | {Format(s.SlicedWasserstein)} | {Format(s.EnergyDistance)} |");
            if (modeCount is not null)
                text.Append(Invariant, $" {Format(s.ModesCovered)} | {Format(s.HighQualityFraction, percent: true)} |");
            if (conditional) text.Append(Invariant, $" {Format(s.LabelToMode, percent: true)} |");
            text.AppendLine($" {Format(s.Seconds)} |");
        }
        return text.ToString();
    }

    private static string Format(MeanStd? value, bool percent = false)
    {
        if (value is not { Count: > 0 } v) return "–";
        var scale = percent ? 100 : 1;
        var unit = percent ? " %" : "";
        var mean = (v.Mean * scale).ToString(percent ? "F1" : "G3", Invariant);
        return v.Count == 1 ? mean + unit : $"{mean} ± {(v.Std * scale).ToString(percent ? "F1" : "G3", Invariant)}{unit}";
    }

    /// <summary>
    /// The CSV: a row per run (<c>seed</c> = its seed, <c>status</c> completed, diverged or failed, <c>message</c>
    /// why), then per loss a <c>mean</c> and a <c>std</c> row over its completed runs (<c>status</c>: completed/ran).
    /// </summary>
    public static string ToCsv(IReadOnlyList<ComparisonRun> runs)
    {
        if (IsImageComparison(runs)) return ImageComparison.ToCsv(runs);
        var mixture = runs.Any(r => r.Metrics?.Modes is not null);
        var conditional = runs.Any(r => r.Metrics?.LabelToMode is not null);
        var text = new StringBuilder("loss,seed,status,steps,seconds,sliced_wasserstein,energy_distance");
        if (mixture) text.Append(",modes_covered,mode_count,high_quality_fraction,mean_distance_to_mode");
        text.AppendLine(conditional ? ",label_to_mode_accuracy,message" : ",message");
        void Row(string loss, string seed, string status, string steps, double? seconds, double? sw, double? energy,
            double? covered, double? modeCount, double? highQuality, double? meanDistance, double? labelToMode, string? message)
        {
            var cells = new List<string?> { loss, seed, status, steps, Number(seconds), Number(sw), Number(energy) };
            if (mixture) cells.AddRange([Number(covered), Number(modeCount), Number(highQuality), Number(meanDistance)]);
            if (conditional) cells.Add(Number(labelToMode));
            cells.Add(message);
            text.AppendLine(string.Join(',', cells.Select(Escape)));
        }
        foreach (var r in runs)
        {
            var m = r.Metrics;
            Row(r.Loss, r.Seed.ToString(Invariant), r.Status.ToString().ToLowerInvariant(), r.Steps.ToString(Invariant), r.Seconds,
                m?.SlicedWasserstein, m?.EnergyDistance, m?.Modes?.ModesCovered, m?.Modes?.ModeCount, m?.Modes?.HighQualityFraction,
                m?.Modes?.MeanDistanceToNearestMode, m?.LabelToMode?.Accuracy, r.Message);
        }
        foreach (var s in Summarize(runs))
        {
            var status = $"{s.Runs - s.NotFinished}/{s.Runs}";
            foreach (var (label, pick) in new (string, Func<MeanStd, double>)[] { ("mean", v => v.Mean), ("std", v => v.Std) })
            {
                double? Of(MeanStd? v) => v is { Count: > 0 } x ? pick(x) : null;
                Row(s.Loss, label, status, "", Of(s.Seconds), Of(s.SlicedWasserstein), Of(s.EnergyDistance),
                    Of(s.ModesCovered), s.ModeCount, Of(s.HighQualityFraction), Of(s.MeanDistanceToMode), Of(s.LabelToMode), null);
            }
        }
        return text.ToString();
    }

    /// <summary>True when the runs are of images (some completed run has an image evaluation, none has 2D metrics).</summary>
    private static bool IsImageComparison(IReadOnlyList<ComparisonRun> runs) =>
        runs.Any(r => r.Images is not null) && !runs.Any(r => r.Metrics is not null);

    private static string Number(double? value) => value is { } v ? CsvMetricsWriter.Format(v) : "";

    private static string Escape(string? cell) =>
        cell is null ? "" : cell.IndexOfAny([',', '"', '\n', '\r']) < 0 ? cell : "\"" + cell.Replace("\"", "\"\"") + "\"";

    /// <summary>Writes <c>comparison.md</c> and <c>comparison.csv</c> into <paramref name="directory"/> (each atomically).</summary>
    public static void Write(string directory, IReadOnlyList<ComparisonRun> runs)
    {
        var markdown = ToMarkdown(runs);
        var csv = ToCsv(runs);
        AtomicFile.WriteAllBytes(Path.Combine(directory, "comparison.md"), Encoding.UTF8.GetBytes(markdown));
        AtomicFile.WriteAllBytes(Path.Combine(directory, "comparison.csv"), Encoding.UTF8.GetBytes(csv));
    }
}
