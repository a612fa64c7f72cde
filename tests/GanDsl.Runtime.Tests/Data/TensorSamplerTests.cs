using GanDsl.Data;
using GanDsl.Formats;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Runtime.Tests.Data;

/// <summary>Samplers hand out tensors (issue 20 item 1): the same values and the same resume as when they filled host arrays.</summary>
public class TensorSamplerTests
{
    private static float[] Values(Tensor t)
    {
        using (t) return t.contiguous().data<float>().ToArray();
    }

    /// <summary>A stream draws batches a chunk at a time; its values are still the stream's samples in order.</summary>
    [Fact]
    public void A_stream_drawn_in_chunks_gives_the_samples_of_one_big_batch()
    {
        var ring = GaussianMixture2D.Ring();
        var small = ring.CreateSampler(16, seed: 9);
        var drawn = Enumerable.Range(0, 11).SelectMany(_ => Values(small.NextTensor())).ToArray();   // chunks of 1, 2, 4, 8 batches
        Assert.Equal(ring.CreateSampler(16 * 11, seed: 9).Next().Data, drawn);
        Assert.Equal(11, small.BatchesDrawn);
    }

    /// <summary>A state taken in the middle of a chunk resumes at the next batch handed out, not at the chunk's end.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]    // the third chunk (batches 4 to 7) is half used
    [InlineData(7)]
    public void A_stream_resumes_exactly_from_the_middle_of_a_chunk(int before)
    {
        var swiss = new SwissRoll2D();
        var sampler = swiss.CreateSampler(32, seed: 4);
        for (var i = 0; i < before; i++) sampler.NextTensor().Dispose();
        var state = sampler.GetState();
        var expected = Enumerable.Range(0, 9).Select(_ => Values(sampler.NextTensor())).ToList();

        var resumed = swiss.CreateSampler(32, seed: 123);
        resumed.SetState(state);
        Assert.Equal(before, resumed.BatchesDrawn);
        Assert.Equal(expected, Enumerable.Range(0, 9).Select(_ => Values(resumed.NextTensor())));
    }

    /// <summary>An in-memory dataset gathers every sample once per epoch, each row whole, as float32.</summary>
    [Fact]
    public void An_in_memory_dataset_gathers_each_sample_once_per_epoch()
    {
        var rows = Enumerable.Range(0, 12).Select(i => new[] { (float)i, -i }).ToArray();
        var data = new NpyDataset("rows", new NpyArray(rows.SelectMany(r => r).ToArray(), [12, 2]));
        var sampler = data.CreateSampler(4, seed: 1);
        var epoch = new List<float[]>();
        for (var b = 0; b < 3; b++)
        {
            Assert.Equal(0, sampler.Epoch);
            using var batch = sampler.NextTensor(CPU);
            Assert.Equal(ScalarType.Float32, batch.dtype);
            Assert.Equal([4L, 2], batch.shape);
            epoch.AddRange(Values(batch.alias()).Chunk(2));
        }
        Assert.Equal(1, sampler.Epoch);
        Assert.Equal(rows.Select(r => r[0]).ToHashSet(), epoch.Select(r => r[0]).ToHashSet());
        Assert.All(epoch, r => Assert.Equal(-r[0], r[1]));
    }

    /// <summary>Batches drawn inside a dispose scope (as the trainer's steps are) do not take the sampler's own tensors with them.</summary>
    [Fact]
    public void Samplers_keep_working_after_the_scope_of_a_step_ends()
    {
        IBatchSampler[] samplers =
        [
            GaussianMixture2D.Grid().CreateSampler(8, seed: 1),
            new NpyDataset("rows", new NpyArray(new float[40], [20, 2])).CreateSampler(8, seed: 1),
            UserData.FromBatches([torch.ones(3, 2)], [2]).CreateSampler(8, seed: 1),
        ];
        foreach (var sampler in samplers)
            for (var step = 0; step < 4; step++)
            {
                using var scope = torch.NewDisposeScope();
                Assert.Equal([8L, 2], sampler.NextTensor().shape);
            }
    }
}
