using GanDsl.Cli;
using GanDsl.Formats;
using GanDsl.Training;
using static GanDsl.Tests.Cli.CliRunner;

namespace GanDsl.Tests.Cli;

/// <summary>
/// `gan train` end to end: exit codes, the message it prints when a run stops, the files a run writes and `gan sample` reads.
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
