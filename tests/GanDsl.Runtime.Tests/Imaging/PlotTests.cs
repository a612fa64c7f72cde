using GanDsl.Imaging;
using GanDsl.Data;
using GanDsl.Runtime.Tests.Data;

namespace GanDsl.Runtime.Tests.Imaging;

public class BitmapFontTests
{
    private static string Bitmap(char c) =>
        string.Concat(Enumerable.Range(0, 35).Select(i => BitmapFont.IsInk(c, i % 5, i / 5) ? '#' : '.'));

    [Fact]
    public void EveryRequiredCharacterHasItsOwnDistinctGlyph()
    {
        string required = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.-_";
        Assert.All(required, c => Assert.True(BitmapFont.HasGlyph(c), $"no glyph for '{c}'"));
        var bitmaps = required.Select(Bitmap).ToList();
        Assert.Equal(required.Length, bitmaps.Distinct().Count());
        Assert.All(required, c => Assert.Contains('#', Bitmap(c)));
    }

    [Fact]
    public void LowerCaseIsDrawnAsUpperCaseAndUnknownAsQuestionMark()
    {
        Assert.Equal(Bitmap('G'), Bitmap('g'));
        Assert.Equal(Bitmap('?'), Bitmap('@'));
        Assert.False(BitmapFont.HasGlyph('@'));
    }

    [Fact]
    public void DrawnTextPutsInkWhereTheGlyphSays()
    {
        var image = new RgbImage(20, 10, Rgb.White);
        image.DrawText(1, 1, "L1", Rgb.Black);
        for (int row = 0; row < 7; row++)
            for (int col = 0; col < 5; col++)
            {
                Assert.Equal(BitmapFont.IsInk('L', col, row), image[1 + col, 1 + row] == Rgb.Black);
                Assert.Equal(BitmapFont.IsInk('1', col, row), image[1 + BitmapFont.Advance + col, 1 + row] == Rgb.Black);
            }
        Assert.Equal(11, BitmapFont.MeasureWidth("L1"));
    }
}

public class ScatterPlotTests
{
    private static (byte, byte, byte) T(Rgb c) => (c.R, c.G, c.B);

    [Fact]
    public void ScatterPlot_DrawsBothSetsOnTheFixedRangeWithAxesAndLegend()
    {
        var ring = GaussianMixture2D.Ring();
        float[] real = ring.CreateSampler(500, 1).Next().Data;
        float[] generated = Enumerable.Repeat(new[] { 0f, 0f }, 200).SelectMany(p => p).Concat(new[] { 10f, 10f }).ToArray();
        var options = new ScatterPlotOptions { Range = new AxisRange(-3, 3), Title = "RING STEP 100" };

        using var dir = new TempDirectory();
        string path = dir.File("scatter.png");
        ScatterPlot.Save(path, real, generated, options);
        DecodedPng png = DecodedPng.Decode(File.ReadAllBytes(path));
        Assert.Equal((512, 512), (png.Width, png.Height));

        Assert.True(png.Count(T(options.RealColour)) > 200, "real points drawn");
        Assert.True(png.Count(T(options.GeneratedColour)) > 5, "generated points drawn");

        // Recompute the frame the plot uses and check the generated point at the origin and a ring mode.
        var axes = new PlotAxes(48, 24, 512 - 60, 512 - 60, new AxisRange(-3, 3), new AxisRange(-3, 3));
        int ox = (int)Math.Round(axes.PixelX(0)), oy = (int)Math.Round(axes.PixelY(0));
        Assert.Equal(T(options.GeneratedColour), png.Pixel(ox, oy));
        int mx = (int)Math.Round(axes.PixelX(-2)), my = (int)Math.Round(axes.PixelY(0)); // the mode at (−2, 0)
        Assert.Equal(T(options.RealColour), png.Pixel(mx, my));
        // The frame is black.
        Assert.Equal(((byte)0, (byte)0, (byte)0), png.Pixel(axes.Left, axes.Top + 100));
    }

    [Fact]
    public void RangeFor_CoversTheSamplesAndIsRoundedOutwards()
    {
        AxisRange r = ScatterPlot.RangeFor(GaussianMixture2D.Grid().CreateSampler(200, 1).Next().Data);
        // Grid samples reach about ±4.15; with the 10% margin that is ±4.57, rounded out to ±5.
        Assert.Equal(new AxisRange(-5, 5), r);
        Assert.Equal(new AxisRange(-1, 1), ScatterPlot.RangeFor(new[] { float.NaN, 0f }));
    }

    [Fact]
    public void ScatterPlot_RejectsOddLengthsAndEmptyRanges()
    {
        Assert.Throws<ArgumentException>(() => ScatterPlot.Render(new float[3], new float[2]));
        Assert.Throws<ArgumentException>(() => ScatterPlot.Render(new float[2], new float[2], new ScatterPlotOptions { Range = new AxisRange(1, 1) }));
    }
}

public class LinePlotTests
{
    [Fact]
    public void LinePlot_DrawsEverySeriesInItsOwnColourWithALegend()
    {
        var steps = Enumerable.Range(0, 200).Select(i => (double)(i * 10)).ToArray();
        var series = new[]
        {
            new Series("loss_d", steps, steps.Select(s => Math.Exp(-s / 500)).ToArray()),
            new Series("loss_g", steps, steps.Select(s => 0.5 + 0.3 * Math.Sin(s / 100)).ToArray()),
            new Series("gp", steps, steps.Select(s => s == 500 ? double.NaN : 0.1).ToArray()),
        };
        using var dir = new TempDirectory();
        string path = dir.File("loss.png");
        LinePlot.Save(path, series, new LinePlotOptions { Title = "WGAN-GP ON RING" });
        DecodedPng png = DecodedPng.Decode(File.ReadAllBytes(path));
        Assert.Equal((720, 420), (png.Width, png.Height));
        for (int k = 0; k < 3; k++)
        {
            Rgb c = Rgb.Palette[k];
            Assert.True(png.Count((c.R, c.G, c.B)) > 150, $"series {k} colour present");
        }
        Assert.Equal(0, png.Count((Rgb.Palette[3].R, Rgb.Palette[3].G, Rgb.Palette[3].B)));
    }

    [Fact]
    public void LinePlot_LegendTextIsRendered()
    {
        // Two renders that differ only in a series name must differ only inside the legend box.
        var x = new double[] { 0, 1, 2 };
        RgbImage a = LinePlot.Render([new Series("AAA", x, [1, 2, 3])]);
        RgbImage b = LinePlot.Render([new Series("BBB", x, [1, 2, 3])]);
        int differing = 0;
        for (int i = 0; i < a.Pixels.Length; i++) if (a.Pixels[i] != b.Pixels[i]) differing++;
        Assert.True(differing > 0, "series names are drawn");
        Assert.True(differing < 3 * 300, "only the legend text differs");
    }

    [Fact]
    public void Ticks_AreNiceNumbersInsideTheRange()
    {
        var (ticks, step) = PlotAxes.Ticks(new AxisRange(0, 1000), 6);
        Assert.Equal(200, step);
        Assert.Equal(new double[] { 0, 200, 400, 600, 800, 1000 }, ticks);
        var (small, smallStep) = PlotAxes.Ticks(new AxisRange(-0.013, 0.021), 6);
        Assert.Equal(0.005, smallStep, 12);
        Assert.All(small, t => Assert.InRange(t, -0.013, 0.021));
        Assert.Contains(0.0, small);
        Assert.Equal("0.005", PlotAxes.FormatTick(0.005, 0.005));
        Assert.Equal("-2", PlotAxes.FormatTick(-2, 1));
        Assert.Equal("1.5E+6", PlotAxes.FormatTick(1.5e6, 5e5));
    }

    [Fact]
    public void LinePlot_HandlesConstantAndAllNaNSeriesAndRejectsMismatchedLengths()
    {
        RgbImage constant = LinePlot.Render([new Series("c", [0, 1], [2, 2])]);
        Assert.Equal(720, constant.Width);
        RgbImage nan = LinePlot.Render([new Series("n", [0, 1], [double.NaN, double.PositiveInfinity])]);
        Assert.Equal(420, nan.Height);
        Assert.Throws<ArgumentException>(() => LinePlot.Render([new Series("bad", [0, 1], [1])]));
        Assert.Throws<ArgumentException>(() => LinePlot.Render([]));
    }
}
