using GanDsl.Data;
using GanDsl.Models;
using GanDsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Losses.Tests;

/// <summary>
/// The augmenting losses (DiffAugment, bCR, zCR) train on points and images, and their random draws come from the
/// run's seeded streams that checkpoints save: 2 + 2 steps with a resume give exactly the 4-step run's generator.
/// </summary>
public sealed class AugmentationTrainingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gandsl-augment-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Tiny networks on 1x8x8 images.</summary>
    private static IModelFamily TinyImages() => ModelFamily.Custom("tiny-images", noiseShape: [4], build: (network, sampleShape) =>
        network.Role == NetworkRole.Critic
            ? nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
            : nn.Sequential(nn.Linear(4, 64), nn.Tanh(), nn.Unflatten(1, [1, 8, 8])));

    [Theory]
    [InlineData("diffaug-hinge", false)]
    [InlineData("bcr", false)]
    [InlineData("zcr", false)]
    [InlineData("diffaug-hinge", true)]
    [InlineData("bcr", true)]
    public void Resumes_exactly(string lossName, bool images)
    {
        using var samples = images
            ? torch.rand([64, 1, 8, 8], generator: new Generator(2)) * 2 - 1
            : torch.randn([64, 2], generator: new Generator(2)) * 0.5;
        var data = UserData.FromTensor(samples, images ? "tiny-images" : "points");
        var family = images ? TinyImages() : ModelFactory.Get("mlp");
        TrainOptions Options(long steps, string sub) => new()
        {
            Steps = steps, Seed = 5, BatchSize = 16, OutputDirectory = Path.Combine(_dir, lossName + images + sub), SampleEvery = 0, FinalSampleCount = 16, LogEvery = 1,
        };
        float[] Weights(Trainer t) => t.SampleNetwork.parameters().SelectMany(p => p.detach().data<float>().ToArray()).ToArray();
        var registry = Zoo.CreateRegistry();

        float[] straight;
        using (var t = Trainer.Create(registry.Create(lossName), family, Options(4, "straight"), data))
        {
            Assert.Equal(TrainOutcome.Completed, t.Run().Outcome);
            straight = Weights(t);
        }
        float[] otherSeed;
        using (var t = Trainer.Create(registry.Create(lossName), family, Options(4, "other-seed") with { Seed = 6 }, data))
        {
            t.Run();
            otherSeed = Weights(t);
        }
        using (var t = Trainer.Create(registry.Create(lossName), family, Options(2, "resumed"), data)) t.Run();
        using (var t = Trainer.Create(registry.Create(lossName), family, Options(4, "resumed") with { Resume = true }, data))
        {
            Assert.Equal(TrainOutcome.Completed, t.Run().Outcome);
            Assert.Equal(straight, Weights(t));
        }
        Assert.NotEqual(straight, otherSeed);
    }
}
