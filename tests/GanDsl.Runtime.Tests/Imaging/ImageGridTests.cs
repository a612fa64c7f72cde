using GanDsl.Imaging;
using GanDsl.Runtime.Tests.Data;
using SkiaSharp;

namespace GanDsl.Runtime.Tests.Imaging;

public class ImageGridTests
{
    private static (byte, byte, byte) T(SKColor c) => (c.Red, c.Green, c.Blue);

    [Fact]
    public void Grid_HasTheDocumentedLayoutBorderAndPixelValues()
    {
        // 5 images of 4 × 3 (H × W), no upscaling: ⌈√5⌉ = 3 columns, 2 rows; 2-pixel borders.
        const int N = 5, H = 4, W = 3;
        var data = new float[N * H * W];
        for (int i = 0; i < N; i++)
            for (int p = 0; p < H * W; p++)
                data[i * H * W + p] = -1f + 2f * p / (H * W - 1); // ramp from −1 to 1 in every tile
        data[4 * H * W + 5] = float.NaN;   // tile 4, row 1, column 2
        data[1 * H * W + 0] = 3f;          // out of range: clamped to white

        DecodedPng png = DecodedPng.Decode(ImageGrid.Render(data, [N, 1, H, W], scale: 1).Png);
        Assert.Equal(3 * (W + 2) + 2, png.Width);
        Assert.Equal(2 * (H + 2) + 2, png.Height);

        var border = T(ImageGrid.BorderColour);
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
        Assert.Equal(T(ImageGrid.NaNColour), png.Pixel(2 + (W + 2) + 2, 2 + (H + 2) + 1)); // tile 4 = row 1, column 1
    }

    [Fact]
    public void Grid_Of28By28ImagesIsUpscaled4TimesWithATitle()
    {
        // 16 Fashion-MNIST-sized images: 4 × 4 tiles of 112 × 112 pixels, each image pixel a 4 × 4 block.
        var data = new float[16 * 28 * 28];
        data[3 * 784 + 5 * 28 + 7] = 1f;   // image 3, row 5, column 7: white on −0 grey
        var picture = ImageGrid.Render(data, [16, 1, 28, 28], title: "wgan-gp step 500");
        Assert.Equal(4, picture.Scale);
        DecodedPng png = DecodedPng.Decode(picture.Png);
        Assert.Equal(4 * (112 + 2) + 2, png.Width);
        Assert.Equal(ImageGrid.TitleHeight + 4 * (112 + 2) + 2, png.Height);
        var (x, y) = picture.PixelOf(3, 7, 5);
        for (int dy = 0; dy < 4; dy++)
            for (int dx = 0; dx < 4; dx++)
                Assert.Equal(((byte)255, (byte)255, (byte)255), png.Pixel(x + dx, y + dy));
        Assert.Equal(((byte)128, (byte)128, (byte)128), png.Pixel(x + 4, y));   // the next image pixel
        Assert.Equal(((byte)128, (byte)128, (byte)128), png.Pixel(x - 1, y + 4));
        // The title band is white with dark text in it.
        int dark = 0;
        for (int ty = 0; ty < ImageGrid.TitleHeight; ty++)
            for (int tx = 0; tx < png.Width; tx++)
                if (png.Pixel(tx, ty).R < 100) dark++;
        Assert.True(dark > 50, $"title text drawn ({dark} dark pixels)");
        Assert.Equal(((byte)255, (byte)255, (byte)255), png.Pixel(0, 0));
    }

    [Fact]
    public void ToByte_MapsTheEndsAndMiddle()
    {
        Assert.Equal(0, ImageGrid.ToByte(-1f));
        Assert.Equal(128, ImageGrid.ToByte(0f));
        Assert.Equal(255, ImageGrid.ToByte(1f));
        Assert.Equal(0, ImageGrid.ToByte(-7f));
        Assert.Equal(4, ImageGrid.DefaultScale(28, 28));
        Assert.Equal(2, ImageGrid.DefaultScale(64, 64));
        Assert.Equal(8, ImageGrid.DefaultScale(5, 5));
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
        DecodedPng png = DecodedPng.Decode(ImageGrid.Render(data, [1, 3, 1, 1], border: 0, scale: 1).Png);
        Assert.Equal((1, 1), (png.Width, png.Height));
        Assert.Equal(((byte)255, (byte)0, (byte)0), png.Pixel(0, 0));
    }

    [Fact]
    public void Save_WritesADecodablePngAtomically()
    {
        using var dir = new TempDirectory();
        string path = dir.File("grid.png");
        File.WriteAllText(path, "old");
        ImageGrid.Save(path, new float[16 * 28 * 28], [16, 1, 28, 28]);
        DecodedPng png = DecodedPng.Decode(File.ReadAllBytes(path));
        Assert.Equal((4 * 114 + 2, 4 * 114 + 2), (png.Width, png.Height));
        Assert.Single(Directory.GetFiles(dir.Path));
    }
}
