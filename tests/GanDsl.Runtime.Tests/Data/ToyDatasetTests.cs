using GanDsl.Data;
using GanDsl.Evaluation;
using GanDsl.Formats;

namespace GanDsl.Runtime.Tests.Data;

public class ToyDatasetTests
{
    private static float[] Draw(IDataset dataset, int n, ulong seed = 1) => dataset.CreateSampler(n, seed).Next().Data;

    [Fact]
    public void Ring_SamplesLieOnTheRadiusTwoCircleAndHitAllEightModes()
    {
        var ring = GaussianMixture2D.Ring();
        Batch batch = ring.CreateSampler(4000, 11).Next();
        Assert.Equal(new long[] { 4000, 2 }, batch.Shape);
        Assert.Equal(new long[] { 2 }, ring.SampleShape);
        Assert.Null(ring.Count);

        var hits = new int[8];
        for (int i = 0; i < 4000; i++)
        {
            double x = batch.Data[2 * i], y = batch.Data[2 * i + 1];
            double radius = Math.Sqrt(x * x + y * y);
            Assert.InRange(radius, 2 - 6 * 0.02, 2 + 6 * 0.02);
            double angle = Math.Atan2(y, x);
            int mode = (int)Math.Round(angle / (2 * Math.PI / 8) + 8) % 8;
            double distance = Math.Sqrt(Math.Pow(x - 2 * Math.Cos(mode * Math.PI / 4), 2) + Math.Pow(y - 2 * Math.Sin(mode * Math.PI / 4), 2));
            Assert.True(distance < 6 * 0.02, $"sample ({x}, {y}) is {distance} from mode {mode}");
            hits[mode]++;
        }
        // Uniform mode choice: 500 expected per mode, sd ≈ 21.
        Assert.All(hits, h => Assert.InRange(h, 400, 600));
    }

    [Fact]
    public void Ring_PerCoordinateSpreadIsTheDocumentedStd()
    {
        var ring = GaussianMixture2D.Ring();
        float[] data = Draw(ring, 20_000, 3);
        double sumSq = 0;
        for (int i = 0; i < 20_000; i++)
        {
            double x = data[2 * i], y = data[2 * i + 1];
            Point2 nearest = ring.Modes.MinBy(m => (m.X - x) * (m.X - x) + (m.Y - y) * (m.Y - y));
            sumSq += (x - nearest.X) * (x - nearest.X) + (y - nearest.Y) * (y - nearest.Y);
        }
        double std = Math.Sqrt(sumSq / (2 * 20_000));
        Assert.InRange(std, 0.0195, 0.0205);
    }

    [Fact]
    public void Grid_HasTwentyFiveModesOnTheDocumentedLatticeAndHitsThemAll()
    {
        var grid = GaussianMixture2D.Grid();
        Assert.Equal(25, grid.Modes.Count);
        Assert.Equal(0.05, grid.ModeStd);
        double[] coords = [-4, -2, 0, 2, 4];
        foreach (double cx in coords)
            foreach (double cy in coords)
                Assert.Contains(new Point2(cx, cy), grid.Modes);

        float[] data = Draw(grid, 5000, 8);
        ModeMetrics m = Metrics2D.Modes(data, grid);
        Assert.Equal(25, m.ModesCovered);
        Assert.True(m.HighQualityFraction > 0.98, $"high-quality fraction {m.HighQualityFraction}");
        Assert.All(m.HighQualityPerMode, c => Assert.InRange(c, 120, 280)); // 200 expected, sd ≈ 14
    }

    [Fact]
    public void SwissRoll_SamplesFollowTheDocumentedCurveWithinRange()
    {
        var roll = new SwissRoll2D();
        float[] data = Draw(roll, 5000, 4);
        // Dense points of the noise-free curve t in [1.5π, 4.5π].
        var curve = Enumerable.Range(0, 3001).Select(k => roll.Curve(1.5 * Math.PI + 3 * Math.PI * k / 3000)).ToArray();
        double maxAbs = 0, meanDistance = 0;
        for (int i = 0; i < 5000; i++)
        {
            double x = data[2 * i], y = data[2 * i + 1];
            maxAbs = Math.Max(maxAbs, Math.Max(Math.Abs(x), Math.Abs(y)));
            meanDistance += curve.Min(p => Math.Sqrt((p.X - x) * (p.X - x) + (p.Y - y) * (p.Y - y)));
        }
        meanDistance /= 5000;
        Assert.InRange(maxAbs, 1.5, 2.2);
        // Noise is 0.25/7.5 = 0.033 per coordinate: distance to the curve is about that (less, as the curve
        // direction absorbs part of it); far more would mean the wrong parametrisation.
        Assert.InRange(meanDistance, 0.01, 0.04);
    }

    [Theory]
    [InlineData("ring")]
    [InlineData("grid")]
    [InlineData("swissroll")]
    public void SameSeedGivesTheSameBatchesAndOtherSeedsDiffer(string name)
    {
        IDataset dataset = Datasets.Create(name);
        var a = dataset.CreateSampler(64, 17);
        var b = dataset.CreateSampler(64, 17);
        var c = dataset.CreateSampler(64, 18);
        for (int i = 0; i < 3; i++)
        {
            float[] da = a.Next().Data;
            Assert.Equal(da, b.Next().Data);
            Assert.NotEqual(da, c.Next().Data);
        }
    }

    [Fact]
    public void StreamSampler_StateRestoreContinuesExactly()
    {
        var ring = GaussianMixture2D.Ring();
        var sampler = ring.CreateSampler(32, 5);
        sampler.Next(); sampler.Next();
        byte[] state = sampler.GetState();
        float[][] expected = [sampler.Next().Data, sampler.Next().Data];

        var resumed = ring.CreateSampler(32, 999);
        resumed.SetState(state);
        Assert.Equal(2, resumed.BatchesDrawn);
        Assert.Equal(expected[0], resumed.Next().Data);
        Assert.Equal(expected[1], resumed.Next().Data);
        Assert.Equal(4, resumed.BatchesDrawn);
    }

    [Fact]
    public void StreamSampler_NextIntoFillsTheSameValuesAsNext()
    {
        var grid = GaussianMixture2D.Grid();
        var a = grid.CreateSampler(16, 2);
        var b = grid.CreateSampler(16, 2);
        var buffer = new float[32];
        Assert.Equal(0, b.NextInto(buffer));
        Assert.Equal(a.Next().Data, buffer);
        Assert.Throws<ArgumentException>(() => b.NextInto(new float[31]));
    }

    [Fact]
    public void SetState_RejectsStatesOfAnotherSetup()
    {
        var ring = GaussianMixture2D.Ring();
        byte[] state = ring.CreateSampler(32, 5).GetState();
        var otherBatch = ring.CreateSampler(16, 5);
        Assert.Contains("batch size 32", Assert.Throws<ArgumentException>(() => otherBatch.SetState(state)).Message);

        var images = new NpyDataset("images", new NpyArray(new float[40], [10, 4]));
        var epochSampler = images.CreateSampler(2, 1);
        Assert.Contains("kind", Assert.Throws<ArgumentException>(() => epochSampler.SetState(state)).Message);

        var garbage = (byte[])state.Clone();
        garbage[0] = (byte)'X';
        Assert.Contains("GDSS", Assert.Throws<ArgumentException>(() => ring.CreateSampler(32, 5).SetState(garbage)).Message);
        Assert.Contains("length", Assert.Throws<ArgumentException>(() => ring.CreateSampler(32, 5).SetState(state[..^1])).Message);
    }

    [Fact]
    public void Sampler_RejectsNonPositiveBatchSizes()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GaussianMixture2D.Ring().CreateSampler(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NpyDataset("x", new NpyArray(new float[8], [4, 2])).CreateSampler(5, 1));
    }
}

public class EpochSamplerTests
{
    // Sample i is the vector (i, -i), so a batch tells which samples it holds.
    private static NpyDataset Indexed(int n)
    {
        var data = new float[2 * n];
        for (int i = 0; i < n; i++) { data[2 * i] = i; data[2 * i + 1] = -i; }
        return new NpyDataset("indexed", new NpyArray(data, [n, 2]));
    }

    private static int[] Indices(Batch batch) => Enumerable.Range(0, batch.Size).Select(i => (int)batch.Data[2 * i]).ToArray();

    [Fact]
    public void EachEpochIsAPermutationWithTheRemainderDropped()
    {
        var dataset = Indexed(10);
        var sampler = dataset.CreateSampler(3, 7);
        var epochs = new List<int[]>();
        for (int e = 0; e < 4; e++)
        {
            var seen = new List<int>();
            for (int b = 0; b < 3; b++) // 10 / 3 = 3 full batches per epoch
            {
                Assert.Equal(e, sampler.Epoch);
                Batch batch = sampler.Next();
                Assert.Equal(e, batch.Epoch);
                Assert.Equal(new long[] { 3, 2 }, batch.Shape);
                for (int i = 0; i < 3; i++) Assert.Equal(-batch.Data[2 * i], batch.Data[2 * i + 1]);
                seen.AddRange(Indices(batch));
            }
            Assert.Equal(9, seen.Distinct().Count());
            Assert.All(seen, i => Assert.InRange(i, 0, 9));
            epochs.Add(seen.ToArray());
        }
        Assert.Equal(4, sampler.Epoch);
        Assert.Equal(12, sampler.BatchesDrawn);
        // Reshuffled every epoch: the orders differ.
        Assert.Equal(4, epochs.Select(e => string.Join(",", e)).Distinct().Count());
    }

    [Fact]
    public void ShuffleVisitsEveryPositionEvenly()
    {
        // Over many epochs, each sample should land in the first batch about equally often.
        var sampler = Indexed(8).CreateSampler(2, 3);
        var firstBatchCounts = new int[8];
        for (int e = 0; e < 4000; e++)
        {
            foreach (int i in Indices(sampler.Next())) firstBatchCounts[i]++;
            for (int b = 1; b < 4; b++) sampler.Next();
        }
        // Expected 1000 each (2 of 8 per epoch), sd ≈ 27.
        Assert.All(firstBatchCounts, c => Assert.InRange(c, 860, 1140));
    }

    [Fact]
    public void StateRestore_MidEpochAndAcrossTheEpochBoundary()
    {
        var dataset = Indexed(10);
        var reference = dataset.CreateSampler(4, 21); // 2 batches per epoch
        var states = new List<byte[]>();
        var batches = new List<float[]>();
        for (int i = 0; i < 7; i++)
        {
            states.Add(reference.GetState());
            batches.Add(reference.Next().Data);
        }
        for (int start = 0; start < 7; start++)
        {
            var resumed = dataset.CreateSampler(4, 12345); // seed comes from the state
            resumed.SetState(states[start]);
            Assert.Equal(start, resumed.BatchesDrawn);
            for (int i = start; i < 7; i++) Assert.Equal(batches[i], resumed.Next().Data);
        }
    }

    [Fact]
    public void StateOfADatasetOfAnotherSizeIsRejected()
    {
        byte[] state = Indexed(10).CreateSampler(2, 1).GetState();
        var error = Assert.Throws<ArgumentException>(() => Indexed(12).CreateSampler(2, 1).SetState(state));
        Assert.Contains("10 samples", error.Message);
    }
}
