using GanDsl.Data;

namespace GanDsl.Runtime.Tests.Data;

public class XoshiroTests
{
    // Expected values come from reference/xoshiro_reference.py, an independent Python implementation
    // (arbitrary-precision integers, the same log series), so a match checks the algorithm, not a snapshot.
    [Fact]
    public void SplitMix64_MatchesThePublishedFirstOutputForSeedZero()
    {
        ulong x = 0;
        Assert.Equal(0xE220A8397B1DCDAFUL, Xoshiro256.SplitMix64(ref x));
    }

    [Fact]
    public void RawOutputs_MatchThePythonReference()
    {
        var r = new Xoshiro256(42);
        Assert.Equal(0x15780b2e0c2ec716UL, r.NextUInt64());
        Assert.Equal(0x6104d9866d113a7eUL, r.NextUInt64());
        Assert.Equal(0xae17533239e499a1UL, r.NextUInt64());
        Assert.Equal(0xecb8ad4703b360a1UL, r.NextUInt64());
    }

    [Fact]
    public void Doubles_MatchThePythonReference()
    {
        var r = new Xoshiro256(42);
        Assert.Equal(0.08386297105988216, r.NextDouble());
        Assert.Equal(0.3789802506626686, r.NextDouble());
        Assert.Equal(0.6800434110281394, r.NextDouble());
    }

    [Fact]
    public void Gaussians_MatchThePythonReferenceBitForBit()
    {
        var r = new Xoshiro256(7);
        ulong[] expected = [0x3feedc0d635eea0bUL, 0xbfd3739755916c21UL, 0x3fd381c0324118c3UL, 0xbffb375fc61f0764UL];
        foreach (ulong bits in expected)
            Assert.Equal(bits, (ulong)BitConverter.DoubleToInt64Bits(r.NextGaussian()));
    }

    [Fact]
    public void Gaussians_HaveUnitMomentsAndNormalTails()
    {
        var r = new Xoshiro256(123);
        const int N = 200_000;
        double sum = 0, sumSq = 0;
        int beyond2 = 0;
        for (int i = 0; i < N; i++)
        {
            double g = r.NextGaussian();
            sum += g; sumSq += g * g;
            if (Math.Abs(g) > 2) beyond2++;
        }
        double mean = sum / N, variance = sumSq / N - mean * mean;
        Assert.InRange(mean, -0.01, 0.01);              // standard error 0.0022
        Assert.InRange(variance, 0.985, 1.015);          // standard error ≈ 0.003
        Assert.InRange(beyond2 / (double)N, 0.0435, 0.0475); // P(|Z| > 2) = 0.0455
    }

    [Fact]
    public void NextInt_IsUniformOverItsRange()
    {
        var r = new Xoshiro256(5);
        var counts = new int[7];
        for (int i = 0; i < 70_000; i++) counts[r.NextInt(7)]++;
        // Each count ~ Binomial(70000, 1/7): mean 10000, sd ≈ 93; 5 sd bounds.
        Assert.All(counts, c => Assert.InRange(c, 9535, 10465));
        Assert.Throws<ArgumentOutOfRangeException>(() => r.NextInt(0));
    }

    [Fact]
    public void State_RoundTripsAndResumesTheSameStream()
    {
        var r = new Xoshiro256(99);
        for (int i = 0; i < 10; i++) r.NextUInt64();
        byte[] state = r.GetState();
        ulong[] expected = Enumerable.Range(0, 5).Select(_ => r.NextUInt64()).ToArray();

        var other = new Xoshiro256(1);
        other.SetState(state);
        Assert.Equal(expected, Enumerable.Range(0, 5).Select(_ => other.NextUInt64()).ToArray());
    }

    [Fact]
    public void SetState_RejectsWrongSizeAndAllZeroStates()
    {
        var r = new Xoshiro256(1);
        Assert.Contains("32 bytes", Assert.Throws<ArgumentException>(() => r.SetState(new byte[31])).Message);
        Assert.Contains("all-zero", Assert.Throws<ArgumentException>(() => r.SetState(new byte[32])).Message);
    }

    [Fact]
    public void DeriveSeed_GivesDistinctStreamsForNeighbouringIndices()
    {
        var seeds = Enumerable.Range(0, 1000).Select(i => Xoshiro256.DeriveSeed(3, (ulong)i)).ToHashSet();
        Assert.Equal(1000, seeds.Count);
        Assert.NotEqual(Xoshiro256.DeriveSeed(3, 0), Xoshiro256.DeriveSeed(4, 0));
    }
}

public class DeterministicMathTests
{
    [Theory]
    [InlineData(1e-300)]
    [InlineData(4.9e-324)] // smallest subnormal
    [InlineData(1e-5)]
    [InlineData(0.1)]
    [InlineData(0.7071)]
    [InlineData(1.0)]
    [InlineData(1.5)]
    [InlineData(2.0)]
    [InlineData(12345.678)]
    [InlineData(1e300)]
    public void Log_AgreesWithMathLogToAFewUlps(double x)
    {
        double expected = Math.Log(x);
        Assert.True(Math.Abs(DeterministicMath.Log(x) - expected) <= 4e-16 * Math.Max(1, Math.Abs(expected)),
            $"log({x}) = {DeterministicMath.Log(x):R}, Math.Log = {expected:R}");
    }

    [Fact]
    public void Log_OfOneIsExactlyZero() => Assert.Equal(0.0, DeterministicMath.Log(1.0));

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Log_RejectsArgumentsOutsideItsDomain(double x) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DeterministicMath.Log(x));

    [Fact]
    public void SinCos_AgreeWithMathOverTheSwissRollRangeAndBeyond()
    {
        for (double x = -50; x <= 50; x += 0.0137)
        {
            var (sin, cos) = DeterministicMath.SinCos(x);
            Assert.True(Math.Abs(sin - Math.Sin(x)) < 1e-15, $"sin({x})");
            Assert.True(Math.Abs(cos - Math.Cos(x)) < 1e-15, $"cos({x})");
        }
        Assert.Equal(0.0, DeterministicMath.Sin(0.0));
        Assert.Equal(1.0, DeterministicMath.Cos(0.0));
    }
}
