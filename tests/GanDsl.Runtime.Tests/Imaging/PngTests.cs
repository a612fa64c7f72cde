using GanDsl.Imaging;
using GanDsl.Runtime.Tests.Data;

namespace GanDsl.Runtime.Tests.Imaging;

public class PngTests
{
    [Fact]
    public void Crc32_MatchesTheStandardCheckValue()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(0u, Crc32.Compute([]));
        byte[] random = Enumerable.Range(0, 1000).Select(i => (byte)(i * 7919 % 251)).ToArray();
        Assert.Equal(DecodedPng.BitwiseCrc(random), Crc32.Compute(random));
    }

    [Fact]
    public void KnownImage_DecodesToTheSamePixels()
    {
        var image = new RgbImage(3, 2, Rgb.White);
        image[0, 0] = new Rgb(255, 0, 0);
        image[1, 0] = new Rgb(0, 255, 0);
        image[2, 0] = new Rgb(0, 0, 255);
        image[0, 1] = new Rgb(1, 2, 3);

        DecodedPng png = DecodedPng.Decode(image.ToPng());
        Assert.Equal((3, 2), (png.Width, png.Height));
        Assert.Equal(["IHDR", "IDAT", "IEND"], png.ChunkTypes);
        Assert.Equal(((byte)255, (byte)0, (byte)0), png.Pixel(0, 0));
        Assert.Equal(((byte)0, (byte)255, (byte)0), png.Pixel(1, 0));
        Assert.Equal(((byte)0, (byte)0, (byte)255), png.Pixel(2, 0));
        Assert.Equal(((byte)1, (byte)2, (byte)3), png.Pixel(0, 1));
        Assert.Equal(((byte)255, (byte)255, (byte)255), png.Pixel(2, 1));
    }

    [Fact]
    public void SavePng_WritesAtomicallyOverAnExistingFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("a.png");
        File.WriteAllText(path, "old");
        new RgbImage(4, 4, Rgb.Black).SavePng(path);
        DecodedPng png = DecodedPng.Decode(File.ReadAllBytes(path));
        Assert.Equal(16, png.Count((0, 0, 0)));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void DrawingOutsideTheImageIsClipped()
    {
        var image = new RgbImage(5, 5, Rgb.White);
        image.DrawLine(-100, 2, 100, 2, Rgb.Black);
        image.FillRect(3, 3, 50, 50, Rgb.Black);
        image.DrawText(-3, -3, "WIDE TEXT", Rgb.Black);
        Assert.Equal(Rgb.Black, image[0, 2]);
        Assert.Equal(Rgb.Black, image[4, 4]);
        Assert.Throws<ArgumentOutOfRangeException>(() => image[5, 0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RgbImage(0, 3, Rgb.White));
    }
}

public class ImageGridTests
{
    [Fact]
    public void Grid_HasTheDocumentedLayoutBorderAndPixelValues()
    {
        // 5 images of 4 × 3 (H × W): ⌈√5⌉ = 3 columns, 2 rows; 2-pixel borders.
        const int N = 5, H = 4, W = 3;
        var data = new float[N * H * W];
        for (int i = 0; i < N; i++)
            for (int p = 0; p < H * W; p++)
                data[i * H * W + p] = -1f + 2f * p / (H * W - 1); // ramp from −1 to 1 in every tile
        data[4 * H * W + 5] = float.NaN;   // tile 4, row 1, column 2
        data[1 * H * W + 0] = 3f;          // out of range: clamped to white

        DecodedPng png = DecodedPng.Decode(ImageGrid.Render(data, [N, 1, H, W]).ToPng());
        Assert.Equal(3 * (W + 2) + 2, png.Width);
        Assert.Equal(2 * (H + 2) + 2, png.Height);

        var border = (ImageGrid.BorderColour.R, ImageGrid.BorderColour.G, ImageGrid.BorderColour.B);
        Assert.Equal(border, png.Pixel(0, 0));
        Assert.Equal(border, png.Pixel(1, 1));
        Assert.Equal(border, png.Pixel(2 + W, 2));       // between tiles 0 and 1
        Assert.Equal(border, png.Pixel(png.Width - 1, png.Height - 1));
        Assert.Equal(border, png.Pixel(2 + 2 * (W + 2) + 1, 2 + (H + 2) + 1)); // empty 6th cell

        Assert.Equal(((byte)0, (byte)0, (byte)0), png.Pixel(2, 2));          // tile 0 first pixel: −1
        Assert.Equal(((byte)255, (byte)255, (byte)255), png.Pixel(2 + W - 1, 2 + H - 1)); // tile 0 last: +1
        byte mid = ImageGrid.ToByte(-1f + 2f * 5 / 11);
        Assert.Equal((mid, mid, mid), png.Pixel(2 + 2, 2 + 1));              // tile 0, p = 5
        Assert.Equal(((byte)255, (byte)255, (byte)255), png.Pixel(2 + W + 2, 2)); // tile 1 clamped 3 → white
        var nan = (ImageGrid.NaNColour.R, ImageGrid.NaNColour.G, ImageGrid.NaNColour.B);
        Assert.Equal(nan, png.Pixel(2 + (W + 2) + 2, 2 + (H + 2) + 1));       // tile 4 = row 1, column 1
    }

    [Fact]
    public void ToByte_MapsTheEndsAndMiddle()
    {
        Assert.Equal(0, ImageGrid.ToByte(-1f));
        Assert.Equal(128, ImageGrid.ToByte(0f));
        Assert.Equal(255, ImageGrid.ToByte(1f));
        Assert.Equal(0, ImageGrid.ToByte(-7f));
    }

    [Fact]
    public void Grid_RejectsBadShapes()
    {
        Assert.Contains("N × 1 × H × W", Assert.Throws<ArgumentException>(() => ImageGrid.Render(new float[8], [2, 2, 2])).Message);
        Assert.Throws<ArgumentException>(() => ImageGrid.Render(new float[16], [2, 2, 2, 2]));   // 2 channels
        Assert.Contains("holds 8 values", Assert.Throws<ArgumentException>(() => ImageGrid.Render(new float[7], [2, 1, 2, 2])).Message);
    }

    [Fact]
    public void Grid_OfRgbImagesKeepsChannels()
    {
        float[] data = [1f, -1f, -1f]; // one 1 × 1 RGB image: pure red
        DecodedPng png = DecodedPng.Decode(ImageGrid.Render(data, [1, 3, 1, 1], border: 0).ToPng());
        Assert.Equal((1, 1), (png.Width, png.Height));
        Assert.Equal(((byte)255, (byte)0, (byte)0), png.Pixel(0, 0));
    }

    [Fact]
    public void Save_WritesADecodablePng()
    {
        using var dir = new TempDirectory();
        string path = dir.File("grid.png");
        ImageGrid.Save(path, new float[16 * 28 * 28], [16, 1, 28, 28]);
        DecodedPng png = DecodedPng.Decode(File.ReadAllBytes(path));
        Assert.Equal(4 * 30 + 2, png.Width);
        Assert.Equal(4 * 30 + 2, png.Height);
    }
}
