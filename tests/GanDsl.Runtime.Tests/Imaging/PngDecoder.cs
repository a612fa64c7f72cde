using SkiaSharp;

namespace GanDsl.Runtime.Tests.Imaging;

/// <summary>
/// Test-side PNG reader: checks the PNG signature, decodes with SkiaSharp (throws when it cannot) and offers the
/// pixels as RGB (the pictures are opaque).
/// </summary>
internal sealed class DecodedPng
{
    public required int Width { get; init; }
    public required int Height { get; init; }
    public required byte[] Rgb { get; init; }

    public (byte R, byte G, byte B) Pixel(int x, int y)
    {
        int i = 3 * (y * Width + x);
        return (Rgb[i], Rgb[i + 1], Rgb[i + 2]);
    }

    public int Count((byte R, byte G, byte B) colour)
    {
        int n = 0;
        for (int i = 0; i < Rgb.Length; i += 3)
            if (Rgb[i] == colour.R && Rgb[i + 1] == colour.G && Rgb[i + 2] == colour.B) n++;
        return n;
    }

    /// <summary>Pixels within <paramref name="tolerance"/> of <paramref name="colour"/> on every channel.</summary>
    public int CountNear((byte R, byte G, byte B) colour, int tolerance)
    {
        int n = 0;
        for (int i = 0; i < Rgb.Length; i += 3)
            if (Math.Abs(Rgb[i] - colour.R) <= tolerance && Math.Abs(Rgb[i + 1] - colour.G) <= tolerance && Math.Abs(Rgb[i + 2] - colour.B) <= tolerance) n++;
        return n;
    }

    public static DecodedPng Decode(byte[] file)
    {
        byte[] signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        if (file.Length < 8 || !file.AsSpan(0, 8).SequenceEqual(signature)) throw new InvalidDataException("not a PNG signature");
        using var bitmap = SKBitmap.Decode(file) ?? throw new InvalidDataException("SkiaSharp could not decode the PNG");
        var rgb = new byte[bitmap.Width * bitmap.Height * 3];
        for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++)
            {
                SKColor c = bitmap.GetPixel(x, y);
                if (c.Alpha != 255) throw new InvalidDataException($"pixel ({x}, {y}) is not opaque");
                int i = 3 * (y * bitmap.Width + x);
                (rgb[i], rgb[i + 1], rgb[i + 2]) = (c.Red, c.Green, c.Blue);
            }
        return new DecodedPng { Width = bitmap.Width, Height = bitmap.Height, Rgb = rgb };
    }
}
