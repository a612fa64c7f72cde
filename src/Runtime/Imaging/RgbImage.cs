using GanDsl.Data;

namespace GanDsl.Imaging;

/// <summary>An 8-bit RGB colour.</summary>
/// <param name="R">Red 0..255.</param>
/// <param name="G">Green 0..255.</param>
/// <param name="B">Blue 0..255.</param>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    /// <summary>White.</summary>
    public static Rgb White => new(255, 255, 255);
    /// <summary>Black.</summary>
    public static Rgb Black => new(0, 0, 0);
    /// <summary>Light grey, for grid lines and borders.</summary>
    public static Rgb LightGrey => new(220, 220, 220);
    /// <summary>Mid grey.</summary>
    public static Rgb Grey => new(128, 128, 128);

    /// <summary>
    /// Distinct series colours (the "tab10" hues of matplotlib, picked for telling lines apart); cycles when
    /// there are more series than colours.
    /// </summary>
    public static IReadOnlyList<Rgb> Palette { get; } =
    [
        new(31, 119, 180), new(255, 127, 14), new(44, 160, 44), new(214, 39, 40), new(148, 103, 189),
        new(140, 86, 75), new(227, 119, 194), new(127, 127, 127), new(188, 189, 34), new(23, 190, 207),
    ];
}

/// <summary>
/// A width × height RGB raster (row-major, 3 bytes per pixel) with the few drawing operations the plots need.
/// Drawing outside the image is clipped silently.
/// </summary>
public sealed class RgbImage
{
    /// <summary>A new image filled with <paramref name="background"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When a side is not positive or the image exceeds 2^28 pixels.</exception>
    public RgbImage(int width, int height, Rgb background)
    {
        if (width <= 0 || height <= 0 || (long)width * height > 1 << 28)
            throw new ArgumentOutOfRangeException(nameof(width), $"Image size {width} × {height} is out of range.");
        Width = width;
        Height = height;
        Pixels = new byte[3 * width * height];
        FillRect(0, 0, width, height, background);
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Row-major RGB bytes, 3 per pixel, top row first.</summary>
    public byte[] Pixels { get; }

    /// <summary>The colour at (<paramref name="x"/>, <paramref name="y"/>), origin top left.</summary>
    public Rgb this[int x, int y]
    {
        get
        {
            if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
                throw new ArgumentOutOfRangeException(nameof(x), $"Pixel ({x}, {y}) is outside the {Width} × {Height} image.");
            int i = 3 * (y * Width + x);
            return new Rgb(Pixels[i], Pixels[i + 1], Pixels[i + 2]);
        }
        set => SetPixel(x, y, value);
    }

    /// <summary>Sets one pixel; ignored outside the image.</summary>
    public void SetPixel(int x, int y, Rgb colour)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) return;
        int i = 3 * (y * Width + x);
        Pixels[i] = colour.R;
        Pixels[i + 1] = colour.G;
        Pixels[i + 2] = colour.B;
    }

    /// <summary>Fills the rectangle with top-left corner (x, y) and the given size (clipped).</summary>
    public void FillRect(int x, int y, int width, int height, Rgb colour)
    {
        int x0 = Math.Max(0, x), y0 = Math.Max(0, y);
        int x1 = Math.Min(Width, x + width), y1 = Math.Min(Height, y + height);
        for (int yy = y0; yy < y1; yy++)
            for (int xx = x0; xx < x1; xx++)
                SetPixel(xx, yy, colour);
    }

    /// <summary>A line from (x0, y0) to (x1, y1) inclusive, one pixel wide (Bresenham), or thicker as a square brush.</summary>
    public void DrawLine(int x0, int y0, int x1, int y1, Rgb colour, int thickness = 1)
    {
        // Clamp far-off endpoints so a huge value (a diverging loss) cannot make the loop run for ages.
        const int Limit = 1 << 16;
        x0 = Math.Clamp(x0, -Limit, Limit); x1 = Math.Clamp(x1, -Limit, Limit);
        y0 = Math.Clamp(y0, -Limit, Limit); y1 = Math.Clamp(y1, -Limit, Limit);
        int dx = Math.Abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
        int dy = -Math.Abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
        int error = dx + dy;
        int half = (thickness - 1) / 2;
        while (true)
        {
            if (thickness <= 1) SetPixel(x0, y0, colour);
            else FillRect(x0 - half, y0 - half, thickness, thickness, colour);
            if (x0 == x1 && y0 == y1) break;
            int e2 = 2 * error;
            if (e2 >= dy) { error += dy; x0 += sx; }
            if (e2 <= dx) { error += dx; y0 += sy; }
        }
    }

    /// <summary>A filled disc of the given radius centred at (cx, cy).</summary>
    public void FillDisc(int cx, int cy, int radius, Rgb colour)
    {
        for (int dy = -radius; dy <= radius; dy++)
            for (int dx = -radius; dx <= radius; dx++)
                if (dx * dx + dy * dy <= radius * radius + radius) SetPixel(cx + dx, cy + dy, colour);
    }

    /// <summary>Draws <paramref name="text"/> with the 5 × 7 <see cref="BitmapFont"/>, top-left corner at (x, y).</summary>
    public void DrawText(int x, int y, string text, Rgb colour, int scale = 1) => BitmapFont.Draw(this, x, y, text, colour, scale);

    /// <summary>Encodes the image as PNG bytes.</summary>
    public byte[] ToPng() => PngEncoder.Encode(this);

    /// <summary>Saves the image as PNG atomically (temporary file, then rename).</summary>
    public void SavePng(string path) => AtomicFile.WriteAllBytes(path, ToPng());
}
