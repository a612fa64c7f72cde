using System.Globalization;
using System.Text;
using System.Text.Json;
using GanDsl.Data;
using GanDsl.Formats;
using GanDsl.Imaging;
using GanDsl.Evaluation;

namespace GanDsl.Training;

/// <summary>
/// The image side of <c>gan compare</c> (<see cref="Comparison"/> on Fashion-MNIST): the table with FID, KID,
/// precision, recall and classes covered as mean ± std over seeds, the CSV, the figure of FID per loss, and the
/// record of a finished run that lets a rerun of the same command skip it.
/// </summary>
public static class ImageComparison
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The figure comparing the losses.</summary>
    public const string FigureFile = "comparison_fid.png";

    /// <summary>The record a finished run leaves in its folder, written last (after every other output).</summary>
    public const string RunRecordFile = "run.json";

    /// <summary>The Markdown table, then one line per diverged or failed run naming it.</summary>
    public static string ToMarkdown(IReadOnlyList<ComparisonRun> runs)
    {
        var text = new StringBuilder();
        text.AppendLine("| loss | runs | diverged | FID ↓ | KID ↓ | precision ↑ | recall ↑ | classes covered (of 10) ↑ | seconds |");
        text.AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var g in runs.GroupBy(r => r.Loss))
        {
            var done = g.Where(r => r.Images is not null).Select(r => r.Images!).ToList();
            MeanStd Stat(Func<ImageEvaluation, double> f) => MeanStd.Of(done.Select(f).ToList());
            var seconds = MeanStd.Of(g.Where(r => r.Images is not null).Select(r => r.Seconds).ToList());
            text.AppendLine($"| {g.Key} | {g.Count()} | {g.Count() - done.Count} | {Format(Stat(e => e.Fid), "F1")} | {Format(Stat(e => e.Kid.Mean), "F4")} | " +
                            $"{Format(Stat(e => e.PrecisionRecall.Precision), "F3")} | {Format(Stat(e => e.PrecisionRecall.Recall), "F3")} | " +
                            $"{Format(Stat(e => e.Classes.Covered), "F1")} | {Format(seconds, "F0")} |");
        }
        var failed = runs.Where(r => r.Status != RunStatus.Completed).ToList();
        if (failed.Count > 0)
        {
            text.AppendLine();
            foreach (var r in failed) text.AppendLine($"- {r.Status.ToString().ToLowerInvariant()}: {r.Loss} seed {r.Seed} at step {r.Steps}: {r.Message}");
        }
        return text.ToString();
    }

    private static string Format(MeanStd v, string format) =>
        v.Count == 0 ? "–" : v.Count == 1 ? v.Mean.ToString(format, Invariant) : $"{v.Mean.ToString(format, Invariant)} ± {v.Std.ToString(format, Invariant)}";

    /// <summary>The CSV: a row per run, then per loss a mean and a std row over its completed runs.</summary>
    public static string ToCsv(IReadOnlyList<ComparisonRun> runs)
    {
        var columns = new[] { "fid", "kid", "kid_std", "precision", "recall", "classes_covered", "class_tv" };
        var text = new StringBuilder("loss,seed,status,steps,seconds," + string.Join(",", columns) + ",message\n");
        static double Pick(ImageEvaluation e, string c) => e.Columns.First(x => x.Name == c).Value;
        foreach (var r in runs)
        {
            var cells = new List<string> { r.Loss, r.Seed.ToString(Invariant), r.Status.ToString().ToLowerInvariant(), r.Steps.ToString(Invariant), CsvMetricsWriter.Format(r.Seconds) };
            cells.AddRange(columns.Select(c => r.Images is { } e ? CsvMetricsWriter.Format(Pick(e, c)) : ""));
            cells.Add(Escape(r.Message));
            text.AppendLine(string.Join(",", cells));
        }
        foreach (var g in runs.GroupBy(r => r.Loss))
        {
            var done = g.Where(r => r.Images is not null).ToList();
            var status = $"{done.Count}/{g.Count()}";
            foreach (var (label, pick) in new (string, Func<MeanStd, double>)[] { ("mean", v => v.Mean), ("std", v => v.Std) })
            {
                string Of(IEnumerable<double> values) => MeanStd.Of(values.ToList()) is { Count: > 0 } v ? CsvMetricsWriter.Format(pick(v)) : "";
                var cells = new List<string> { g.Key, label, status, "", Of(done.Select(r => r.Seconds)) };
                cells.AddRange(columns.Select(c => Of(done.Select(r => Pick(r.Images!, c)))));
                cells.Add("");
                text.AppendLine(string.Join(",", cells));
            }
        }
        return text.ToString();
    }

    private static string Escape(string? cell) =>
        cell is null ? "" : cell.IndexOfAny([',', '"', '\n', '\r']) < 0 ? cell : "\"" + cell.Replace("\"", "\"\"") + "\"";

    /// <summary>
    /// The figure (ScottPlot): per loss, in the order of --losses, a bar of the mean FID over its completed seeds with
    /// an error bar of ± one standard deviation, the loss's name under it; losses with no completed run are left out.
    /// </summary>
    public static void SaveFigure(string path, IReadOnlyList<ComparisonRun> runs, string title)
    {
        var bars = new List<ScottPlot.Bar>();
        var ticks = new List<ScottPlot.Tick>();
        var index = 0;
        foreach (var g in runs.GroupBy(r => r.Loss))
        {
            var fid = MeanStd.Of(g.Where(r => r.Images is not null).Select(r => r.Images!.Fid).ToList());
            var x = (double)index++;
            if (fid.Count == 0) continue;
            bars.Add(new ScottPlot.Bar
            {
                Position = x, Value = fid.Mean, Error = fid.Count > 1 ? fid.Std : 0,
                FillColor = Charts.Palette[(int)x % Charts.Palette.Count], Label = fid.Mean.ToString("F1", Invariant),
            });
            ticks.Add(new ScottPlot.Tick(x, $"{g.Key}\n{fid.Count} seed{(fid.Count == 1 ? "" : "s")}"));
        }
        if (bars.Count == 0) return;
        var plot = Charts.NewPlot();
        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 12;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Margins(bottom: 0);
        plot.YLabel("FID (lower is better), mean ± std over seeds");
        plot.Title(title, 16);
        Charts.Render(plot, Math.Max(640, 140 * bars.Count + 120), 480).Save(path);
    }

    // ------------------------------------------------------------ finished-run records (resume)

    internal sealed record RunRecord(string Loss, int Seed, string Status, long Steps, double Seconds, string? Message, string Key, string? EvaluationJson);

    /// <summary>
    /// Writes the record of a finished run (completed, or diverged: both are results) into its folder, after its
    /// other outputs; <paramref name="key"/> describes the settings it ran with.
    /// </summary>
    public static void WriteRecord(string runDirectory, ComparisonRun run, string key)
    {
        var record = new RunRecord(run.Loss, run.Seed, run.Status.ToString(), run.Steps, run.Seconds, run.Message, key, run.Images?.ToJson());
        AtomicFile.WriteAllBytes(Path.Combine(runDirectory, RunRecordFile), JsonSerializer.SerializeToUtf8Bytes(record, RunRecordJson.Default.RunRecord));
    }

    /// <summary>
    /// The finished run recorded in <paramref name="runDirectory"/> with the same <paramref name="key"/>, whose
    /// outputs are complete (samples.png and evaluation.json for a completed run), or null.
    /// </summary>
    public static ComparisonRun? ReadRecord(string runDirectory, string key)
    {
        var path = Path.Combine(runDirectory, RunRecordFile);
        if (!File.Exists(path)) return null;
        try
        {
            var record = JsonSerializer.Deserialize(File.ReadAllBytes(path), RunRecordJson.Default.RunRecord);
            if (record is null || record.Key != key || !Enum.TryParse<RunStatus>(record.Status, out var status)) return null;
            if (status == RunStatus.Failed) return null;   // failures (a full disk, say) are retried
            ImageEvaluation? images = null;
            if (status == RunStatus.Completed)
            {
                if (record.EvaluationJson is null || !File.Exists(Path.Combine(runDirectory, "samples.png")) || !File.Exists(Path.Combine(runDirectory, "evaluation.json"))) return null;
                images = ImageEvaluation.FromJson(record.EvaluationJson);
            }
            return new ComparisonRun(record.Loss, record.Seed, status, record.Steps, record.Seconds, null, record.Message) { Images = images };
        }
        catch (Exception e) when (e is JsonException or IOException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}

/// <summary>The run records' JSON, generated at compile time (no reflection: trimming and AOT safe).</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(ImageComparison.RunRecord))]
internal sealed partial class RunRecordJson : System.Text.Json.Serialization.JsonSerializerContext;
