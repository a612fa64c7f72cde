using GanDsl.Data;
using GanDsl.Models;
using GanDsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Losses.Tests;

/// <summary>
/// README's "your own networks" example, as written there: a critic the user wrote as a TorchSharp module
/// trains with a zoo loss through the public API, checkpoints and resumes.
/// </summary>
public sealed class UserNetworkTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gandsl-user-nets-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A critic written by the user: any nn.Module&lt;Tensor, Tensor&gt;.</summary>
    private sealed class MyCritic : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> layers = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1));

        public MyCritic() : base(nameof(MyCritic)) => RegisterComponents();

        public override Tensor forward(Tensor x) => layers.call(x);
    }

    private static IModelFamily MyNetworks() => ModelFamily.Custom("my-nets", noiseShape: [2], defaultBatchSize: 64, build: (network, sampleShape) =>
        network.Role == NetworkRole.Critic
            ? new MyCritic()
            : nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, sampleShape[0])));

    [Fact]
    public void A_user_written_critic_trains_with_a_zoo_loss_and_resumes()
    {
        var options = new TrainOptions { Data = "ring", Steps = 6, Seed = 3, OutputDirectory = _dir, SampleEvery = 0, FinalSampleCount = 100, LogEvery = 1 };
        List<double> criticLosses = new();
        using (var trainer = Trainer.Create(new WganGp(), MyNetworks(), options with { Steps = 3 }))
        {
            Assert.IsType<MyCritic>(trainer.Networks["D"]);
            var before = trainer.Networks["D"].parameters().Select(p => p.detach().clone()).ToList();
            trainer.StepCompleted += e => { if (e.Phase == StepPhase.Critic) criticLosses.Add(e.Result.Loss); };
            Assert.Equal(TrainOutcome.Completed, trainer.Run().Outcome);
            var after = trainer.Networks["D"].parameters().ToList();
            Assert.Contains(before.Zip(after), pair => !pair.First.allclose(pair.Second, rtol: 0, atol: 0));   // the user's critic was trained
        }
        Assert.Equal(3 * 5, criticLosses.Count);   // WGAN-GP: 5 critic steps per generator step
        Assert.All(criticLosses, v => Assert.True(double.IsFinite(v)));

        using var resumed = Trainer.Create(new WganGp(), MyNetworks(), options with { Resume = true });
        Assert.Equal(3, resumed.Step);
        Assert.Equal(TrainOutcome.Completed, resumed.Run().Outcome);
        Assert.True(File.Exists(Path.Combine(_dir, "samples.npy")));
    }

    [Fact]
    public void A_network_built_for_other_data_is_named_at_setup_with_the_shapes()
    {
        var family = ModelFamily.Custom("bad", noiseShape: [2], build: (network, _) =>
            network.Role == NetworkRole.Critic ? nn.Sequential(nn.Linear(3, 1)) : nn.Sequential(nn.Linear(2, 2)));
        var e = Assert.Throws<TrainingSetupException>(() => Trainer.Create(new WganGp(), family, new TrainOptions { Data = "ring", Steps = 1, OutputDirectory = _dir, SampleEvery = 0, FinalSampleCount = 0 }));
        Assert.StartsWith("D (Sequential) was built for 3 features but the data 'ring' has 2: ", e.Message);
        Assert.Contains("mat1 and mat2", e.Message);   // libtorch's own words for a Linear size mismatch, after ours
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void A_data_source_that_throws_is_a_UserCodeException_naming_the_data()
    {
        var yielded = 0;
        IEnumerable<Tensor> Batches(int failAt)
        {
            while (true)
            {
                if (++yielded >= failAt) throw new InvalidOperationException("my reader lost its file");
                yield return torch.randn(1000, 2);
            }
        }
        var options = new TrainOptions { Steps = 20, BatchSize = 16, OutputDirectory = _dir, SampleEvery = 0, FinalSampleCount = 0 };

        // At once: when the trainer draws the real samples for the pictures.
        using (var trainer = Trainer.Create(new WganGp(), MyNetworks(), options, UserData.FromBatches(Batches(1), [2])))
        {
            var e = Assert.Throws<UserCodeException>(() => trainer.Run());
            Assert.Contains("drawing the real samples of the data 'batches' for the pictures: my reader lost its file", e.Message);
        }

        // Later, inside a step: the pictures take two batches, the steps the third and fail at the fourth.
        yielded = 0;
        using (var trainer = Trainer.Create(new WganGp(), MyNetworks(), options, UserData.FromBatches(Batches(4), [2])))
        {
            var e = Assert.Throws<UserCodeException>(() => trainer.Run());
            Assert.Matches("threw InvalidOperationException at generator step [0-9]+, critic step [0-9] of 5, drawing a batch of the data 'batches': my reader lost its file", e.Message);
            Assert.IsType<InvalidOperationException>(e.InnerException);
        }
    }
}
