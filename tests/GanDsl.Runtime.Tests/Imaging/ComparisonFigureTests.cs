using GanDsl.Evaluation;
using GanDsl.Imaging;
using GanDsl.Runtime.Tests.Data;
using GanDsl.Training;

namespace GanDsl.Runtime.Tests.Imaging;

public class ComparisonFigureTests
{
    private static ComparisonRun Run(string loss, int seed, double? fid) =>
        new(loss, seed, fid is null ? RunStatus.Diverged : RunStatus.Completed, 100, 1, null, fid is null ? "NaN" : null)
        {
            Images = fid is { } f
                ? new ImageEvaluation(500, 10000, f, new(0.01, 0.001, 10, 100), new(0.5, 0.4, 5), new(new int[10], 10, 0.1), [])
                : null,
        };

    [Fact]
    public void Figure_HasABarPerLossWithResultsInItsColour()
    {
        var runs = new[]
        {
            Run("nonsaturating", 0, 40), Run("nonsaturating", 1, 50),
            Run("lsgan", 0, 70), Run("lsgan", 1, 80),
            Run("wgan", 0, null), Run("wgan", 1, null),   // no completed run: no bar
        };
        using var dir = new TempDirectory();
        // GANDSL_PICTURES=folder keeps a copy to look at.
        string path = Environment.GetEnvironmentVariable("GANDSL_PICTURES") is { Length: > 0 } keep ? Path.Combine(keep, "comparison_fid.png") : dir.File("comparison_fid.png");
        ImageComparison.SaveFigure(path, runs, "fashion-mnist, 100 steps, 2 seeds");
        DecodedPng png = DecodedPng.Decode(File.ReadAllBytes(path));
        Assert.Equal((640, 480), (png.Width, png.Height));
        (byte, byte, byte) T(ScottPlot.Color c) => (c.R, c.G, c.B);
        Assert.True(png.Count(T(Charts.Palette[0])) > 1000, "the first loss's bar");
        Assert.True(png.Count(T(Charts.Palette[1])) > 1000, "the second loss's bar");
        Assert.Equal(0, png.Count(T(Charts.Palette[2])));
    }
}
