using GanDsl.Training;

namespace GanDsl.Losses.Tests;

/// <summary>
/// The schedules the zoo declares, as the runtime's trainer carries them out on the ring: critic steps per
/// generator step, weight clipping after every critic step (symmetric for WGAN, asymmetric for RWGAN),
/// and the loss's state moving during training.
/// </summary>
public sealed class TrainerScheduleTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), $"gandsl-zoo-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    private Trainer Create(string loss, long steps) => Trainer.Create(new TrainOptions
    {
        Loss = loss,
        Data = "ring",
        Steps = steps,
        BatchSize = 64,
        Seed = 3,
        Threads = 1,
        OutputDirectory = Path.Combine(_out, loss),
        SampleEvery = 0,
        CheckpointEvery = 0,
        FinalSampleCount = 0,
    }, Zoo.CreateRegistry());

    /// <summary>Every (min, max) over the parameters of <paramref name="network"/>.</summary>
    private static (double Min, double Max) Range(Trainer trainer, string network)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var p in trainer.Networks[network].parameters())
            foreach (var v in p.detach().data<float>().ToArray())
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        return (min, max);
    }

    [Theory]
    [InlineData("wgan", -0.01, 0.01)]
    [InlineData("rwgan", -0.01, 0.02)]
    public void ClippingAfterEveryCriticStepAndFiveCriticStepsPerGeneratorStep(string loss, double min, double max)
    {
        using var trainer = Create(loss, steps: 3);
        var phases = new List<(long Step, StepPhase Phase, int CriticIndex)>();
        var ranges = new List<(double Min, double Max)>();
        trainer.StepCompleted += e =>
        {
            phases.Add((e.Step, e.Phase, e.CriticIndex));
            if (e.Phase == StepPhase.Critic) ranges.Add(Range(trainer, "D"));
        };
        // The MLP critic's default initialisation is far outside the clip range: the first step must clamp it.
        var before = Range(trainer, "D");
        Assert.True(before.Min < min && before.Max > max);

        var result = trainer.Run();
        Assert.Equal(TrainOutcome.Completed, result.Outcome);

        // 5 critic steps (indices 0..4), then one generator step, three times.
        var expected = Enumerable.Range(0, 3).SelectMany(s =>
            Enumerable.Range(0, 5).Select(k => ((long)s, StepPhase.Critic, k)).Append(((long)s, StepPhase.Generator, 0))).ToList();
        Assert.Equal(expected, phases);

        // After every critic step the whole critic is inside the range, and both bounds are reached
        // (so an asymmetric range is really asymmetric, not the symmetric one of the larger bound).
        Assert.Equal(15, ranges.Count);
        foreach (var (lo, hi) in ranges)
        {
            Assert.InRange(lo, min - 1e-9, max + 1e-9);
            Assert.InRange(hi, min - 1e-9, max + 1e-9);
            Assert.Equal(min, lo, 1e-7);
            Assert.Equal(max, hi, 1e-7);
        }
    }

    [Fact]
    public void WganGpTrainsFiveCriticStepsWithoutClipping()
    {
        using var trainer = Create("wgan-gp", steps: 2);
        int critic = 0, generator = 0;
        trainer.StepCompleted += e => { if (e.Phase == StepPhase.Critic) critic++; else generator++; };
        Assert.Equal(TrainOutcome.Completed, trainer.Run().Outcome);
        Assert.Equal((10, 2), (critic, generator));
        var (lo, hi) = Range(trainer, "D");
        Assert.True(hi - lo > 0.1, "WGAN-GP declares no clipping, so its critic keeps weights outside [-0.01, 0.01].");
    }

    [Fact]
    public void BeganStateMovesDuringTraining()
    {
        using var trainer = Create("began", steps: 20);
        var ks = new List<double>();
        trainer.StepCompleted += e => { if (e.Phase == StepPhase.Critic) ks.Add(trainer.Loss.State["k"]); };
        Assert.Equal(TrainOutcome.Completed, trainer.Run().Outcome);
        Assert.Equal(20, ks.Count);
        Assert.All(ks, k => Assert.InRange(k, 0, 1));
        Assert.True(ks.Distinct().Count() > 1, "k should change as the autoencoder trains");
    }
}
