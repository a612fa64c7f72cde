using System.Globalization;
using ScottPlot;

namespace GanDsl.Imaging;

/// <summary>Settings of a <see cref="ScatterPlot"/>.</summary>
public sealed record ScatterPlotOptions
{
    /// <summary>Picture height in pixels; the width adds room for the legend right of the square plot area.</summary>
    public int Size { get; init; } = 512;

    /// <summary>
    /// Ranges of the axes. Keep them fixed across a run so pictures of successive steps compare; when null,
    /// <see cref="ScatterPlot.FrameFor"/> of the real samples is used (of the generated ones when there are no real ones).
    /// </summary>
    public PlotFrame? Frame { get; init; }

    /// <summary>Title above the plot (for example "wgan-gp step 1000").</summary>
    public string? Title { get; init; }

    /// <summary>Font size of the title (smaller for the cells of a grid).</summary>
    public float TitleSize { get; init; } = 16;

    /// <summary>Colour of the real samples (blue).</summary>
    public Color RealColour { get; init; } = Charts.Blue;

    /// <summary>Colour of the generated samples (orange), drawn first and translucent (<see cref="GeneratedOpacity"/>) so the real points over them stay
    /// visible.</summary>
    public Color GeneratedColour { get; init; } = Charts.Orange;

    /// <summary>Opacity of a generated point: where many pile up the colour saturates, single ones stay faint.</summary>
    public double GeneratedOpacity { get; init; } = 0.3;

    /// <summary>Diameter of a generated point in pixels.</summary>
    public float PointSize { get; init; } = 4;

    /// <summary>Diameter of a real point in pixels (smaller: drawn on top, they should not hide the generated mass).</summary>
    public float RealPointSize { get; init; } = 3;

    /// <summary>
    /// The class of each generated point (a conditional generator's labels), or null: the generated points are then
    /// coloured by class (<see cref="Charts.Palette"/> without the real points' blue, cycling past 9 classes) instead of <see cref="GeneratedColour"/>.
    /// </summary>
    public IReadOnlyList<long>? GeneratedLabels { get; init; }
}

/// <summary>
/// A 2D scatter plot (ScottPlot) of real against generated samples (each row-major N × 2 floats): the generated points
/// translucent underneath, the real ones opaque on top, on fixed axes of equal units, with axis labels, a title, a legend outside the plot area, and a count
/// of generated points that fell
/// outside the range (or are not finite) in the title.
/// </summary>
public static class ScatterPlot
{
    /// <summary>Room right of the plot area for the legend, in pixels.</summary>
    public const int LegendWidth = 176;

    /// <summary>Up to this many classes, points coloured by class get one legend line each.</summary>
    private const int MaxClassLegend = 12;

    // Fixed margins around the square plot area (the legend's room comes on top of Right).
    private const int Left = 64, Right = 24, Top = 40, Bottom = 48; // Left + Right = Top + Bottom: the picture is Size + LegendWidth wide

    /// <summary>
    /// Axes fitted to the samples: centred on the middle of their bounding box, both as wide as its larger side plus
    /// 10% on each side, rounded outwards to multiples of 0.5, so the plot area shows the data at equal units wherever
    /// it lies (not only around the origin). Every picture of a run drawn with it shares the same axes.
    /// </summary>
    public static PlotFrame FrameFor(ReadOnlySpan<float> samples)
    {
        double minX = double.PositiveInfinity, maxX = double.NegativeInfinity, minY = double.PositiveInfinity, maxY = double.NegativeInfinity;
        for (int i = 0; i + 1 < samples.Length; i += 2)
        {
            if (!float.IsFinite(samples[i]) || !float.IsFinite(samples[i + 1])) continue;
            minX = Math.Min(minX, samples[i]); maxX = Math.Max(maxX, samples[i]);
            minY = Math.Min(minY, samples[i + 1]); maxY = Math.Max(maxY, samples[i + 1]);
        }
        if (minX > maxX) return PlotFrame.Square(new AxisRange(-1, 1)); // nothing finite to cover
        double half = Math.Max(Math.Max(maxX - minX, maxY - minY) / 2 * 1.2, 0.25);
        AxisRange Around(double centre)
        {
            double lo = Math.Floor((centre - half) / 0.5) * 0.5, hi = Math.Ceiling((centre + half) / 0.5) * 0.5;
            return new AxisRange(lo, hi);
        }
        AxisRange x = Around((minX + maxX) / 2), y = Around((minY + maxY) / 2);
        // Rounding may widen one axis more than the other: widen the narrower one at its top to keep equal units.
        double width = Math.Max(x.Max - x.Min, y.Max - y.Min);
        return new PlotFrame(x with { Max = x.Min + width }, y with { Max = y.Min + width });
    }

    /// <summary>Opacity of a class's generated points, drawn over the real ones: a class of several thousand points still shows its spread.</summary>
    private const double ClassOpacity = 0.6;

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
        var frame = options.Frame ?? FrameFor(real.Length > 0 ? real : generated);
        frame = new PlotFrame(frame.X.Validated("scatter x"), frame.Y.Validated("scatter y"));

        var plot = Charts.NewPlot();
        var (rx, ry, _) = Inside(real, frame);
        // Generated first and translucent, real on top: both stay visible where they overlap (issue 21: 10,000 opaque
        // generated points used to hide the ring they were drawn over).
        int outside;
        if (options.GeneratedLabels is { } labels)
        {
            // Coloured by class: the real points go underneath and translucent, or they would hide the classes' colours at
            // the modes where a conditional generator puts them.
            var realBelow = plot.Add.Markers(rx, ry, MarkerShape.FilledCircle, options.RealPointSize, options.RealColour.WithOpacity(options.GeneratedOpacity));
            realBelow.LegendText = $"real ({(real.Length / 2).ToString(CultureInfo.InvariantCulture)})";
            if (labels.Count != generated.Length / 2)
                throw new ArgumentException($"{labels.Count} labels for {generated.Length / 2} generated points; give one per point.", nameof(options));
            outside = 0;
            var classes = labels.Distinct().Order().ToArray();
            var buffer = new List<float>(generated.Length);
            foreach (var (label, index) in classes.Select((c, i) => (c, i)))
            {
                buffer.Clear();
                for (int i = 0; i < labels.Count; i++)
                    if (labels[i] == label) { buffer.Add(generated[2 * i]); buffer.Add(generated[2 * i + 1]); }
                var (cx, cy, classOutside) = Inside(buffer.ToArray(), frame);
                outside += classOutside;
                // The palette after its blue, which the real points wear: class 0 keeps the generated points' orange.
                var others = Charts.Palette.Count - 1;
                var colour = Charts.Palette[1 + (int)(((label % others) + others) % others)];
                var markers = plot.Add.Markers(cx, cy, MarkerShape.FilledCircle, options.PointSize, colour.WithOpacity(ClassOpacity));
                // One legend line per class while they fit beside the plot; beyond, one line for all.
                markers.LegendText = classes.Length <= MaxClassLegend ? $"class {label.ToString(CultureInfo.InvariantCulture)} " +
                    $"({(buffer.Count / 2).ToString(CultureInfo.InvariantCulture)})"
                    : index == 0 ? $"generated ({(generated.Length / 2).ToString(CultureInfo.InvariantCulture)}), colour = class" : "";
            }
        }
        else
        {
            (var gx, var gy, outside) = Inside(generated, frame);
            var generatedMarkers = plot.Add.Markers(gx, gy, MarkerShape.FilledCircle, options.PointSize,
                options.GeneratedColour.WithOpacity(options.GeneratedOpacity));
            generatedMarkers.LegendText = $"generated ({(generated.Length / 2).ToString(CultureInfo.InvariantCulture)})";
        }
        if (options.GeneratedLabels is null)
        {
            var realMarkers = plot.Add.Markers(rx, ry, MarkerShape.FilledCircle, options.RealPointSize, options.RealColour);
            realMarkers.LegendText = $"real ({(real.Length / 2).ToString(CultureInfo.InvariantCulture)})";
        }
        plot.Axes.SetLimits(frame.X.Min, frame.X.Max, frame.Y.Min, frame.Y.Max);
        plot.XLabel("x");
        plot.YLabel("y");
        var title = options.Title ?? "";
        if (outside > 0) title += $"{(title.Length > 0 ? ", " : "")}{outside.ToString(CultureInfo.InvariantCulture)} generated outside";
        if (title.Length > 0) plot.Title(title, options.TitleSize);
        plot.ShowLegend(Edge.Right);
        int side = options.Size - Top - Bottom;
        plot.Layout.Fixed(new PixelPadding(Left, Right + LegendWidth, Bottom, Top));
        return Charts.Render(plot, Left + side + Right + LegendWidth, options.Size);
    }

    /// <summary>Renders and saves as PNG atomically.</summary>
    public static void Save(string path, ReadOnlySpan<float> real, ReadOnlySpan<float> generated, ScatterPlotOptions? options = null) =>
        Render(real, generated, options).Save(path);

    /// <summary>The points inside the range, and how many were outside it or not finite.</summary>
    private static (double[] X, double[] Y, int Outside) Inside(ReadOnlySpan<float> points, PlotFrame frame)
    {
        var xs = new List<double>(points.Length / 2);
        var ys = new List<double>(points.Length / 2);
        int outside = 0;
        for (int i = 0; i + 1 < points.Length; i += 2)
        {
            double x = points[i], y = points[i + 1];
            if (x >= frame.X.Min && x <= frame.X.Max && y >= frame.Y.Min && y <= frame.Y.Max) { xs.Add(x); ys.Add(y); }
            else outside++; // NaN fails the comparisons too
        }
        return (xs.ToArray(), ys.ToArray(), outside);
    }
}
