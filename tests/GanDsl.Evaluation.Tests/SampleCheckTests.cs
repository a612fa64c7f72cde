using GanDsl.Evaluation;

namespace GanDsl.Evaluation.Tests;

/// <summary>Bad samples are refused with one line that says what is wrong.</summary>
public class SampleCheckTests
{
    private static float[] Images(int n, Func<int, float> value) => Enumerable.Range(0, n * 784).Select(value).ToArray();

    private static string Refused(float[] data, long[] shape)
    {
        var e = Assert.Throws<SampleFormatException>(() => ImageEvaluator.CheckSamples(data, shape));
        Assert.DoesNotContain('\n', e.Message);
        return e.Message;
    }

    [Fact]
    public void GoodImages_Pass()
    {
        ImageEvaluator.CheckSamples(Images(3, i => (i % 200) / 100f - 1), [3, 1, 28, 28]);
        ImageEvaluator.CheckSamples(Images(3, i => (i % 200) / 100f - 1), [3, 28, 28]);
    }

    [Theory]
    [InlineData(new long[] { 3, 2 })]
    [InlineData(new long[] { 3, 3, 28, 28 })]
    [InlineData(new long[] { 3, 784 })]
    [InlineData(new long[] { 3, 1, 32, 32 })]
    public void WrongShape_IsNamed(long[] shape)
    {
        var n = shape.Aggregate(1L, (a, b) => a * b);
        Assert.Contains("28×28", Refused(new float[n], shape));
    }

    [Fact]
    public void Range0To255_IsRecognised() =>
        Assert.Contains("0..255", Refused(Images(3, i => i % 256), [3, 1, 28, 28]));

    [Fact]
    public void Range0To1_IsRecognised() =>
        Assert.Contains("0..1", Refused(Images(3, i => (i % 100) / 99f), [3, 1, 28, 28]));

    [Fact]
    public void OtherRange_IsRefused() =>
        Assert.Contains("outside [-1, 1]", Refused(Images(3, i => (i % 100) / 20f - 2), [3, 1, 28, 28]));

    [Fact]
    public void NaN_IsRefused()
    {
        var data = Images(3, i => 0);
        data[800] = float.NaN;
        Assert.Contains("NaN", Refused(data, [3, 1, 28, 28]));
        Assert.Contains("image 1", Refused(data, [3, 1, 28, 28]));
    }

    [Fact]
    public void FewerThanTwo_IsRefused() =>
        Assert.Contains("at least 2", Refused(Images(1, i => 0), [1, 1, 28, 28]));

    [Fact]
    public void SmallN_Warns_LargeNDoesNot()
    {
        Assert.Contains("biased upward", ImageEvaluator.SmallSampleWarning(500));
        Assert.Null(ImageEvaluator.SmallSampleWarning(2000));
    }
}
