using System.Text.Json;
using GanDsl.Data;
using GanDsl.Evaluation;

namespace GanDsl.Evaluation.Tests;

/// <summary>ImageMetrics against independent numpy float64 computations (tests/reference/evaluation) and closed forms.</summary>
public class MetricReferenceTests
{
    private static readonly JsonElement Reference = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "reference", "evaluation", "evaluation_reference.json"))).RootElement;

    private static FeatureMatrix Matrix(JsonElement rows)
    {
        var list = rows.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToList();
        return new FeatureMatrix(list.SelectMany(r => r).ToArray(), list.Count, list[0].Length).Validated();
    }

    private static double[] Vector(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static GaussianStatistics Gaussian(JsonElement mu, JsonElement sigma)
    {
        var m = Vector(mu);
        return new GaussianStatistics(m, Matrix(sigma).Data, m.Length);
    }

    private static void Close(double expected, double actual, double relative = 1e-9, double absolute = 1e-10) =>
        Assert.True(Math.Abs(expected - actual) <= absolute + relative * Math.Abs(expected), $"expected {expected:R}, got {actual:R}");

    [Fact]
    public void Statistics_MatchNumpyMeanAndCov()
    {
        var s = GaussianStatistics.Of(Matrix(Reference.GetProperty("features").GetProperty("a")));
        var mean = Vector(Reference.GetProperty("mean_a"));
        var cov = Matrix(Reference.GetProperty("cov_a")).Data;
        for (var i = 0; i < mean.Length; i++) Close(mean[i], s.Mean[i], 1e-12, 1e-13);
        for (var i = 0; i < cov.Length; i++) Close(cov[i], s.Covariance[i], 1e-12, 1e-13);
    }

    [Fact]
    public void Fid_OfFeatureSets_MatchesTheEigenvalueRoute()
    {
        var a = Matrix(Reference.GetProperty("features").GetProperty("a"));
        var b = Matrix(Reference.GetProperty("features").GetProperty("b"));
        Close(Reference.GetProperty("fid_ab").GetDouble(), ImageMetrics.Fid(a, b));
        Close(Reference.GetProperty("fid_ab").GetDouble(), ImageMetrics.Fid(b, a));   // symmetric
        Assert.True(Math.Abs(ImageMetrics.Fid(a, a)) < 1e-9);
    }

    [Theory]
    [InlineData("gauss_diag")]
    [InlineData("gauss_scaled")]
    public void Fid_OfKnownGaussians_IsTheClosedForm(string name)
    {
        var g = Reference.GetProperty(name);
        var fid = ImageMetrics.Fid(Gaussian(g.GetProperty("mu1"), g.GetProperty("s1")), Gaussian(g.GetProperty("mu2"), g.GetProperty("s2")));
        Close(g.GetProperty("closed_form").GetDouble(), fid, 1e-10);
    }

    [Fact]
    public void Fid_WithASingularCovariance_StaysRealAndMatches()
    {
        var g = Reference.GetProperty("singular");
        var fid = ImageMetrics.Fid(Matrix(g.GetProperty("a")), Matrix(g.GetProperty("b")));
        Assert.True(double.IsFinite(fid));
        Close(g.GetProperty("fid").GetDouble(), fid, 1e-8);
    }

    [Fact]
    public void Fid_ClosedFormInCode_DiagonalGaussians()
    {
        // N(0, I) vs N(m, 4I) in d = 3: |m|^2 + d (1 - 2)^2.
        var i3 = new double[] { 1, 0, 0, 0, 1, 0, 0, 0, 1 };
        var fid = ImageMetrics.Fid(new GaussianStatistics([0, 0, 0], i3, 3), new GaussianStatistics([1, 2, 2], i3.Select(v => 4 * v).ToArray(), 3));
        Close(9 + 3, fid, 1e-12);
    }

    [Fact]
    public void UnbiasedMmd2_MatchesTheExplicitDoubleSums()
    {
        var a = Matrix(Reference.GetProperty("features").GetProperty("a"));
        var b = Matrix(Reference.GetProperty("features").GetProperty("b"));
        Close(Reference.GetProperty("mmd2_ab").GetDouble(), ImageMetrics.UnbiasedMmd2(a, b));
    }

    [Fact]
    public void Kid_OverStoredSubsets_MatchesMeanAndStd()
    {
        var a = Matrix(Reference.GetProperty("features").GetProperty("a"));
        var b = Matrix(Reference.GetProperty("features").GetProperty("b"));
        var subsets = Reference.GetProperty("kid_subsets").EnumerateArray()
            .Select(s => (s.GetProperty("x").EnumerateArray().Select(v => v.GetInt32()).ToArray(), s.GetProperty("y").EnumerateArray().Select(v => v.GetInt32()).ToArray()))
            .ToList();
        var kid = ImageMetrics.Kid(a, b, subsets);
        Close(Reference.GetProperty("kid_mean").GetDouble(), kid.Mean);
        Close(Reference.GetProperty("kid_std").GetDouble(), kid.Std);
        Assert.Equal(5, kid.Subsets);
        Assert.Equal(40, kid.SubsetSize);
    }

    [Fact]
    public void Kid_IsUnbiased_MeanOverManyDrawsOfOneDistributionIsNearZero()
    {
        // The numpy reference: mean of 200 draws, within 2.5 standard errors of 0.
        var mean = Reference.GetProperty("unbiased_mean_of_200").GetDouble();
        var std = Reference.GetProperty("unbiased_std_of_200").GetDouble();
        Assert.True(Math.Abs(mean) < 2.5 * std / Math.Sqrt(200), $"numpy: {mean} ± {std / Math.Sqrt(200)}");

        // Ours, with our own draws: 200 pairs of 50 × 4 standard normal sets.
        var random = new Xoshiro256(7);
        var values = new List<double>();
        FeatureMatrix Draw() => new(Enumerable.Range(0, 200).Select(_ => random.NextGaussian()).ToArray(), 50, 4);
        for (var i = 0; i < 200; i++) values.Add(ImageMetrics.UnbiasedMmd2(Draw(), Draw()));
        var m = values.Average();
        var se = Math.Sqrt(values.Sum(v => (v - m) * (v - m)) / (values.Count - 1) / values.Count);
        Assert.True(Math.Abs(m) < 3 * se, $"mean {m}, standard error {se}");
        // While a biased (V-statistic) estimate would sit clearly above 0: one shifted pair is far above.
        var shifted = new FeatureMatrix(Draw().Data.Select(v => v + 1).ToArray(), 50, 4);
        Assert.True(ImageMetrics.UnbiasedMmd2(Draw(), shifted) > 10 * se);
    }

    [Fact]
    public void Kid_WithSeed_IsReproducibleAndUsesSubsetsOfTheGivenSize()
    {
        var a = Matrix(Reference.GetProperty("features").GetProperty("a"));
        var b = Matrix(Reference.GetProperty("features").GetProperty("b"));
        var k1 = ImageMetrics.Kid(a, b, subsetSize: 100, subsets: 10, seed: 3);
        var k2 = ImageMetrics.Kid(a, b, subsetSize: 100, subsets: 10, seed: 3);
        Assert.Equal(k1, k2);
        Assert.Equal(100, k1.SubsetSize);
        Assert.Equal(250, ImageMetrics.Kid(a, b, subsetSize: 1000, subsets: 2).SubsetSize);   // capped at the smaller set
    }

    [Fact]
    public void PrecisionRecall_MatchesTheExplicitDistances()
    {
        var a = Matrix(Reference.GetProperty("features").GetProperty("a"));
        var b = Matrix(Reference.GetProperty("features").GetProperty("b"));
        var pr = ImageMetrics.PrecisionRecall(a, b, 3);
        Assert.Equal(Reference.GetProperty("precision_b_vs_a").GetDouble(), pr.Precision, 12);
        Assert.Equal(Reference.GetProperty("recall_b_vs_a").GetDouble(), pr.Recall, 12);
        var same = ImageMetrics.PrecisionRecall(a, a, 3);
        Assert.Equal(1.0, same.Precision);
        Assert.Equal(1.0, same.Recall);
    }

    [Fact]
    public void Classes_CountCoverageAndTotalVariation()
    {
        var balanced = ImageMetrics.Classes(Enumerable.Range(0, 1000).Select(i => i % 10).ToList());
        Assert.Equal(10, balanced.Covered);
        Assert.Equal(0, balanced.TotalVariation, 12);
        var collapsed = ImageMetrics.Classes(Enumerable.Repeat(3, 995).Concat([0, 1, 2, 4, 5]).ToList());
        Assert.Equal(1, collapsed.Covered);                 // one image each is below a tenth of the fair share
        Assert.Equal(995, collapsed.Counts[3]);
        Assert.True(collapsed.TotalVariation > 0.85);
    }
}
