using System.Globalization;
using ScottPlot;

namespace GanDsl.Imaging;

/// <summary>Settings of a <see cref="ScatterPlot"/>.</summary>
public sealed record ScatterPlotOptions
{
    /// <summary>Picture height in pixels; the width adds room for the legend right of the square plot area.</summary>
    public int Size { get; init; } = 512;

    /// <summary>
    /// Range of both axes. Keep it fixed across a run so pictures of successive steps compare; when null,
    /// <see cref="ScatterPlot.RangeFor"/> of the real samples is used.
    /// </summary>
    public AxisRange? Range { get; init; }

    /// <summary>Title above the plot (for example "wgan-gp step 1000").</summary>
    public string? Title { get; init; }

    /// <summary>Colour of the real samples (blue).</summary>
    public Color RealColour { get; init; } = Charts.Blue;

    /// <summary>Colour of the generated samples (orange, drawn on top of the real ones).</summary>
    public Color GeneratedColour { get; init; } = Charts.Orange;

    /// <summary>Diameter of a point in pixels.</summary>
    public float PointSize { get; init; } = 4;
}

/// <summary>
/// A 2D scatter plot (ScottPlot) of real against generated samples (each row-major N × 2 floats) on a fixed square
/// range, with axis labels, a title, a legend outside the plot area, and a count of generated points that fell
/// outside the range (or are not finite) in the title.
/// </summary>
public static class ScatterPlot
{
    /// <summary>Room right of the plot area for the legend, in pixels.</summary>
    public const int LegendWidth = 176;

    // Fixed margins around the square plot area (the legend's room comes on top of Right).
    private const int Left = 64, Right = 24, Top = 40, Bottom = 48; // Left + Right = Top + Bottom: the picture is Size + LegendWidth wide

    /// <summary>
    /// A square range covering the samples with a 10% margin, rounded outwards to multiples of 0.5, so every
    /// picture of a run drawn with it shares the same axes.
    /// </summary>
    public static AxisRange RangeFor(ReadOnlySpan<float> samples)
    {
        double extent = 0;
        foreach (float v in samples)
            if (float.IsFinite(v)) extent = Math.Max(extent, Math.Abs(v));
        if (extent == 0) return new AxisRange(-1, 1); // nothing finite to cover
        double half = Math.Ceiling(extent * 1.1 / 0.5) * 0.5;
        return new AxisRange(-half, half);
    }

    /// <summary>
    /// Renders the plot, <see cref="ScatterPlotOptions.Size"/> high, its plot area square (equal units on both axes),
    /// and <see cref="LegendWidth"/> wider than high for the legend.
    /// </summary>
    /// <exception cref="ArgumentException">When a sample array is not N × 2 floats, or the range is invalid.</exception>
    public static PlotPicture Render(ReadOnlySpan<float> real, ReadOnlySpan<float> generated, ScatterPlotOptions? options = null)
    {
        options ??= new ScatterPlotOptions();
        if (real.Length % 2 != 0) throw new ArgumentException($"Real samples must be N × 2 floats, got {real.Length}.", nameof(real));
        if (generated.Length % 2 != 0) throw new ArgumentException($"Generated samples must be N × 2 floats, got {generated.Length}.", nameof(generated));
        if (options.Size < 120) throw new ArgumentOutOfRangeException(nameof(options), options.Size, "The picture must be at least 120 pixels high.");
        AxisRange range = (options.Range ?? RangeFor(real)).Validated("scatter");

        var plot = Charts.NewPlot();
        var (rx, ry, _) = Inside(real, range);
        var (gx, gy, outside) = Inside(generated, range);
        var realMarkers = plot.Add.Markers(rx, ry, MarkerShape.FilledCircle, options.PointSize, options.RealColour);
        realMarkers.LegendText = $"real ({(real.Length / 2).ToString(CultureInfo.InvariantCulture)})";
        var generatedMarkers = plot.Add.Markers(gx, gy, MarkerShape.FilledCircle, options.PointSize, options.GeneratedColour);
        generatedMarkers.LegendText = $"generated ({(generated.Length / 2).ToString(CultureInfo.InvariantCulture)})";
        plot.Axes.SetLimits(range.Min, range.Max, range.Min, range.Max);
        plot.XLabel("x");
        plot.YLabel("y");
        var title = options.Title ?? "";
        if (outside > 0) title += $"{(title.Length > 0 ? ", " : "")}{outside.ToString(CultureInfo.InvariantCulture)} generated outside";
        if (title.Length > 0) plot.Title(title, 16);
        plot.ShowLegend(Edge.Right);
        int side = options.Size - Top - Bottom;
        plot.Layout.Fixed(new PixelPadding(Left, Right + LegendWidth, Bottom, Top));
        return Charts.Render(plot, Left + side + Right + LegendWidth, options.Size);
    }

    /// <summary>Renders and saves as PNG atomically.</summary>
    public static void Save(string path, ReadOnlySpan<float> real, ReadOnlySpan<float> generated, ScatterPlotOptions? options = null) =>
        Render(real, generated, options).Save(path);

    /// <summary>The points inside the range, and how many were outside it or not finite.</summary>
    private static (double[] X, double[] Y, int Outside) Inside(ReadOnlySpan<float> points, AxisRange range)
    {
        var xs = new List<double>(points.Length / 2);
        var ys = new List<double>(points.Length / 2);
        int outside = 0;
        for (int i = 0; i + 1 < points.Length; i += 2)
        {
            double x = points[i], y = points[i + 1];
            if (x >= range.Min && x <= range.Max && y >= range.Min && y <= range.Max) { xs.Add(x); ys.Add(y); }
            else outside++; // NaN fails the comparisons too
        }
        return (xs.ToArray(), ys.ToArray(), outside);
    }
}
