using GanDsl.Data;
using GanDsl.Evaluation;

namespace GanDsl.Runtime.Tests.Evaluation;

public class Metrics2DTests
{
    private static float[] Repeat(float x, float y, int n) => Enumerable.Range(0, n).SelectMany(_ => new[] { x, y }).ToArray();

    [Fact]
    public void RealRingSamplesScorePerfectly()
    {
        var ring = GaussianMixture2D.Ring();
        float[] samples = ring.CreateSampler(4000, 1).Next().Data;
        ModeMetrics m = Metrics2D.Modes(samples, ring);
        Assert.Equal(8, m.ModeCount);
        Assert.Equal(8, m.ModesCovered);
        Assert.True(m.HighQualityFraction > 0.98, $"high quality {m.HighQualityFraction}");
        // Distance to the centre of a 2D isotropic Gaussian is Rayleigh: mean σ·√(π/2) = 0.0251.
        Assert.InRange(m.MeanDistanceToNearestMode, 0.024, 0.0262);
    }

    [Fact]
    public void ACollapsedGeneratorCoversOneMode()
    {
        var ring = GaussianMixture2D.Ring();
        ModeMetrics m = Metrics2D.Modes(Repeat(0f, 2f, 500), ring); // all on the mode at (0, 2)
        Assert.Equal(1, m.ModesCovered);
        Assert.Equal(1.0, m.HighQualityFraction);
        Assert.Equal(500, m.HighQualityPerMode[2]);
        Assert.True(m.MeanDistanceToNearestMode < 1e-6);
    }

    [Fact]
    public void SamplesAtTheCentreAreFarFromEveryMode()
    {
        ModeMetrics m = Metrics2D.Modes(Repeat(0f, 0f, 100), GaussianMixture2D.Ring());
        Assert.Equal(0, m.ModesCovered);
        Assert.Equal(0.0, m.HighQualityFraction);
        Assert.Equal(2.0, m.MeanDistanceToNearestMode, 6);
    }

    [Fact]
    public void AFewStrayPointsDoNotCountAsCoverage()
    {
        var ring = GaussianMixture2D.Ring();
        // 990 points on mode 0, 10 on mode 4: threshold is 0.1 * 1000 / 8 = 12.5 samples.
        float[] samples = [.. Repeat(2f, 0f, 990), .. Repeat(-2f, 0f, 10)];
        Assert.Equal(1, Metrics2D.Modes(samples, ring).ModesCovered);
        Assert.Equal(2, Metrics2D.Modes(samples, ring, coverageFraction: 0).ModesCovered);
    }

    [Fact]
    public void NaNSamplesAreNeverHighQuality()
    {
        ModeMetrics m = Metrics2D.Modes(new[] { float.NaN, 0f, 2f, 0f }, GaussianMixture2D.Ring());
        Assert.Equal(0.5, m.HighQualityFraction);
        Assert.Equal(double.PositiveInfinity, m.MeanDistanceToNearestMode);
    }

    [Fact]
    public void EnergyDistance_IsTwiceTheGapBetweenTwoPointMasses()
    {
        // 2E|X−Y| − E|X−X'| − E|Y−Y'| = 2·5 − 0 − 0 for masses at (0,0) and (3,4).
        Assert.Equal(10.0, Metrics2D.EnergyDistance(Repeat(0, 0, 20), Repeat(3, 4, 30)), 9);
    }

    [Fact]
    public void EnergyDistance_SeparatesSameFromDifferentDistributions()
    {
        var ring = GaussianMixture2D.Ring();
        float[] a = ring.CreateSampler(800, 1).Next().Data;
        float[] b = ring.CreateSampler(800, 2).Next().Data;
        float[] grid = GaussianMixture2D.Grid().CreateSampler(800, 3).Next().Data;
        float[] collapsed = Repeat(2f, 0f, 800);
        double same = Metrics2D.EnergyDistance(a, b);
        Assert.InRange(same, -0.02, 0.02);
        Assert.True(Metrics2D.EnergyDistance(a, collapsed) > 0.5);
        Assert.True(Metrics2D.EnergyDistance(a, grid) > 0.5);
        Assert.Equal(Metrics2D.EnergyDistance(a, grid), Metrics2D.EnergyDistance(grid, a), 9);
    }

    [Fact]
    public void SlicedWasserstein_OfATranslationIsTheMeanProjectedShift()
    {
        float[] a = GaussianMixture2D.Grid().CreateSampler(300, 5).Next().Data;
        float[] b = a.Select((v, i) => i % 2 == 0 ? v + 0.75f : v).ToArray(); // shift x by 0.75
        const int P = 16;
        // Shifting by s moves every projection onto θ by s·cos θ, so W1 per direction is |s·cos θ| exactly.
        double expected = Enumerable.Range(0, P).Average(k => Math.Abs(0.75 * Math.Cos(Math.PI * k / P)));
        Assert.Equal(expected, Metrics2D.SlicedWasserstein(a, b, P), 4);
        Assert.Equal(0.0, Metrics2D.SlicedWasserstein(a, a, P), 12);
    }

    [Fact]
    public void SlicedWasserstein_HandlesDifferentSampleSizes()
    {
        // Masses at 0 and at (1, 0) with 10 vs 40 points: per direction W1 = |cos θ|.
        double sw = Metrics2D.SlicedWasserstein(Repeat(0, 0, 10), Repeat(1, 0, 40), 8);
        Assert.Equal(Enumerable.Range(0, 8).Average(k => Math.Abs(Math.Cos(Math.PI * k / 8))), sw, 9);
    }

    [Fact]
    public void MetricsRejectOddLengthInput()
    {
        Assert.Throws<ArgumentException>(() => Metrics2D.Modes(new float[3], GaussianMixture2D.Ring()));
        Assert.Throws<ArgumentException>(() => Metrics2D.EnergyDistance(new float[4], new float[2]));
        Assert.Throws<ArgumentException>(() => Metrics2D.SlicedWasserstein(Array.Empty<float>(), new float[2]));
    }
}
