using GanDsl.Data;
using GanDsl.Models;
using GanDsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Losses.Tests;

/// <summary>Your own data through the public API: a tensor of samples, or an enumerable of batches.</summary>
public sealed class UserDataTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gandsl-user-data-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private TrainOptions Options(long steps, string sub) => new()
    {
        Steps = steps, Seed = 5, BatchSize = 32, OutputDirectory = Path.Combine(_dir, sub), SampleEvery = 0, FinalSampleCount = 50, LogEvery = 1,
    };

    [Fact]
    public void A_tensor_of_samples_trains_and_resumes_exactly()
    {
        using var samples = torch.randn([200, 2], generator: new Generator(1)) * 0.5 + 1.0;
        var data = UserData.FromTensor(samples, "my-points");
        Assert.Equal([2L], data.SampleShape);
        Assert.Equal(200, data.Count);

        // 4 steps in one go, and 2 + 2 with a resume, give the same generator.
        float[] Weights(Trainer t) => t.SampleNetwork.parameters().SelectMany(p => p.detach().data<float>().ToArray()).ToArray();
        float[] straight;
        using (var t = Trainer.Create(new NonSaturating(), ModelFactory.Get("mlp"), Options(4, "straight"), data))
        {
            Assert.Equal(TrainOutcome.Completed, t.Run().Outcome);
            straight = Weights(t);
        }
        using (var t = Trainer.Create(new NonSaturating(), ModelFactory.Get("mlp"), Options(2, "resumed"), data)) t.Run();
        using (var t = Trainer.Create(new NonSaturating(), ModelFactory.Get("mlp"), Options(4, "resumed") with { Resume = true }, data))
        {
            Assert.Equal(TrainOutcome.Completed, t.Run().Outcome);
            Assert.Equal(straight, Weights(t));
        }
    }

    [Fact]
    public void A_tensor_with_nan_is_refused()
    {
        using var samples = torch.tensor(new float[] { 1, float.NaN, 0, 0 }, [2, 2]);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => UserData.FromTensor(samples)).Message);
    }

    /// <summary>Three batches per pass: the trainer sees the end of each pass after its third batch.</summary>
    [Fact]
    public void Batches_you_produce_are_cycled_by_epochs_and_resume_by_skipping()
    {
        IEnumerable<Tensor> Batches()
        {
            for (var i = 0; i < 3; i++) yield return torch.full([4, 2], (float)i);
        }
        var data = UserData.FromBatches(Batches(), [2], "three-batches");
        var sampler = data.CreateSampler(4, seed: 0);
        var firsts = new List<float>();
        var epochEnds = new List<long>();
        for (var i = 0; i < 7; i++)
        {
            var buffer = new float[8];
            var epoch = sampler.NextInto(buffer);
            firsts.Add(buffer[0]);
            if (sampler.Epoch > epoch) epochEnds.Add(sampler.BatchesDrawn);
        }
        Assert.Equal([0f, 1, 2, 0, 1, 2, 0], firsts);
        Assert.Equal([3L, 6], epochEnds);

        var state = sampler.GetState();
        var resumed = data.CreateSampler(4, seed: 0);
        resumed.SetState(state);
        Assert.Equal(7, resumed.BatchesDrawn);
        Assert.Equal(2, resumed.Epoch);
        Assert.Equal(1f, resumed.Next().Data[0]);
    }

    [Fact]
    public void A_batch_of_the_wrong_shape_names_both_shapes()
    {
        var data = UserData.FromBatches([torch.zeros(4, 3)], [2]);
        var sampler = data.CreateSampler(4, seed: 0);
        var e = Assert.Throws<InvalidOperationException>(() => sampler.Next());
        Assert.Contains("[4, 3]", e.Message);
        Assert.Contains("[4, 2]", e.Message);
    }
}
