using GanDsl.Data;
using GanDsl.Imaging;
using GanDsl.Runtime.Tests.Data;

namespace GanDsl.Runtime.Tests.Imaging;

public class ScatterPlotTests
{
    private static (byte, byte, byte) T(ScottPlot.Color c) => (c.R, c.G, c.B);

    [Fact]
    public void ScatterPlot_DrawsRealInBlueOverTranslucentGeneratedOrangeOnTheFixedRange()
    {
        var ring = GaussianMixture2D.Ring();
        float[] real = ring.CreateSampler(500, 1).Next().Data;
        float[] generated = Enumerable.Repeat(new[] { 0f, 0f }, 200).SelectMany(p => p).Concat(new[] { 10f, 10f, float.NaN, 0f }).ToArray();
        var options = new ScatterPlotOptions { Frame = PlotFrame.Square(new AxisRange(-3, 3)), Title = "ring step 100" };

        using var dir = new TempDirectory();
        string path = dir.File("scatter.png");
        var picture = ScatterPlot.Render(real, generated, options);
        picture.Save(path);
        DecodedPng png = DecodedPng.Decode(File.ReadAllBytes(path));
        Assert.Equal((512 + ScatterPlot.LegendWidth, 512), (png.Width, png.Height));
        Assert.Equal((0x1f, 0x77, 0xb4), T(options.RealColour));
        Assert.Equal((0xff, 0x7f, 0x0e), T(options.GeneratedColour));

        Assert.True(png.Count(T(options.RealColour)) > 200, "real points drawn");
        Assert.True(png.CountNear(T(options.GeneratedColour), 8) > 5, "generated points drawn");

        // 200 translucent generated points piled at the origin saturate to the colour; the real mode at (−2, 0) is drawn
        // on top; and the fixed corners of the range.
        var (ox, oy) = picture.PixelOf(0, 0);
        var origin = png.Pixel((int)ox, (int)oy);
        Assert.True(Math.Abs(origin.R - 0xff) + Math.Abs(origin.G - 0x7f) + Math.Abs(origin.B - 0x0e) < 12, $"origin pixel {origin}");
        var (mx, my) = picture.PixelOf(-2, 0);
        Assert.Equal(T(options.RealColour), png.Pixel((int)mx, (int)my));
        var (left, top) = picture.PixelOf(-3, 3);
        var (right, bottom) = picture.PixelOf(3, -3);
        Assert.InRange(right - left, 380, 512);            // a square plot area of the fixed range
        Assert.Equal(right - left, bottom - top, 1.0);
        Assert.True(right < 512, "the legend is right of the plot area");
    }

    [Fact]
    public void ScatterPlot_TitleCountsGeneratedPointsOutsideTheRange()
    {
        float[] real = [0f, 0f];
        var inside = DecodedPng.Decode(ScatterPlot.Render(real, [0.5f, 0.5f], new ScatterPlotOptions { Frame = PlotFrame.Square(new AxisRange(-1, 1)), Title = "t" }).Png);
        var outside = DecodedPng.Decode(ScatterPlot.Render(real, [5f, 5f], new ScatterPlotOptions { Frame = PlotFrame.Square(new AxisRange(-1, 1)), Title = "t" }).Png);
        // Only the point and the title differ; the title with "1 generated outside" is wider, so more rows of the top band differ.
        int differingTop = 0;
        for (int y = 0; y < 40; y++)
            for (int x = 0; x < inside.Width; x++)
                if (inside.Pixel(x, y) != outside.Pixel(x, y)) differingTop++;
        Assert.True(differingTop > 50, "the title changed");
    }

    [Fact]
    public void FrameFor_CoversTheSamplesWhereverTheyLieWithEqualUnits()
    {
        PlotFrame grid = ScatterPlot.FrameFor(GaussianMixture2D.Grid().CreateSampler(200, 1).Next().Data);
        // Grid samples reach about ±4.15; with the 20% margin that is about ±5, rounded out to multiples of 0.5.
        Assert.True(grid.X.Min <= -4.15 && grid.X.Max >= 4.15 && grid.Y.Min <= -4.15 && grid.Y.Max >= 4.15, grid.ToString());
        Assert.True(grid.X.Max - grid.X.Min <= 11, grid.ToString());
        Assert.Equal(PlotFrame.Square(new AxisRange(-1, 1)), ScatterPlot.FrameFor(new[] { float.NaN, 0f }));

        // Data centred at (10, −3) with a spread of ±1: the axes follow it (they stayed at ±2.5 around 0 before).
        var random = new Random(3);
        float[] shifted = Enumerable.Range(0, 500).SelectMany(_ => new[] { 10 + (float)(random.NextDouble() * 2 - 1), -3 + (float)(random.NextDouble() * 2 - 1) }).ToArray();
        PlotFrame frame = ScatterPlot.FrameFor(shifted);
        Assert.InRange(frame.X.Min, 8, 9);
        Assert.InRange(frame.X.Max, 11, 12);
        Assert.InRange(frame.Y.Min, -5, -4);
        Assert.InRange(frame.Y.Max, -2, -1);
        Assert.Equal(frame.X.Max - frame.X.Min, frame.Y.Max - frame.Y.Min, 12);
        // Nothing is counted outside in the picture of the shifted data against itself.
        var picture = ScatterPlot.Render(shifted, shifted, new ScatterPlotOptions { Title = "t" });
        var inside = ScatterPlot.Render(shifted, [10f, -3f], new ScatterPlotOptions { Title = "t" });
        Assert.Equal(picture.PixelOf(10, -3), inside.PixelOf(10, -3));
        var (px, py) = picture.PixelOf(10, -3);
        Assert.InRange(px, 100, 460);
        Assert.InRange(py, 60, 440);
    }

    [Fact]
    public void ScatterPlot_RejectsOddLengthsAndEmptyRanges()
    {
        Assert.Throws<ArgumentException>(() => ScatterPlot.Render(new float[3], new float[2]));
        Assert.Throws<ArgumentException>(() => ScatterPlot.Render(new float[2], new float[2], new ScatterPlotOptions { Frame = PlotFrame.Square(new AxisRange(1, 1)) }));
    }
}

public class LinePlotTests
{
    private static (byte, byte, byte) T(ScottPlot.Color c) => (c.R, c.G, c.B);

    [Fact]
    public void LinePlot_DrawsEverySeriesInItsOwnColourWithALegend()
    {
        var steps = Enumerable.Range(0, 200).Select(i => (double)(i * 10)).ToArray();
        var series = new[]
        {
            new Series("d_loss", steps, steps.Select(s => Math.Exp(-s / 500)).ToArray()),
            new Series("g_loss", steps, steps.Select(s => 0.5 + 0.3 * Math.Sin(s / 100)).ToArray()),
            new Series("gp", steps, steps.Select(s => s == 500 ? double.NaN : 0.1).ToArray()),
        };
        using var dir = new TempDirectory();
        string path = dir.File("loss.png");
        LinePlot.Save(path, series, new LinePlotOptions { Title = "wgan-gp losses, step 2000" });
        DecodedPng png = DecodedPng.Decode(File.ReadAllBytes(path));
        Assert.Equal((800, 450), (png.Width, png.Height));
        for (int k = 0; k < 3; k++)
            Assert.True(png.Count(T(Charts.Palette[k])) > 150, $"series {k} colour present");
        Assert.Equal(0, png.Count(T(Charts.Palette[3])));
    }

    [Fact]
    public void LinePlot_SymmetricLogKeepsSmallCurvesReadableUnderASpike()
    {
        // A loss of amplitude ~1 and one spike of 2.1e6 (the f-GAN run of issue 21): on a linear axis the small
        // curve is a flat line; on the symlog axis it spans a good part of the height.
        var steps = Enumerable.Range(0, 200).Select(i => (double)i).ToArray();
        var small = steps.Select(s => Math.Sin(s / 10)).ToArray();
        var spike = steps.Select(s => s == 100 ? 2.1e6 : 0.5).ToArray();
        int Height(bool symlog)
        {
            var picture = LinePlot.Render([new Series("spike", steps, spike), new Series("small", steps, small)], new LinePlotOptions { SymmetricLog = symlog });
            var png = DecodedPng.Decode(picture.Png);
            var rows = Enumerable.Range(0, png.Height).Where(y => Enumerable.Range(80, png.Width - 200).Any(x => png.Pixel(x, y) == T(Charts.Palette[1]))).ToList();
            return rows.Count == 0 ? 0 : rows.Max() - rows.Min();
        }
        var linear = Height(false);
        var symmetric = Height(true);
        // sin's ±1 is ±0.3 of the 6.3 symlog units up to 2.1e6: about a tenth of the height, against a pixel or two.
        Assert.True(linear < 8, $"linear axis: the small curve spans {linear} px");
        Assert.True(symmetric > 25 && symmetric > 4 * linear, $"symlog axis: the small curve spans {symmetric} px (linear: {linear})");
        Assert.Equal(Math.Log10(2), LinePlot.SymLog(1, 1), 12);
        Assert.Equal(-3, LinePlot.SymLog(-999, 1), 12);
    }

    [Fact]
    public void LinePlot_LegendTextIsRendered()
    {
        var x = new double[] { 0, 1, 2 };
        var a = DecodedPng.Decode(LinePlot.Render([new Series("AAA", x, [1, 2, 3])]).Png);
        var b = DecodedPng.Decode(LinePlot.Render([new Series("BBB", x, [1, 2, 3])]).Png);
        int differing = 0;
        for (int i = 0; i < a.Rgb.Length; i += 3)
            if (a.Rgb[i] != b.Rgb[i] || a.Rgb[i + 1] != b.Rgb[i + 1] || a.Rgb[i + 2] != b.Rgb[i + 2]) differing++;
        Assert.True(differing > 0, "series names are drawn");
        Assert.True(differing < 2000, "only the legend text differs");
    }

    [Fact]
    public void LinePlot_HandlesConstantAndNonFiniteSeriesAndRejectsMismatchedLengths()
    {
        Assert.Equal(800, LinePlot.Render([new Series("c", [0, 1], [2, 2])]).Width);
        Assert.Equal(450, DecodedPng.Decode(LinePlot.Render([new Series("n", [0, 1], [double.NaN, double.PositiveInfinity])]).Png).Height);
        Assert.Throws<ArgumentException>(() => LinePlot.Render([new Series("bad", [0, 1], [1])]));
        Assert.Throws<ArgumentException>(() => LinePlot.Render([]));
    }
}
