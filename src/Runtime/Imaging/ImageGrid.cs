using GanDsl.Data;

namespace GanDsl.Imaging;

/// <summary>
/// Tiles a batch of images (N × C × H × W, values in [−1, 1], C = 1 grayscale or C = 3 RGB) into one picture,
/// row by row, with a border of <c>border</c> pixels around and between the tiles.
/// </summary>
public static class ImageGrid
{
    /// <summary>Border colour between tiles.</summary>
    public static Rgb BorderColour => new(96, 96, 96);

    /// <summary>Colour used for NaN pixels, so a broken generator is visible at a glance.</summary>
    public static Rgb NaNColour => new(255, 0, 255);

    /// <summary>
    /// Renders the images into a grid with <paramref name="columns"/> tiles per row (default ⌈√N⌉). Values are
    /// clamped to [−1, 1] and mapped linearly to 0..255; NaN pixels are drawn in <see cref="NaNColour"/>.
    /// </summary>
    /// <exception cref="ArgumentException">When the shape is not N × 1 × H × W or N × 3 × H × W or disagrees with the data length.</exception>
    public static RgbImage Render(ReadOnlySpan<float> images, IReadOnlyList<long> shape, int? columns = null, int border = 2)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Count != 4 || shape[1] is not (1 or 3) || shape[0] <= 0 || shape[2] <= 0 || shape[3] <= 0)
            throw new ArgumentException($"Expected images of shape N × 1 × H × W or N × 3 × H × W with N, H, W > 0; got [{string.Join(", ", shape)}].", nameof(shape));
        long expected = shape[0] * shape[1] * shape[2] * shape[3];
        if (expected != images.Length)
            throw new ArgumentException($"Shape [{string.Join(", ", shape)}] holds {expected} values, but {images.Length} were given.", nameof(images));
        if (border < 0) throw new ArgumentOutOfRangeException(nameof(border), border, "The border cannot be negative.");

        int n = (int)shape[0], channels = (int)shape[1], h = (int)shape[2], w = (int)shape[3];
        int cols = columns ?? (int)Math.Ceiling(Math.Sqrt(n));
        if (cols <= 0) throw new ArgumentOutOfRangeException(nameof(columns), columns, "The number of columns must be positive.");
        cols = Math.Min(cols, n);
        int rows = (n + cols - 1) / cols;

        var image = new RgbImage(cols * (w + border) + border, rows * (h + border) + border, BorderColour);
        int plane = h * w;
        for (int i = 0; i < n; i++)
        {
            int left = border + (i % cols) * (w + border);
            int top = border + (i / cols) * (h + border);
            ReadOnlySpan<float> tile = images.Slice(i * channels * plane, channels * plane);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int p = y * w + x;
                    Rgb colour = channels == 1
                        ? Gray(tile[p])
                        : Colour(tile[p], tile[plane + p], tile[2 * plane + p]);
                    image.SetPixel(left + x, top + y, colour);
                }
        }
        return image;
    }

    /// <summary>Renders (see <see cref="Render"/>) and saves as PNG atomically.</summary>
    public static void Save(string path, ReadOnlySpan<float> images, IReadOnlyList<long> shape, int? columns = null, int border = 2) =>
        AtomicFile.WriteAllBytes(path, Render(images, shape, columns, border).ToPng());

    /// <summary>Maps a value in [−1, 1] to 0..255 (clamped, rounded).</summary>
    public static byte ToByte(float value) => (byte)Math.Round((Math.Clamp(value, -1f, 1f) + 1f) * 127.5f, MidpointRounding.AwayFromZero);

    private static Rgb Gray(float v)
    {
        if (float.IsNaN(v)) return NaNColour;
        byte b = ToByte(v);
        return new Rgb(b, b, b);
    }

    private static Rgb Colour(float r, float g, float b) =>
        float.IsNaN(r) || float.IsNaN(g) || float.IsNaN(b) ? NaNColour : new Rgb(ToByte(r), ToByte(g), ToByte(b));
}
