using System.Globalization;
using GanDsl.Data;

namespace GanDsl.Imaging;

/// <summary>Settings of a <see cref="ScatterPlot"/>.</summary>
public sealed record ScatterPlotOptions
{
    /// <summary>Picture width and height in pixels.</summary>
    public int Size { get; init; } = 512;

    /// <summary>
    /// Range of both axes. Keep it fixed across a run so pictures of successive steps compare; when null,
    /// <see cref="ScatterPlot.RangeFor"/> of the real samples is used.
    /// </summary>
    public AxisRange? Range { get; init; }

    /// <summary>Title drawn above the plot (for example "RING STEP 1000").</summary>
    public string? Title { get; init; }

    /// <summary>Colour of the real samples.</summary>
    public Rgb RealColour { get; init; } = Rgb.Palette[0];

    /// <summary>Colour of the generated samples (drawn on top of the real ones).</summary>
    public Rgb GeneratedColour { get; init; } = Rgb.Palette[1];

    /// <summary>Radius of a point's disc in pixels (0 draws single pixels).</summary>
    public int PointRadius { get; init; } = 1;
}

/// <summary>
/// A 2D scatter plot of real against generated samples (each row-major N × 2 floats) on a fixed square range,
/// with axes, ticks, a legend, and a count of generated points that fell outside the range.
/// </summary>
public static class ScatterPlot
{
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

    /// <summary>Renders the plot.</summary>
    /// <exception cref="ArgumentException">When a sample array is not N × 2 floats, or the range is invalid.</exception>
    public static RgbImage Render(ReadOnlySpan<float> real, ReadOnlySpan<float> generated, ScatterPlotOptions? options = null)
    {
        options ??= new ScatterPlotOptions();
        if (real.Length % 2 != 0) throw new ArgumentException($"Real samples must be N × 2 floats, got {real.Length}.", nameof(real));
        if (generated.Length % 2 != 0) throw new ArgumentException($"Generated samples must be N × 2 floats, got {generated.Length}.", nameof(generated));
        if (options.Size < 120) throw new ArgumentOutOfRangeException(nameof(options), options.Size, "The picture must be at least 120 pixels wide.");

        AxisRange range = (options.Range ?? RangeFor(real)).Validated("scatter");
        const int LeftMargin = 48, TopMargin = 24, RightMargin = 12, BottomMargin = 24;
        int side = options.Size - Math.Max(LeftMargin + RightMargin, TopMargin + BottomMargin);
        var image = new RgbImage(options.Size, options.Size, Rgb.White);
        var axes = new PlotAxes(LeftMargin, TopMargin, side, side, range, range);
        axes.Draw(image, targetTicks: 6);

        Plot(image, axes, real, options.RealColour, options.PointRadius);
        int outside = Plot(image, axes, generated, options.GeneratedColour, options.PointRadius);

        // Legend in the top-left corner of the plot area, on a white box so points do not hide it.
        string[] names = ["REAL", "GENERATED"];
        Rgb[] colours = [options.RealColour, options.GeneratedColour];
        DrawLegend(image, axes.Left + 6, axes.Top + 6, names, colours);

        if (!string.IsNullOrEmpty(options.Title))
            image.DrawText(LeftMargin, 8, options.Title, Rgb.Black);
        if (outside > 0)
        {
            string note = outside.ToString(CultureInfo.InvariantCulture) + " OUTSIDE";
            image.DrawText(axes.Left + axes.Width - BitmapFont.MeasureWidth(note) - 6, 8, note, options.GeneratedColour);
        }
        return image;
    }

    /// <summary>Renders and saves as PNG atomically.</summary>
    public static void Save(string path, ReadOnlySpan<float> real, ReadOnlySpan<float> generated, ScatterPlotOptions? options = null) =>
        AtomicFile.WriteAllBytes(path, Render(real, generated, options).ToPng());

    /// <summary>Draws the points inside the range; returns how many were outside it or not finite.</summary>
    private static int Plot(RgbImage image, PlotAxes axes, ReadOnlySpan<float> points, Rgb colour, int radius)
    {
        int outside = 0;
        for (int i = 0; i + 1 < points.Length; i += 2)
        {
            double x = points[i], y = points[i + 1];
            if (!axes.Contains(x, y)) { outside++; continue; } // NaN fails Contains too
            int px = (int)Math.Round(axes.PixelX(x)), py = (int)Math.Round(axes.PixelY(y));
            if (radius <= 0) image.SetPixel(px, py, colour);
            else image.FillDisc(px, py, radius, colour);
        }
        return outside;
    }

    /// <summary>A boxed legend: a colour swatch and a name per entry.</summary>
    internal static void DrawLegend(RgbImage image, int left, int top, IReadOnlyList<string> names, IReadOnlyList<Rgb> colours)
    {
        const int Line = 12, Swatch = 12;
        int textWidth = names.Max(n => BitmapFont.MeasureWidth(n));
        int width = 4 + Swatch + 4 + textWidth + 4, height = 4 + names.Count * Line + 1;
        image.FillRect(left, top, width, height, Rgb.White);
        image.DrawLine(left, top, left + width - 1, top, Rgb.Grey);
        image.DrawLine(left, top + height - 1, left + width - 1, top + height - 1, Rgb.Grey);
        image.DrawLine(left, top, left, top + height - 1, Rgb.Grey);
        image.DrawLine(left + width - 1, top, left + width - 1, top + height - 1, Rgb.Grey);
        for (int i = 0; i < names.Count; i++)
        {
            int y = top + 4 + i * Line;
            image.FillRect(left + 4, y + 1, Swatch, 5, colours[i]);
            image.DrawText(left + 4 + Swatch + 4, y, names[i], Rgb.Black);
        }
    }
}
