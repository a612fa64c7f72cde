using ScottPlot;

namespace GanDsl.Imaging;

/// <summary>One named curve: y values over x values (for example a loss over training steps).</summary>
/// <param name="Name">Legend text.</param>
/// <param name="X">Horizontal values, usually steps.</param>
/// <param name="Y">Vertical values; NaN or infinite entries are left out.</param>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>Settings of a <see cref="LinePlot"/>.</summary>
public sealed record LinePlotOptions
{
    /// <summary>Picture width in pixels.</summary>
    public int Width { get; init; } = 800;

    /// <summary>Picture height in pixels.</summary>
    public int Height { get; init; } = 450;

    /// <summary>Title above the plot.</summary>
    public string? Title { get; init; }

    /// <summary>Label of the x axis.</summary>
    public string? XTitle { get; init; } = "generator step";

    /// <summary>Label of the y axis.</summary>
    public string? YTitle { get; init; } = "loss";

    /// <summary>Vertical range; when null it covers every finite value of every series.</summary>
    public AxisRange? YRange { get; init; }

    /// <summary>Line width in pixels.</summary>
    public float LineWidth { get; init; } = 2;
}

/// <summary>Line plot (ScottPlot) of several named series (loss curves) in distinct colours (<see cref="Charts.Palette"/>), with axis labels, a title and a legend.</summary>
public static class LinePlot
{
    /// <summary>Renders the series.</summary>
    /// <exception cref="ArgumentException">When there are no series, or a series' X and Y differ in length.</exception>
    public static PlotPicture Render(IReadOnlyList<Series> series, LinePlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        options ??= new LinePlotOptions();
        if (series.Count == 0) throw new ArgumentException("At least one series is needed.", nameof(series));
        foreach (Series s in series)
            if (s.X.Count != s.Y.Count)
                throw new ArgumentException($"Series '{s.Name}' has {s.X.Count} x values but {s.Y.Count} y values.", nameof(series));
        if (options.Width < 200 || options.Height < 150)
            throw new ArgumentOutOfRangeException(nameof(options), "The picture must be at least 200 × 150 pixels.");

        var plot = Charts.NewPlot();
        for (int k = 0; k < series.Count; k++)
        {
            var finite = Enumerable.Range(0, series[k].X.Count).Where(i => double.IsFinite(series[k].X[i]) && double.IsFinite(series[k].Y[i])).ToArray();
            var line = plot.Add.ScatterLine(finite.Select(i => series[k].X[i]).ToArray(), finite.Select(i => series[k].Y[i]).ToArray(), Charts.Palette[k % Charts.Palette.Count]);
            line.LineWidth = options.LineWidth;
            line.LegendText = series[k].Name;
        }
        if (options.YRange is { } y) plot.Axes.SetLimitsY(y.Min, y.Max);
        if (options.XTitle is { } xt) plot.XLabel(xt);
        if (options.YTitle is { } yt) plot.YLabel(yt);
        if (!string.IsNullOrEmpty(options.Title)) plot.Title(options.Title, 16);
        plot.ShowLegend(Alignment.UpperRight);
        return Charts.Render(plot, options.Width, options.Height);
    }

    /// <summary>Renders and saves as PNG atomically.</summary>
    public static void Save(string path, IReadOnlyList<Series> series, LinePlotOptions? options = null) =>
        Render(series, options).Save(path);
}
