using GanDsl.Cli;
using GanDsl.Data;
using TorchSharp;
using static TorchSharp.torch;
using GanDsl.Training;
using static GanDsl.Tests.Cli.CliRunner;

namespace GanDsl.Tests.Cli;

/// <summary>The trainer end to end: it learns, resumes exactly, honours the loss's schedule and writes its files.</summary>
public class TrainingTests(Xunit.Abstractions.ITestOutputHelper output) : TempFolderTests
{
    private static readonly LossRegistry Registry = new(typeof(TestNonSaturating).Assembly);

    private static TrainOptions Options(string loss, string dir, long steps, int batch = 64) => new()
    {
        Loss = loss, Data = "ring", OutputDirectory = dir, Steps = steps, BatchSize = batch, Threads = 1,
        SampleEvery = 0, FinalSampleCount = 100, Seed = 7,
    };

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
        var o0 = Train(initial, "--loss", "test-nonsaturating", "--data", "ring", "--steps", "0", "--seed", "3");
        Assert.True(o0.ExitCode == 0, o0.Stderr);
        var trained = TempDir("ring300");
        var o1 = Train(trained, "--loss", "test-nonsaturating", "--data", "ring", "--steps", "300", "--seed", "3", "--lr-g", "1e-3", "--lr-d", "1e-3", "--batch", "128");
        Assert.True(o1.ExitCode == 0, o1.Stderr);

        var before = RingMetrics(Path.Combine(initial, "samples.npy"));
        var after = RingMetrics(Path.Combine(trained, "samples.npy"));
        var report = $"mean distance to nearest mode {before.MeanDistance:F3} -> {after.MeanDistance:F3}, sliced W1 {before.SlicedWasserstein:F3} -> {after.SlicedWasserstein:F3}";
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
        string[] common = ["--loss", "test-stateful", "--data", "ring", "--batch", "32", "--log-every", "1", "--seed", "11",
            "--ema", "0.9", "--samples", "500", "--sample-every", "0", "--set", "Lambda=0.5"];
        var straight = TempDir("straight");
        var o = Train(straight, [.. common, "--steps", "12"]);
        Assert.True(o.ExitCode == 0, o.Stderr);

        var split = TempDir("split");
        o = Train(split, [.. common, "--steps", "6"]);
        Assert.True(o.ExitCode == 0, o.Stderr);
        o = Train(split, [.. common, "--steps", "12", "--resume"]);
        Assert.True(o.ExitCode == 0, o.Stderr);

        var (h1, rows1) = ReadCsv(Path.Combine(straight, "metrics.csv"));
        var (h2, rows2) = ReadCsv(Path.Combine(split, "metrics.csv"));
        Assert.Equal(h1, h2);
        Assert.Contains("d.gp", h1);
        Assert.Contains("state.k", h1);
        Assert.Equal(12, rows1.Length);
        Assert.Equal(12, rows2.Length);
        var seconds = Array.IndexOf(h1, "seconds");
        for (var r = 0; r < 12; r++)
            for (var c = 0; c < h1.Length; c++)
                if (c != seconds) Assert.True(rows1[r][c] == rows2[r][c], $"step {rows1[r][0]}, column {h1[c]}: {rows1[r][c]} vs {rows2[r][c]}");
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

    /// <summary>The CLI turns an interruption into exit code 130.</summary>
    [Fact]
    public void Cli_exit_code_on_interrupt_is_130()
    {
        var dir = TempDir("interrupt-cli");
        using var cancel = new CancellationTokenSource();
        cancel.Cancel(); // Ctrl-C before the first step: the run checkpoints step 0 and stops
        var o = Run(["train", "--assembly", TestAssembly, "--threads", "2", "--out", dir, "--loss", "test-nonsaturating", "--data", "ring", "--steps", "10"], cancel.Token);
        Assert.Equal(ExitCodes.Interrupted, o.ExitCode);
        Assert.Contains("--resume", o.Stderr);
        Assert.Equal(0, CheckpointFile.Load(Path.Combine(dir, CheckpointFile.FileName)).Metadata.Step);
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

    /// <summary>A NaN term stops the run naming the step and the term; the last good checkpoint is kept.</summary>
    [Fact]
    public void Non_finite_value_stops_the_run_and_keeps_the_last_checkpoint()
    {
        var dir = TempDir("nan");
        var o = Train(dir, "--loss", "test-nan", "--data", "ring", "--steps", "10", "--batch", "32", "--checkpoint-every", "1", "--sample-every", "0");
        Assert.Equal(ExitCodes.Failure, o.ExitCode);
        Assert.Contains("Stopped at generator step 3: term 'ratio' of the generator loss is NaN", o.Stderr);
        Assert.Contains("Try a smaller learning rate.", o.Stderr);
        Assert.Equal(2, CheckpointFile.Load(Path.Combine(dir, CheckpointFile.FileName)).Metadata.Step);
        Assert.False(File.Exists(Path.Combine(dir, "samples.npy")));
    }

    /// <summary>A non-finite loss the build warned about (GAN0023) is explained by the warning, not blamed on the learning rate (issue 17).</summary>
    [Fact]
    public void Non_finite_loss_the_build_warned_about_names_the_warned_expression_and_its_fix()
    {
        var dir = TempDir("nan-warned");
        var o = Train(dir, "--loss", "test-nan-warned", "--data", "ring", "--steps", "10", "--batch", "32", "--checkpoint-every", "0", "--sample-every", "0");
        Assert.Equal(ExitCodes.Failure, o.ExitCode);
        Assert.Contains("Stopped at generator step 2: the generator loss is NaN", o.Stderr);
        Assert.Contains("The build warned about this loss: GAN0023: 'Log(D(G(z)))' can be non-finite: if the critic outputs a logit, write 'LogSigmoid(D(G(z)))'.", o.Stderr);
        Assert.DoesNotContain("GAN0026", o.Stderr);   // a warning about the other loss
        Assert.DoesNotContain("learning rate", o.Stderr);
    }

    [Fact]
    public void Huge_but_finite_gradients_train_on_and_a_NaN_gradient_stops_the_run_naming_the_parameter()
    {
        // Steps 1-3: every gradient element of D's first weight is 1e37, whose float32 sum overflows: not a reason to stop.
        var dir = TempDir("huge");
        var o = Train(dir, "--loss", "test-huge-gradient", "--data", "ring", "--steps", "10", "--batch", "32", "--checkpoint-every", "0", "--sample-every", "0");
        Assert.Equal(ExitCodes.Failure, o.ExitCode);
        Assert.Contains("Stopped at generator step 4, critic step 1 of 1: the gradient of D.", o.Stderr);
        Assert.Contains("is not finite", o.Stderr);
    }

    /// <summary>Every file a run promises, with PNGs that decode; then `gan sample` from its checkpoint.</summary>
    [Fact]
    public void Run_writes_its_outputs_and_sample_reads_the_checkpoint()
    {
        var dir = TempDir("outputs");
        var o = Train(dir, "--loss", "test-nonsaturating", "--data", "ring", "--steps", "20", "--batch", "32", "--sample-every", "10", "--log-every", "5", "--ema", "0.99");
        Assert.True(o.ExitCode == 0, o.Stderr);
        foreach (var f in new[] { "config.json", "metrics.csv", "checkpoint.bin", "samples.npy", "samples.png", "losses.png", "samples_000000.png", "samples_000010.png", "samples_000020.png" })
            Assert.True(File.Exists(Path.Combine(dir, f)), $"{f} missing");
        var scatter = (512 + GanDsl.Imaging.ScatterPlot.LegendWidth, 512);
        Assert.Equal(scatter, PngSize(Path.Combine(dir, "samples_000010.png")));
        Assert.Equal(scatter, PngSize(Path.Combine(dir, "samples.png")));
        Assert.Equal((800, 450), PngSize(Path.Combine(dir, "losses.png")));

        var (header, rows) = ReadCsv(Path.Combine(dir, "metrics.csv"));
        Assert.Equal(["step", "d_loss", "g_loss", "d.real_logit", "seconds"], header);
        Assert.Equal(["5", "10", "15", "20"], rows.Select(r => r[0]));

        var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "config.json"))).RootElement;
        Assert.Equal("test-nonsaturating", config.GetProperty("loss").GetString());
        Assert.Equal(32, config.GetProperty("batchSize").GetInt32());
        Assert.Equal(0.5, config.GetProperty("networks")[1].GetProperty("optimizer").GetProperty("beta1").GetDouble());

        var sampled = Run("sample", "--checkpoint", Path.Combine(dir, "checkpoint.bin"), "--count", "300", "--out", Path.Combine(dir, "s"));
        Assert.True(sampled.ExitCode == 0, sampled.Stderr);
        Assert.Contains("(EMA weights)", sampled.Stdout);
        Assert.Equal([300L, 2L], NpyFile.Read(Path.Combine(dir, "s", "generated.npy")).Shape);
        Assert.Equal(scatter, PngSize(Path.Combine(dir, "s", "generated.png")));
    }

    /// <summary>dcgan28 on 28×28 images, with autoencoder, feature and score critics built by the factory.</summary>
    [Fact]
    public void Dcgan28_with_every_network_kind_trains_and_writes_an_image_grid()
    {
        var dir = TempDir("dcgan");
        var npy = Path.Combine(dir, "images.npy");
        var rng = new Random(1);
        NpyFile.Write(npy, Enumerable.Range(0, 16 * 784).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), [16, 1, 28, 28]);
        var o = Train(Path.Combine(dir, "run"), "--loss", "test-autoencoder", "--data", npy, "--model", "dcgan28", "--steps", "2", "--batch", "8", "--samples", "20", "--sample-every", "1");
        Assert.True(o.ExitCode == 0, o.Stderr);
        Assert.Equal([20L, 1L, 28L, 28L], NpyFile.Read(Path.Combine(dir, "run", "samples.npy")).Shape);
        var (w, h) = PngSize(Path.Combine(dir, "run", "samples.png"));
        Assert.Equal(5 * 4 * 28 + 6 * 2, w); // 20 tiles upscaled 4×: 5 columns, 2-pixel borders
        Assert.Equal(GanDsl.Imaging.ImageGrid.TitleHeight + 4 * 4 * 28 + 5 * 2, h);
        var ckpt = CheckpointFile.Load(Path.Combine(dir, "run", CheckpointFile.FileName));
        Assert.Equal(["G", "D", "F", "A"], ckpt.Metadata.Networks.Select(n => n.Name));
        Assert.True(ckpt.Has("net.D.11.weight"), "the reconstruction critic's decoder is saved");
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

    /// <summary>Learning rates and betas from the command line replace the loss's defaults, per network role.</summary>
    [Fact]
    public void Optimizer_settings_are_overridable()
    {
        var dir = TempDir("lr");
        var o = Train(dir, "--loss", "test-stateful", "--data", "ring", "--steps", "0", "--lr-g", "0.003", "--lr-d", "0.0007", "--betas", "0.1,0.2", "--samples", "10");
        Assert.True(o.ExitCode == 0, o.Stderr);
        var networks = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "config.json"))).RootElement.GetProperty("networks");
        var g = networks[0].GetProperty("optimizer");
        var d = networks[1].GetProperty("optimizer");
        Assert.Equal(("adam", 0.003, 0.1, 0.2), (g.GetProperty("kind").GetString(), g.GetProperty("lr").GetDouble(), g.GetProperty("beta1").GetDouble(), g.GetProperty("beta2").GetDouble()));
        Assert.Equal(0.0007, d.GetProperty("lr").GetDouble());
        Assert.Equal(0.1, d.GetProperty("beta1").GetDouble());
    }

    /// <summary>The mlp and dcgan28 families build the architectures of the issue (parameter counts as in PyTorch).</summary>
    [Fact]
    public void Model_families_match_the_reference_architectures()
    {
        static long Count(nn.Module m) => m.parameters().Sum(p => p.numel());
        var mlp = GanDsl.Models.ModelFactory.Get("mlp");
        using (var g = mlp.Build(new NetworkInfo("G", NetworkRole.Generator, NetworkOutput.Sample), [2]))
        using (var d = mlp.Build(new NetworkInfo("D", NetworkRole.Critic, NetworkOutput.Score), [2]))
        {
            Assert.Equal(2 * 512 + 512 + 2 * (512 * 512 + 512) + 512 * 2 + 2, Count(g));
            Assert.Equal(2 * 512 + 512 + 2 * (512 * 512 + 512) + 512 + 1, Count(d));
        }
        var dc = GanDsl.Models.ModelFactory.Get("dcgan28");
        using (var g = dc.Build(new NetworkInfo("G", NetworkRole.Generator, NetworkOutput.Sample), [1, 28, 28]))
        using (var d = dc.Build(new NetworkInfo("D", NetworkRole.Critic, NetworkOutput.Score), [1, 28, 28]))
        {
            // Linear(64,6272) + BN1d(6272) + ConvT(128,64,4) + BN2d(64) + ConvT(64,1,4)
            Assert.Equal(64 * 6272 + 6272 + 2 * 6272 + 128 * 64 * 16 + 64 + 2 * 64 + 64 * 16 + 1, Count(g));
            // Conv(1,64,4) + Conv(64,128,4) + Linear(6272,1)
            Assert.Equal(16 * 64 + 64 + 64 * 128 * 16 + 128 + 6272 + 1, Count(d));
        }
    }
}
