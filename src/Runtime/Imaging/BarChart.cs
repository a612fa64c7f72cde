using System.Globalization;
using GanDsl.Training;

namespace GanDsl.Imaging;

/// <summary>
/// Bars of a measure per loss (ScottPlot): the mean over seeds with an error bar of ± one standard deviation, the
/// value above it and the label and seed count under it, each loss in its palette colour (by its position, so a loss
/// keeps its colour across the figures of one comparison). Groups with no value get no bar.
/// </summary>
public static class BarChart
{
    /// <summary>Renders the bars, or returns null when no group has a value.</summary>
    /// <param name="groups">Label and value per group, in order.</param>
    /// <param name="yLabel">The vertical axis' label.</param>
    /// <param name="title">The title.</param>
    /// <param name="format">.NET format of the value labels.</param>
    /// <param name="width">Picture width; null: wide enough for the bars.</param>
    /// <param name="height">Picture height.</param>
    public static PlotPicture? Render(IReadOnlyList<(string Label, MeanStd Value)> groups, string yLabel, string title, string format = "G3",
        int? width = null, int height = 480)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var bars = new List<ScottPlot.Bar>();
        var ticks = new List<ScottPlot.Tick>();
        for (var i = 0; i < groups.Count; i++)
        {
            var (label, value) = groups[i];
            if (value.Count == 0 || !double.IsFinite(value.Mean)) continue;
            bars.Add(new ScottPlot.Bar
            {
                Position = i, Value = value.Mean, Error = value.Count > 1 ? value.Std : 0,
                FillColor = Charts.Palette[i % Charts.Palette.Count], Label = value.Mean.ToString(format, CultureInfo.InvariantCulture),
            });
            ticks.Add(new ScottPlot.Tick(i, $"{label}\n{value.Count} seed{(value.Count == 1 ? "" : "s")}"));
        }
        if (bars.Count == 0) return null;
        var plot = Charts.NewPlot();
        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 12;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Margins(bottom: 0);
        plot.YLabel(yLabel);
        plot.Title(title, 16);
        return Charts.Render(plot, width ?? Math.Max(640, 140 * bars.Count + 120), height);
    }
}
