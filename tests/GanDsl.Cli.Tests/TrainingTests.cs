using GanDsl.Cli;
using GanDsl.Formats;
using GanDsl.Training;
using static GanDsl.Tests.Cli.CliRunner;

namespace GanDsl.Tests.Cli;

/// <summary>
/// `gan train` end to end: exit codes, the messages it prints when a run stops, the files a run writes and `gan sample` reads.
/// The trainer's own tests, through its API, are in GanDsl.Runtime.Tests (Training/TrainerTests.cs).
/// </summary>
public class TrainingTests : TempFolderTests
{
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
        // Whether MKL's fast path is GanDsl's doing, in the header and in config.json (docs/performance.md).
        Assert.Contains($"MKL fast path: {GanDsl.MklFastPath.Describe()}", o.Stderr);
        Assert.Equal(GanDsl.MklFastPath.Describe(), config.GetProperty("mklFastPath").GetString());
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
}
