using GanDsl.Data;
using GanDsl.Formats;
using SkiaSharp;

namespace GanDsl.Imaging;

/// <summary>A rendered image grid: the PNG and where its tiles are.</summary>
/// <param name="Png">The encoded picture.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Scale">Pixels per image pixel along each side (nearest-neighbour upscaling).</param>
/// <param name="Columns">Tiles per row.</param>
/// <param name="Border">Border width in pixels around and between tiles.</param>
/// <param name="Top">Height of the title band above the tiles (0 without a title).</param>
/// <param name="TileWidth">Width of a tile in pixels (image width × scale).</param>
/// <param name="TileHeight">Height of a tile in pixels (image height × scale).</param>
public sealed record ImageGridPicture(byte[] Png, int Width, int Height, int Scale, int Columns, int Border, int Top, int TileWidth, int TileHeight)
{
    /// <summary>The picture pixel of image <paramref name="index"/>'s pixel (<paramref name="x"/>, <paramref name="y"/>): the top-left of its upscaled
    /// block.</summary>
    public (int X, int Y) PixelOf(int index, int x, int y) =>
        (Border + index % Columns * (TileWidth + Border) + x * Scale, Top + Border + index / Columns * (TileHeight + Border) + y * Scale);

    /// <summary>Writes the PNG atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllBytes(path, Png);
}

/// <summary>
/// Tiles a batch of images (N × C × H × W, values in [−1, 1], C = 1 grayscale or C = 3 RGB) into one picture,
/// row by row, each image upscaled by whole pixels (28 × 28 images 4×), with a border between tiles and an
/// optional title above; drawn with SkiaSharp.
/// </summary>
public static class ImageGrid
{
    /// <summary>Border colour between tiles (grey 96).</summary>
    public static SKColor BorderColour => new(96, 96, 96);

    /// <summary>Colour used for NaN pixels, so a broken generator is visible at a glance.</summary>
    public static SKColor NaNColour => new(255, 0, 255);

    /// <summary>Height of the title band in pixels.</summary>
    public const int TitleHeight = 30;

    /// <summary>The default upscaling: images reach at least 112 pixels a side (28 × 28: 4×), at most 8×.</summary>
    public static int DefaultScale(long height, long width) => (int)Math.Clamp((112 + Math.Max(height, width) - 1) / Math.Max(height, width), 1, 8);

    /// <summary>
    /// Renders the images into a grid with <paramref name="columns"/> tiles per row (default ⌈√N⌉). Values are
    /// clamped to [−1, 1] and mapped to 0..255; NaN pixels are magenta.
    /// </summary>
    /// <exception cref="ArgumentException">When the shape is not N × 1 × H × W or N × 3 × H × W, or does not match the data.</exception>
    public static ImageGridPicture Render(ReadOnlySpan<float> images, IReadOnlyList<long> shape, int? columns = null, int border = 2, int? scale = null,
        string? title = null)
    {
        if (shape.Count != 4 || shape[1] is not (1 or 3) || shape[0] <= 0 || shape[2] <= 0 || shape[3] <= 0)
            throw new ArgumentException($"An image grid needs N × 1 × H × W or N × 3 × H × W images; got shape {ShapeUtil.Format(shape)}.", nameof(shape));
        long expected = shape[0] * shape[1] * shape[2] * shape[3];
        if (images.Length != expected)
            throw new ArgumentException($"Shape {ShapeUtil.Format(shape)} holds {expected} values, but {images.Length} were given.", nameof(images));
        if (border < 0) throw new ArgumentOutOfRangeException(nameof(border), border, "The border cannot be negative.");
        int n = (int)shape[0], channels = (int)shape[1], h = (int)shape[2], w = (int)shape[3];
        int s = scale ?? DefaultScale(h, w);
        if (s < 1) throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale must be at least 1.");
        int cols = columns ?? (int)Math.Ceiling(Math.Sqrt(n));
        if (cols <= 0) throw new ArgumentOutOfRangeException(nameof(columns), columns, "The number of columns must be positive.");
        cols = Math.Min(cols, n);
        int rows = (n + cols - 1) / cols;
        int top = string.IsNullOrEmpty(title) ? 0 : TitleHeight;
        int tileW = w * s, tileH = h * s;
        int width = cols * (tileW + border) + border, height = top + rows * (tileH + border) + border;

        // Pixels go into a buffer (RGBA, opaque) first: one copy into the bitmap instead of a native call per pixel.
        var pixels = new byte[width * height * 4];
        void Fill(int x0, int y0, int fw, int fh, SKColor c)
        {
            for (int y = y0; y < y0 + fh; y++)
                for (int x = x0, at = (y * width + x0) * 4; x < x0 + fw; x++, at += 4)
                    (pixels[at], pixels[at + 1], pixels[at + 2], pixels[at + 3]) = (c.Red, c.Green, c.Blue, 255);
        }
        Fill(0, 0, width, height, BorderColour);
        if (top > 0) Fill(0, 0, width, top, SKColors.White);
        int plane = h * w;
        for (int i = 0; i < n; i++)
        {
            int left = border + i % cols * (tileW + border);
            int tileTop = top + border + i / cols * (tileH + border);
            ReadOnlySpan<float> tile = images.Slice(i * channels * plane, channels * plane);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int p = y * w + x;
                    Fill(left + x * s, tileTop + y * s, s, s, channels == 1 ? Gray(tile[p]) : Colour(tile[p], tile[plane + p], tile[2 * plane + p]));
                }
        }
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)
            System.Runtime.InteropServices.Marshal.Copy(pixels, y * width * 4, bitmap.GetPixels() + y * bitmap.RowBytes, width * 4);
        if (top > 0)
        {
            using var canvas = new SKCanvas(bitmap);
            using var typeface = SKTypeface.FromFamilyName(Charts.FontFamily, SKFontStyle.Bold);
            using var font = new SKFont(typeface, 16);
            using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            canvas.DrawText(title, width / 2f, top - 9, SKTextAlign.Center, font, ink);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return new ImageGridPicture(data.ToArray(), width, height, s, cols, border, top, tileW, tileH);
    }

    /// <summary>Renders (see <see cref="Render"/>) and saves as PNG atomically.</summary>
    public static void Save(string path, ReadOnlySpan<float> images, IReadOnlyList<long> shape, int? columns = null, int border = 2, int? scale = null,
        string? title = null) =>
        Render(images, shape, columns, border, scale, title).Save(path);

    /// <summary>Maps a value in [−1, 1] to 0..255 (clamped, rounded).</summary>
    public static byte ToByte(float value) => (byte)Math.Round((Math.Clamp(value, -1f, 1f) + 1f) * 127.5f, MidpointRounding.AwayFromZero);

    private static SKColor Gray(float v)
    {
        if (float.IsNaN(v)) return NaNColour;
        byte b = ToByte(v);
        return new SKColor(b, b, b);
    }

    private static SKColor Colour(float r, float g, float b) =>
        float.IsNaN(r) || float.IsNaN(g) || float.IsNaN(b) ? NaNColour : new SKColor(ToByte(r), ToByte(g), ToByte(b));
}
