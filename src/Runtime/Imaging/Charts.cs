using GanDsl.Data;
using GanDsl.Formats;
using ScottPlot;
using SkiaSharp;

namespace GanDsl.Imaging;

/// <summary>A rendered plot: its PNG bytes, and where a data point landed in it (pixels from the top-left corner).</summary>
/// <param name="Png">The encoded picture.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="PixelOf">Maps data coordinates (x, y) to the pixel they are drawn at.</param>
public sealed record PlotPicture(byte[] Png, int Width, int Height, Func<double, double, (float X, float Y)> PixelOf)
{
    /// <summary>Writes the PNG atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllBytes(path, Png);
}

/// <summary>What the plots share: ScottPlot 5 set up with the project's colours and font.</summary>
public static class Charts
{
    /// <summary>Real samples and the first series: matplotlib's tab:blue.</summary>
    public static Color Blue { get; } = Color.FromHex("#1f77b4");

    /// <summary>Generated samples and the second series: matplotlib's tab:orange.</summary>
    public static Color Orange { get; } = Color.FromHex("#ff7f0e");

    /// <summary>Series colours in order (matplotlib's tab10).</summary>
    public static IReadOnlyList<Color> Palette { get; } =
        new[] { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" }.Select(Color.FromHex).ToArray();

    /// <summary>The sans-serif family text is drawn with: DejaVu Sans where installed, else Skia's default.</summary>
    public static string FontFamily { get; } = SKFontManager.Default.GetFontFamilies().Contains("DejaVu Sans") ? "DejaVu Sans" : SKTypeface.Default.FamilyName;

    /// <summary>A new empty plot in the project's style.</summary>
    public static Plot NewPlot()
    {
        var plot = new Plot();
        plot.Font.Set(FontFamily);
        return plot;
    }

    /// <summary>Renders <paramref name="plot"/> at the given size.</summary>
    public static PlotPicture Render(Plot plot, int width, int height)
    {
        var png = plot.GetImageBytes(width, height, ImageFormat.Png);
        return new PlotPicture(png, width, height, (x, y) =>
        {
            var p = plot.GetPixel(new Coordinates(x, y));
            return (p.X, p.Y);
        });
    }

    /// <summary>
    /// Lays pictures out in a grid of <paramref name="columns"/> (row by row, each cell as large as the largest picture)
    /// under a title band, on white; returns the PNG.
    /// </summary>
    public static byte[] Tile(IReadOnlyList<PlotPicture> cells, int columns, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(cells);
        if (cells.Count == 0) throw new ArgumentException("At least one picture is needed.", nameof(cells));
        columns = Math.Clamp(columns, 1, cells.Count);
        int rows = (cells.Count + columns - 1) / columns;
        int cellWidth = cells.Max(c => c.Width), cellHeight = cells.Max(c => c.Height);
        int band = string.IsNullOrEmpty(title) ? 0 : 40;
        using var surface = SKSurface.Create(new SKImageInfo(columns * cellWidth, band + rows * cellHeight));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        if (band > 0)
        {
            using var typeface = SKTypeface.FromFamilyName(FontFamily);
            using var font = new SKFont(typeface, 20);
            using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            canvas.DrawText(title, columns * cellWidth / 2f, 28, SKTextAlign.Center, font, paint);
        }
        for (int i = 0; i < cells.Count; i++)
        {
            using var bitmap = SKBitmap.Decode(cells[i].Png);
            canvas.DrawBitmap(bitmap, i % columns * cellWidth, band + i / columns * cellHeight);
        }
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
