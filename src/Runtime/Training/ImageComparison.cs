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
/// precision, recall and classes covered as mean ± std over seeds, the CSV and the figure of FID per loss.
/// </summary>
public static class ImageComparison
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The figure comparing the losses.</summary>
    public const string FigureFile = "comparison_fid.png";

    /// <summary>The Markdown table, then one line per diverged or failed run naming it.</summary>
    public static string ToMarkdown(IReadOnlyList<ComparisonRun> runs)
    {
        var conditional = runs.Any(r => r.Images?.Conditional is not null);
        var text = new StringBuilder();
        text.AppendLine("| loss | runs | diverged | FID ↓ | KID ↓ | precision ↑ | recall ↑ | classes covered (of 10) ↑ |" +
                        (conditional ? " class accuracy ↑ | intra-FID ↓ |" : "") + " seconds |");
        text.AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|" + (conditional ? "--:|--:|" : "") + "--:|");
        foreach (var g in runs.GroupBy(r => r.Loss))
        {
            var done = g.Where(r => r.Images is not null).Select(r => r.Images!).ToList();
            MeanStd Stat(Func<ImageEvaluation, double> f) => MeanStd.Of(done.Select(f).ToList());
            // The class measures of a loss whose runs are not all conditional would mix populations: "–" then.
            MeanStd Conditional(Func<ClassConditionalEvaluation, double> f) =>
                done.All(e => e.Conditional is not null) ? MeanStd.Of(done.Select(e => f(e.Conditional!)).ToList()) : default;
            var seconds = MeanStd.Of(g.Where(r => r.Images is not null).Select(r => r.Seconds).ToList());
            text.AppendLine($"| {g.Key} | {g.Count()} | {g.Count() - done.Count} | {Format(Stat(e => e.Fid), "F1")} | " +
                $"{Format(Stat(e => e.Kid.Mean), "F4")} | " +
                            $"{Format(Stat(e => e.PrecisionRecall.Precision), "F3")} | {Format(Stat(e => e.PrecisionRecall.Recall), "F3")} | " +
                            $"{Format(Stat(e => e.Classes.Covered), "F1")} | " +
                            (conditional ? $"{Format(Conditional(c => 100 * c.Accuracy), "F1")}{(Conditional(c => c.Accuracy).Count > 0 ? " %" : "")} | " +
                                $"{Format(Conditional(c => c.IntraFid), "F1")} | " : "") +
                            $"{Format(seconds, "F0")} |");
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
        string[] columns = ["fid", "kid", "kid_std", "precision", "recall", "classes_covered", "class_tv",
            .. runs.Any(r => r.Images?.Conditional is not null) ? new[] { "class_accuracy", "intra_fid" } : []];
        var text = new StringBuilder("loss,seed,status,steps,seconds," + string.Join(",", columns) + ",message\n");
        // Null where a run lacks the column (an unconditional run beside conditional ones): an empty cell.
        static double? Pick(ImageEvaluation e, string c) => e.Columns.Where(x => x.Name == c).Select(x => (double?)x.Value).FirstOrDefault();
        foreach (var r in runs)
        {
            var cells = new List<string> { r.Loss, r.Seed.ToString(Invariant), r.Status.ToString().ToLowerInvariant(), r.Steps.ToString(Invariant),
                CsvMetricsWriter.Format(r.Seconds) };
            cells.AddRange(columns.Select(c => r.Images is { } e && Pick(e, c) is { } v ? CsvMetricsWriter.Format(v) : ""));
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
                cells.AddRange(columns.Select(c => Of(done.Select(r => Pick(r.Images!, c)).OfType<double>())));
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
        var groups = runs.GroupBy(r => r.Loss)
            .Select(g => (g.Key, MeanStd.Of(g.Where(r => r.Images is not null).Select(r => r.Images!.Fid).ToList()))).ToList();
        BarChart.Render(groups, "FID (lower is better), mean ± std over seeds", title, "F1")?.Save(path);
    }
}
