using GanDsl.Data;
using GanDsl.Evaluation;
using GanDsl.Formats;
using GanDsl.Runtime.Tests.Imaging;
using GanDsl.Training;
using TorchSharp;
using static GanDsl.Runtime.Tests.Training.RunFolders;
using static TorchSharp.torch;

namespace GanDsl.Runtime.Tests.Training;

/// <summary>
/// The trainer through its API (<c>Trainer.Create</c>, <c>Run</c>): it learns, resumes exactly, honours the loss's schedule,
/// stops on non-finite values naming them, builds every network kind and frees its intermediates.
/// What `gan train` prints and exits with: GanDsl.Cli.Tests (TrainingTests.cs).
/// </summary>
[Collection(SerialTorchCollection.Name)]
public class TrainerTests(Xunit.Abstractions.ITestOutputHelper output) : TempFolderTests
{
    private static readonly LossRegistry Registry = new(typeof(TestNonSaturating).Assembly);

    private static TrainOptions Options(string loss, string dir, long steps, int batch = 64) => new()
    {
        Loss = loss, Data = "ring", OutputDirectory = dir, Steps = steps, BatchSize = batch, Threads = 1,
        SampleEvery = 0, FinalSampleCount = 100, Seed = 7,
    };

    private static TrainResult Run(TrainOptions options)
    {
        using var trainer = Trainer.Create(options, Registry);
        return trainer.Run(progress: ProgressReporter.Silent);
    }

    private static void Train(TrainOptions options) => Assert.Equal(TrainOutcome.Completed, Run(options).Outcome);

    /// <summary>Mean distance to the nearest mode, and the sliced Wasserstein distance to 10,000 fresh ring samples.</summary>
    private static (double MeanDistance, double SlicedWasserstein) RingMetrics(string samplesNpy)
    {
        var samples = NpyFile.Read(samplesNpy);
        Assert.Equal([10_000L, 2L], samples.Shape);
        var ring = GaussianMixture2D.Ring();
        var real = ring.CreateSampler(10_000, 99).Next().Data;
        return (Metrics2D.Modes(samples.Data, ring).MeanDistanceToNearestMode, Metrics2D.SlicedWasserstein(samples.Data, real));
    }

    /// <summary>A few hundred steps on the ring move the generator's samples onto the mixture.</summary>
    [Fact]
    public void Training_on_the_ring_moves_samples_toward_the_data()
    {
        var initial = TempDir("ring0");
        Train(Options("test-nonsaturating", initial, 0) with { Seed = 3, FinalSampleCount = 10_000 });
        var trained = TempDir("ring300");
        Train(Options("test-nonsaturating", trained, 300, batch: 128) with { Seed = 3, FinalSampleCount = 10_000, LearningRateG = 1e-3, LearningRateD = 1e-3 });

        var before = RingMetrics(Path.Combine(initial, "samples.npy"));
        var after = RingMetrics(Path.Combine(trained, "samples.npy"));
        var report = $"mean distance to nearest mode {before.MeanDistance:F3} -> {after.MeanDistance:F3}, " +
            $"sliced W1 {before.SlicedWasserstein:F3} -> {after.SlicedWasserstein:F3}";
        output.WriteLine(report);
        // The untrained generator puts its samples near the origin, ~2 away from every mode of the radius-2 ring.
        Assert.True(before.MeanDistance > 1.0, report);
        Assert.True(after.MeanDistance < 0.5 * before.MeanDistance, report);
        Assert.True(after.SlicedWasserstein < 0.5 * before.SlicedWasserstein, report);
    }

    /// <summary>Stopping after 6 steps and resuming to 12 gives the same losses, state and samples as 12 steps at once.</summary>
    [Fact]
    public void Resumed_run_equals_uninterrupted_run_bit_for_bit()
    {
        TrainOptions Common(string dir, long steps) => Options("test-stateful", dir, steps, batch: 32) with
        {
            LogEvery = 1,
            Seed = 11,
            Ema = 0.9,
            FinalSampleCount = 500,
            Hyperparameters = new Dictionary<string, double> { ["Lambda"] = 0.5 },
        };
        var straight = TempDir("straight");
        Train(Common(straight, 12));
        var split = TempDir("split");
        Train(Common(split, 6));
        Train(Common(split, 12) with { Resume = true });

        var (h1, rows1) = AssertSameMetrics(straight, split, rows: 12);
        Assert.Contains("d.gp", h1);
        Assert.Contains("state.k", h1);
        // The state moved (so restoring it mattered), and the final EMA samples are identical.
        Assert.NotEqual(rows1[0][Array.IndexOf(h1, "state.k")], rows1[11][Array.IndexOf(h1, "state.k")]);
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "samples.npy")), File.ReadAllBytes(Path.Combine(split, "samples.npy")));

        var a = CheckpointFile.Load(Path.Combine(straight, CheckpointFile.FileName));
        var b = CheckpointFile.Load(Path.Combine(split, CheckpointFile.FileName));
        Assert.Equal(12, b.Metadata.Step);
        var recordsB = b.Records.ToDictionary(r => r.Name);
        foreach (var r in a.Records.Where(r => r.Name != CheckpointFile.MetadataEntry))
            Assert.True(r.Data.AsSpan().SequenceEqual(recordsB[r.Name].Data), $"checkpoint entry {r.Name} differs");
        Assert.Equal(a.Metadata.State, b.Metadata.State);
        Assert.Equal(0.5, b.Metadata.Hyperparameters["Lambda"]);
    }

    /// <summary>
    /// mlp-sn: a spectrally normalised critic trains, its checkpoint holds the power iteration's u and v, and a resumed
    /// run equals the uninterrupted one (the u and v it continues from are the saved ones).
    /// </summary>
    [Fact]
    public void Spectrally_normalised_critic_trains_and_resumes_bit_for_bit()
    {
        TrainOptions Common(string dir, long steps) => Options("test-nonsaturating", dir, steps, batch: 32) with { Model = "mlp-sn", Seed = 3 };
        var straight = TempDir("sn-straight");
        Train(Common(straight, 6));
        var split = TempDir("sn-split");
        Train(Common(split, 3));
        Train(Common(split, 6) with { Resume = true });

        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "samples.npy")), File.ReadAllBytes(Path.Combine(split, "samples.npy")));
        var a = CheckpointFile.Load(Path.Combine(straight, CheckpointFile.FileName));
        var b = CheckpointFile.Load(Path.Combine(split, CheckpointFile.FileName));
        Assert.Equal("mlp-sn", b.Metadata.Model);
        Assert.Contains(a.Records, r => r.Name.Contains("weight_u", StringComparison.Ordinal));
        var recordsB = b.Records.ToDictionary(r => r.Name);
        foreach (var r in a.Records.Where(r => r.Name != CheckpointFile.MetadataEntry))
            Assert.True(r.Data.AsSpan().SequenceEqual(recordsB[r.Name].Data), $"checkpoint entry {r.Name} differs");
    }

    /// <summary>Ctrl-C finishes the step, writes a checkpoint and reports Interrupted; --resume finishes the run.</summary>
    [Fact]
    public void Interrupt_writes_a_checkpoint_and_resume_completes()
    {
        var dir = TempDir("interrupt");
        using var cancel = new CancellationTokenSource();
        TrainResult result;
        using (var trainer = Trainer.Create(Options("test-nonsaturating", dir, 20), Registry))
        {
            trainer.StepCompleted += e => { if (e.Phase == StepPhase.Generator && e.Step == 4) cancel.Cancel(); };
            result = trainer.Run(cancel.Token);
        }
        Assert.Equal(TrainOutcome.Interrupted, result.Outcome);
        Assert.Equal(5, result.Step);
        Assert.Equal(5, CheckpointFile.Load(Path.Combine(dir, CheckpointFile.FileName)).Metadata.Step);
        Assert.False(File.Exists(Path.Combine(dir, "samples.npy")), "an interrupted run writes no final samples");

        using (var trainer = Trainer.Create(Options("test-nonsaturating", dir, 20) with { Resume = true }, Registry))
        {
            Assert.Equal(5, trainer.Step);
            Assert.Equal(TrainOutcome.Completed, trainer.Run().Outcome);
        }
        Assert.Equal(20, CheckpointFile.Load(Path.Combine(dir, CheckpointFile.FileName)).Metadata.Step);
    }

    /// <summary>WGAN's clipping holds after every critic step, symmetric and asymmetric.</summary>
    [Theory]
    [InlineData("test-wgan", -0.01, 0.01)]
    [InlineData("test-asymmetric-clip", -0.02, 0.005)]
    public void Weight_clipping_keeps_every_critic_weight_in_range(string loss, double min, double max)
    {
        var dir = TempDir("clip");
        using var trainer = Trainer.Create(Options(loss, dir, 3), Registry);
        var d = trainer.Networks["D"];
        // PyTorch's init puts weights far outside the range, so being inside it afterwards is the clipping's doing.
        Assert.True(d.parameters().Max(p => p.abs().max().ToDouble()) > 10 * max);
        var criticSteps = 0;
        trainer.StepCompleted += e =>
        {
            if (e.Phase != StepPhase.Critic) return;
            criticSteps++;
            foreach (var (name, p) in d.named_parameters())
            {
                var values = p.data<float>().ToArray();
                Assert.True(values.Min() >= min && values.Max() <= max, $"D.{name} in [{values.Min()}, {values.Max()}] after critic step {criticSteps}");
            }
        };
        Assert.Equal(TrainOutcome.Completed, trainer.Run().Outcome);
        Assert.Equal(3 * trainer.Loss.Info.CriticSteps, criticSteps);
        // Clipping binds: some weights sit exactly at each end of the range.
        var all = d.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        Assert.Contains((float)min, all);
        Assert.Contains((float)max, all);
    }

    /// <summary>CriticSteps critic steps per generator step; critic optimizers move only D, generator ones only G.</summary>
    [Fact]
    public void Critic_steps_per_generator_step_are_honoured()
    {
        var dir = TempDir("spy");
        using var trainer = Trainer.Create(Options("test-spy", dir, 4), Registry);
        var spy = (SpyLoss)trainer.Loss;
        var g = trainer.Networks["G"];
        var d = trainer.Networks["D"];
        float[] Snapshot(nn.Module m) => m.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        var (gBefore, dBefore) = (Snapshot(g), Snapshot(d));
        var events = new List<string>();
        trainer.StepCompleted += e =>
        {
            var (gNow, dNow) = (Snapshot(g), Snapshot(d));
            if (e.Phase == StepPhase.Critic)
            {
                Assert.Equal(gBefore, gNow);      // G untouched by a critic step
                Assert.NotEqual(dBefore, dNow);   // D updated
            }
            else
            {
                Assert.Equal(dBefore, dNow);
                Assert.NotEqual(gBefore, gNow);
            }
            (gBefore, dBefore) = (gNow, dNow);
            events.Add($"{e.Step}{(e.Phase == StepPhase.Critic ? $"D{e.CriticIndex}" : "G")}");
        };
        Assert.Equal(TrainOutcome.Completed, trainer.Run().Outcome);
        Assert.Equal(string.Concat(Enumerable.Repeat("DDDG", 4)), string.Concat(spy.Calls));
        Assert.Equal(["0D0", "0D1", "0D2", "0G", "1D0", "1D1", "1D2", "1G"], events.Take(8));
    }

    /// <summary>EndOfEpoch runs after each pass over finite data (100 samples, batch 25: every 4 draws).</summary>
    [Fact]
    public void End_of_epoch_is_called_after_each_pass_over_finite_data()
    {
        var dir = TempDir("epoch");
        var npy = Path.Combine(dir, "points.npy");
        var rng = new Random(5);
        NpyFile.Write(npy, Enumerable.Range(0, 200).Select(_ => (float)rng.NextDouble()).ToArray(), [100, 2]);
        using var trainer = Trainer.Create(Options("test-spy", Path.Combine(dir, "run"), 3, batch: 25) with { Data = npy }, Registry);
        Assert.Equal(TrainOutcome.Completed, trainer.Run().Outcome);
        // Spy: 3 critic + 1 generator step = 4 batches = one epoch per generator step.
        Assert.Equal(string.Concat(Enumerable.Repeat("DDDGepoch", 3)), string.Concat(((SpyLoss)trainer.Loss).Calls));
    }

    /// <summary>A loss without a critic (GMMN) runs generator steps only and gets no critic network.</summary>
    [Fact]
    public void Loss_without_critic_runs_generator_steps_only()
    {
        var dir = TempDir("nocritic");
        using var trainer = Trainer.Create(Options("test-no-critic", dir, 5), Registry);
        Assert.Equal(["G"], trainer.Networks.Keys);
        Assert.Equal(TrainOutcome.Completed, trainer.Run().Outcome);
        var loss = (TestNoCritic)trainer.Loss;
        Assert.Equal(0, loss.CriticCalls);
        Assert.Equal(5, loss.GeneratorCalls);
        var (header, _) = ReadCsv(Path.Combine(dir, "metrics.csv"));
        Assert.Equal(["step", "g_loss", "seconds"], header);
    }

    /// <summary>Every step runs in a dispose scope: the number of live tensors does not grow from step to step.</summary>
    [Fact]
    public void Steps_free_their_intermediates()
    {
        var dir = TempDir("leak");
        using var trainer = Trainer.Create(Options("test-stateful", dir, 12) with { Ema = 0.9, LogEvery = 1 }, Registry);
        var live = new List<long>();
        trainer.StepCompleted += e => { if (e.Phase == StepPhase.Generator) live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount); };
        // The count is process-wide: undisposed tensors of earlier tests (and of Trainer.Create) that the
        // finalizer freed mid-run would lower it between steps by chance. Finalize that garbage first, so
        // only what the steps themselves create and keep moves the count.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Equal(TrainOutcome.Completed, trainer.Run().Outcome);
        // After warm-up (optimizer state is created lazily at the first updates) the count is flat.
        Assert.Equal(12, live.Count);
        Assert.All(live.Skip(3), n => Assert.Equal(live[2], n));
    }

    /// <summary>A non-finite loss the build warned about (GAN0023) is explained by the warning, not blamed on the learning rate (issue 17).</summary>
    [Fact]
    public void Non_finite_loss_the_build_warned_about_names_the_warned_expression_and_its_fix()
    {
        var result = Run(Options("test-nan-warned", TempDir("nan-warned"), 10, batch: 32) with { Seed = 0, CheckpointEvery = 0 });
        Assert.Equal(TrainOutcome.Diverged, result.Outcome);
        Assert.Contains("Stopped at generator step 2: the generator loss is NaN", result.Message);
        Assert.Contains("The build warned about this loss: GAN0023: 'Log(D(G(z)))' can be non-finite: if the critic outputs a logit, " +
            "write 'LogSigmoid(D(G(z)))'.", result.Message);
        Assert.DoesNotContain("GAN0026", result.Message);   // a warning about the other loss
        Assert.DoesNotContain("learning rate", result.Message);
    }

    [Fact]
    public void Huge_but_finite_gradients_train_on_and_a_NaN_gradient_stops_the_run_naming_the_parameter()
    {
        // Steps 1-3: every gradient element of D's first weight is 1e37, whose float32 sum overflows: not a reason to stop.
        var result = Run(Options("test-huge-gradient", TempDir("huge"), 10, batch: 32) with { Seed = 0, CheckpointEvery = 0 });
        Assert.Equal(TrainOutcome.Diverged, result.Outcome);
        Assert.Contains("Stopped at generator step 4, critic step 1 of 1: the gradient of D.", result.Message);
        Assert.Contains("is not finite", result.Message);
    }

    /// <summary>dcgan28 on 28×28 images, with autoencoder, feature and score critics built by the factory.</summary>
    [Fact]
    public void Dcgan28_with_every_network_kind_trains_and_writes_an_image_grid()
    {
        var dir = TempDir("dcgan");
        var npy = Path.Combine(dir, "images.npy");
        var rng = new Random(1);
        NpyFile.Write(npy, Enumerable.Range(0, 16 * 784).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), [16, 1, 28, 28]);
        var run = Path.Combine(dir, "run");
        Train(Options("test-autoencoder", run, 2, batch: 8) with { Data = npy, Model = "dcgan28", FinalSampleCount = 20, SampleEvery = 1, Seed = 0 });
        Assert.Equal([20L, 1L, 28L, 28L], NpyFile.Read(Path.Combine(run, "samples.npy")).Shape);
        var png = DecodedPng.Decode(File.ReadAllBytes(Path.Combine(run, "samples.png")));
        Assert.Equal(5 * 4 * 28 + 6 * 2, png.Width); // 20 tiles upscaled 4×: 5 columns, 2-pixel borders
        Assert.Equal(GanDsl.Imaging.ImageGrid.TitleHeight + 4 * 4 * 28 + 5 * 2, png.Height);
        var ckpt = CheckpointFile.Load(Path.Combine(run, CheckpointFile.FileName));
        Assert.Equal(["G", "D", "F", "A"], ckpt.Metadata.Networks.Select(n => n.Name));
        Assert.True(ckpt.Has("net.D.11.weight"), "the reconstruction critic's decoder is saved");
    }
}
