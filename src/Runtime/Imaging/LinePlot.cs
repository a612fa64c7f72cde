using GanDsl.Data;

namespace GanDsl.Imaging;

/// <summary>One named curve: y values over x values (for example a loss over training steps).</summary>
/// <param name="Name">Legend text (drawn with <see cref="BitmapFont"/>: letters, digits, . - _ and a few more).</param>
/// <param name="X">Horizontal values, usually steps.</param>
/// <param name="Y">Vertical values; NaN or infinite entries leave a gap in the line.</param>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>Settings of a <see cref="LinePlot"/>.</summary>
public sealed record LinePlotOptions
{
    /// <summary>Picture width in pixels.</summary>
    public int Width { get; init; } = 720;

    /// <summary>Picture height in pixels.</summary>
    public int Height { get; init; } = 420;

    /// <summary>Title above the plot.</summary>
    public string? Title { get; init; }

    /// <summary>Title under the x axis.</summary>
    public string? XTitle { get; init; } = "STEP";

    /// <summary>Vertical range; when null it covers every finite value of every series.</summary>
    public AxisRange? YRange { get; init; }

    /// <summary>Line thickness in pixels.</summary>
    public int LineThickness { get; init; } = 2;
}

/// <summary>
/// Line plot of several named series (loss curves) with axes, tick marks, labels and a legend in distinct
/// colours (<see cref="Rgb.Palette"/>), text in the embedded <see cref="BitmapFont"/>.
/// </summary>
public static class LinePlot
{
    /// <summary>Renders the series.</summary>
    /// <exception cref="ArgumentException">When there are no series, or a series' X and Y differ in length.</exception>
    public static RgbImage Render(IReadOnlyList<Series> series, LinePlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        options ??= new LinePlotOptions();
        if (series.Count == 0) throw new ArgumentException("At least one series is needed.", nameof(series));
        foreach (Series s in series)
            if (s.X.Count != s.Y.Count)
                throw new ArgumentException($"Series '{s.Name}' has {s.X.Count} x values but {s.Y.Count} y values.", nameof(series));
        if (options.Width < 200 || options.Height < 150)
            throw new ArgumentOutOfRangeException(nameof(options), "The picture must be at least 200 × 150 pixels.");

        double xMin = double.PositiveInfinity, xMax = double.NegativeInfinity, yMin = double.PositiveInfinity, yMax = double.NegativeInfinity;
        foreach (Series s in series)
            for (int i = 0; i < s.X.Count; i++)
            {
                if (!double.IsFinite(s.X[i]) || !double.IsFinite(s.Y[i])) continue;
                xMin = Math.Min(xMin, s.X[i]); xMax = Math.Max(xMax, s.X[i]);
                yMin = Math.Min(yMin, s.Y[i]); yMax = Math.Max(yMax, s.Y[i]);
            }
        AxisRange xRange = double.IsFinite(xMin) ? (xMax > xMin ? new AxisRange(xMin, xMax) : PlotAxes.Padded(xMin, xMax)) : new AxisRange(0, 1);
        AxisRange yRange = options.YRange ?? PlotAxes.Padded(yMin, yMax);

        const int LeftMargin = 70, RightMargin = 16, TopMargin = 28, BottomMargin = 36;
        var image = new RgbImage(options.Width, options.Height, Rgb.White);
        var axes = new PlotAxes(LeftMargin, TopMargin, options.Width - LeftMargin - RightMargin, options.Height - TopMargin - BottomMargin, xRange, yRange);
        axes.Draw(image, options.XTitle);

        for (int k = 0; k < series.Count; k++)
            DrawSeries(image, axes, series[k], Rgb.Palette[k % Rgb.Palette.Count], options.LineThickness);

        if (!string.IsNullOrEmpty(options.Title))
            image.DrawText(LeftMargin, 8, options.Title, Rgb.Black);
        var names = series.Select(s => s.Name).ToArray();
        var colours = series.Select((_, k) => Rgb.Palette[k % Rgb.Palette.Count]).ToArray();
        int legendWidth = 24 + names.Max(n => BitmapFont.MeasureWidth(n)) + 4;
        ScatterPlot.DrawLegend(image, axes.Left + axes.Width - legendWidth - 6, axes.Top + 6, names, colours);
        return image;
    }

    /// <summary>Renders and saves as PNG atomically.</summary>
    public static void Save(string path, IReadOnlyList<Series> series, LinePlotOptions? options = null) =>
        AtomicFile.WriteAllBytes(path, Render(series, options).ToPng());

    private static void DrawSeries(RgbImage image, PlotAxes axes, Series s, Rgb colour, int thickness)
    {
        bool havePrevious = false;
        int px = 0, py = 0;
        for (int i = 0; i < s.X.Count; i++)
        {
            double x = s.X[i], y = s.Y[i];
            if (!double.IsFinite(x) || !double.IsFinite(y)) { havePrevious = false; continue; }
            // Values beyond a fixed y range are clipped to just outside the frame rather than dropped.
            double cy = Math.Clamp(y, axes.Y.Min - 0.02 * (axes.Y.Max - axes.Y.Min), axes.Y.Max + 0.02 * (axes.Y.Max - axes.Y.Min));
            int nx = (int)Math.Round(axes.PixelX(x)), ny = (int)Math.Round(axes.PixelY(cy));
            if (havePrevious) image.DrawLine(px, py, nx, ny, colour, thickness);
            else image.FillRect(nx - thickness / 2, ny - thickness / 2, thickness, thickness, colour);
            (px, py, havePrevious) = (nx, ny, true);
        }
    }
}
