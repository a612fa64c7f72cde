using System.Globalization;

namespace GanDsl.Imaging;

/// <summary>A closed interval of data values shown along one axis.</summary>
/// <param name="Min">Value at the left or bottom edge.</param>
/// <param name="Max">Value at the right or top edge (greater than <paramref name="Min"/>).</param>
public readonly record struct AxisRange(double Min, double Max)
{
    /// <summary>Checks that the range is finite and not empty.</summary>
    /// <exception cref="ArgumentException">When it is not.</exception>
    public AxisRange Validated(string name)
    {
        if (!double.IsFinite(Min) || !double.IsFinite(Max) || !(Max > Min))
            throw new ArgumentException($"The {name} range [{Min}, {Max}] must be finite with max > min.", name);
        return this;
    }
}

/// <summary>
/// The frame of a plot: the pixel rectangle data is drawn into, the value ranges it shows, and the axes with
/// "nice" tick marks (1, 2 or 5 × 10^k apart) and labels. Shared by <see cref="ScatterPlot"/> and <see cref="LinePlot"/>.
/// </summary>
public sealed class PlotAxes
{
    /// <summary>The frame for data in <paramref name="x"/> × <paramref name="y"/> drawn inside the given pixel rectangle.</summary>
    public PlotAxes(int left, int top, int width, int height, AxisRange x, AxisRange y)
    {
        if (width < 2 || height < 2) throw new ArgumentOutOfRangeException(nameof(width), "The plot area is too small.");
        Left = left; Top = top; Width = width; Height = height;
        X = x.Validated("x");
        Y = y.Validated("y");
    }

    /// <summary>Pixel column of the plot area's left edge.</summary>
    public int Left { get; }
    /// <summary>Pixel row of the plot area's top edge.</summary>
    public int Top { get; }
    /// <summary>Plot area width in pixels.</summary>
    public int Width { get; }
    /// <summary>Plot area height in pixels.</summary>
    public int Height { get; }
    /// <summary>Horizontal data range.</summary>
    public AxisRange X { get; }
    /// <summary>Vertical data range.</summary>
    public AxisRange Y { get; }

    /// <summary>Pixel column of data value <paramref name="x"/> (may lie outside the area).</summary>
    public double PixelX(double x) => Left + (x - X.Min) / (X.Max - X.Min) * (Width - 1);

    /// <summary>Pixel row of data value <paramref name="y"/> (larger values higher up).</summary>
    public double PixelY(double y) => Top + (Y.Max - y) / (Y.Max - Y.Min) * (Height - 1);

    /// <summary>Whether the data point lies inside the ranges.</summary>
    public bool Contains(double x, double y) => x >= X.Min && x <= X.Max && y >= Y.Min && y <= Y.Max;

    /// <summary>
    /// Draws light grid lines at the ticks, the frame, tick marks and their labels (below the x axis, left of
    /// the y axis), and optional axis titles.
    /// </summary>
    public void Draw(RgbImage image, string? xTitle = null, string? yTitle = null, int targetTicks = 6)
    {
        var (xTicks, xStep) = Ticks(X, targetTicks);
        var (yTicks, yStep) = Ticks(Y, targetTicks);
        int right = Left + Width - 1, bottom = Top + Height - 1;

        foreach (double t in xTicks)
        {
            int px = (int)Math.Round(PixelX(t));
            image.DrawLine(px, Top, px, bottom, Rgb.LightGrey);
            image.DrawLine(px, bottom, px, bottom + 4, Rgb.Black);
            string label = FormatTick(t, xStep);
            image.DrawText(px - BitmapFont.MeasureWidth(label) / 2, bottom + 7, label, Rgb.Black);
        }
        foreach (double t in yTicks)
        {
            int py = (int)Math.Round(PixelY(t));
            image.DrawLine(Left, py, right, py, Rgb.LightGrey);
            image.DrawLine(Left - 4, py, Left, py, Rgb.Black);
            string label = FormatTick(t, yStep);
            image.DrawText(Left - 7 - BitmapFont.MeasureWidth(label), py - BitmapFont.GlyphHeight / 2, label, Rgb.Black);
        }
        // Frame last so grid lines do not cross it.
        image.DrawLine(Left, Top, right, Top, Rgb.Black);
        image.DrawLine(Left, bottom, right, bottom, Rgb.Black);
        image.DrawLine(Left, Top, Left, bottom, Rgb.Black);
        image.DrawLine(right, Top, right, bottom, Rgb.Black);

        if (!string.IsNullOrEmpty(xTitle))
            image.DrawText(Left + (Width - BitmapFont.MeasureWidth(xTitle)) / 2, bottom + 20, xTitle, Rgb.Black);
        if (!string.IsNullOrEmpty(yTitle))
            image.DrawText(Math.Max(2, Left - 7 - BitmapFont.MeasureWidth(yTitle)), Math.Max(2, Top - 12), yTitle, Rgb.Black);
    }

    /// <summary>
    /// Tick values inside <paramref name="range"/>, about <paramref name="target"/> of them, spaced by 1, 2 or 5 × 10^k
    /// (the "nice numbers" of Heckbert, Graphics Gems 1990), and the spacing.
    /// </summary>
    public static (IReadOnlyList<double> Ticks, double Step) Ticks(AxisRange range, int target = 6)
    {
        double raw = (range.Max - range.Min) / Math.Max(1, target);
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double fraction = raw / magnitude;
        double step = (fraction < 1.5 ? 1 : fraction < 3.5 ? 2 : fraction < 7.5 ? 5 : 10) * magnitude;
        var ticks = new List<double>();
        double first = Math.Ceiling(range.Min / step - 1e-9);
        for (double k = first; k * step <= range.Max + 1e-9 * step && ticks.Count < 100; k++)
        {
            double t = k * step;
            ticks.Add(Math.Abs(t) < 1e-12 * step ? 0 : t); // avoid "-0"
        }
        return (ticks, step);
    }

    /// <summary>A tick label with just enough decimals for the spacing; exponent form for very large or small values.</summary>
    public static string FormatTick(double value, double step)
    {
        double magnitude = Math.Max(Math.Abs(value), step);
        if (magnitude >= 1e6 || step < 1e-4)
            return value.ToString("0.##E+0", CultureInfo.InvariantCulture);
        int decimals = Math.Max(0, (int)-Math.Floor(Math.Log10(step) + 1e-9));
        return value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    /// <summary>A range covering [<paramref name="min"/>, <paramref name="max"/>] plus a margin, widened when it is a single value.</summary>
    public static AxisRange Padded(double min, double max, double marginFraction = 0.05)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max)) return new AxisRange(-1, 1);
        if (max <= min)
        {
            double half = Math.Max(Math.Abs(min) * 0.1, 1e-3);
            return new AxisRange(min - half, max + half);
        }
        double margin = (max - min) * marginFraction;
        return new AxisRange(min - margin, max + margin);
    }
}
