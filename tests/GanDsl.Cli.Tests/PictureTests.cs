using GanDsl.Imaging;
using static GanDsl.Tests.Cli.CliRunner;

namespace GanDsl.Tests.Cli;

/// <summary>What a run's pictures show (issue 21.4).</summary>
public sealed class PictureTests : TempFolderTests
{
    private static int CountColour(string png, ScottPlot.Color colour)
    {
        using var bitmap = SkiaSharp.SKBitmap.Decode(File.ReadAllBytes(png));
        var count = 0;
        for (var y = 0; y < bitmap.Height; y++)
            for (var x = 0; x < bitmap.Width; x++)
                if (bitmap.GetPixel(x, y) is var p && p.Red == colour.R && p.Green == colour.G && p.Blue == colour.B) count++;
        return count;
    }

    [Fact]
    public void Losses_png_draws_every_loss_and_term_of_metrics_csv()
    {
        var dir = TempDir("losses-png");
        var o = Train(dir, "--loss", "wgan-gp", "--data", "ring", "--steps", "6", "--batch", "32", "--samples", "20", "--sample-every", "0", "--log-every", "1");
        Assert.True(o.ExitCode == 0, o.Stderr);
        var header = File.ReadLines(Path.Combine(dir, "metrics.csv")).First().Split(',');
        var curves = header.Where(c => c is "d_loss" or "g_loss" || c.StartsWith("d.", StringComparison.Ordinal) || c.StartsWith("g.", StringComparison.Ordinal)).ToList();
        Assert.Contains("d.Gp", curves);
        var png = Path.Combine(dir, "losses.png");
        for (var k = 0; k < curves.Count; k++)
            Assert.True(CountColour(png, Charts.Palette[k]) > 100, $"curve {curves[k]} (colour {k}) is drawn");
        Assert.Equal(0, CountColour(png, Charts.Palette[curves.Count]));
    }
}
