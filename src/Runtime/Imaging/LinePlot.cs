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

    /// <summary>
    /// A symmetric-log vertical axis (matplotlib's <c>symlog</c>): linear within ±<see cref="LinearThreshold"/>,
    /// logarithmic beyond, signs kept; ticks at 0 and ±threshold·10^k show the values themselves. One spike of 10⁶
    /// then takes a few decades of the height instead of flattening every other curve to a line.
    /// </summary>
    public bool SymmetricLog { get; init; }

    /// <summary>Where <see cref="SymmetricLog"/> turns from linear to logarithmic (positive).</summary>
    public double LinearThreshold { get; init; } = 1;
}

/// <summary>Line plot (ScottPlot) of several named series (loss curves) in distinct colours (<see cref="Charts.Palette"/>), with axis labels, a title and a
/// legend.</summary>
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

        if (options.SymmetricLog && !(options.LinearThreshold > 0 && double.IsFinite(options.LinearThreshold)))
            throw new ArgumentOutOfRangeException(nameof(options), options.LinearThreshold, "The symlog threshold must be positive.");
        double c = options.LinearThreshold;
        double Y(double v) => options.SymmetricLog ? SymLog(v, c) : v;

        var plot = Charts.NewPlot();
        double top = 0;
        for (int k = 0; k < series.Count; k++)
        {
            var finite = Enumerable.Range(0, series[k].X.Count).Where(i => double.IsFinite(series[k].X[i]) && double.IsFinite(series[k].Y[i])).ToArray();
            var ys = finite.Select(i => Y(series[k].Y[i])).ToArray();
            if (ys.Length > 0) top = Math.Max(top, ys.Max(Math.Abs));
            var line = plot.Add.ScatterLine(finite.Select(i => series[k].X[i]).ToArray(), ys, Charts.Palette[k % Charts.Palette.Count]);
            line.LineWidth = options.LineWidth;
            line.LegendText = series[k].Name;
        }
        if (options.SymmetricLog) plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(SymLogTicks(top, c).ToArray());
        if (options.YRange is { } y) plot.Axes.SetLimitsY(Y(y.Min), Y(y.Max));
        if (options.XTitle is { } xt) plot.XLabel(xt);
        if (options.YTitle is { } yt) plot.YLabel(yt);
        if (!string.IsNullOrEmpty(options.Title)) plot.Title(options.Title, 16);
        plot.ShowLegend(Alignment.UpperRight);
        return Charts.Render(plot, options.Width, options.Height);
    }

    /// <summary>Renders and saves as PNG atomically.</summary>
    public static void Save(string path, IReadOnlyList<Series> series, LinePlotOptions? options = null) =>
        Render(series, options).Save(path);

    /// <summary>The symmetric-log transform: sign(v)·log10(1 + |v|/c), linear (slope 1/(c ln 10)) near 0.</summary>
    public static double SymLog(double v, double c) => Math.Sign(v) * Math.Log10(1 + Math.Abs(v) / c);

    /// <summary>Ticks at 0 and ±c·10^k up to the data's extent (in transformed units), labelled with the values.</summary>
    private static IEnumerable<ScottPlot.Tick> SymLogTicks(double top, double c)
    {
        yield return new ScottPlot.Tick(0, "0");
        for (int k = 0; k <= 30; k++)
        {
            double value = c * Math.Pow(10, k);
            double at = SymLog(value, c);
            if (at > top * 1.05 && k > 0) yield break;
            string label = value.ToString(value is >= 1e-3 and < 1e4 ? "G4" : "0e0", System.Globalization.CultureInfo.InvariantCulture);
            yield return new ScottPlot.Tick(at, label);
            yield return new ScottPlot.Tick(-at, "-" + label);
        }
    }
}
