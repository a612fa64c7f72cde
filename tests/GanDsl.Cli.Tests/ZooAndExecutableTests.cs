using System.Diagnostics;
using GanDsl.Cli;
using GanDsl.Data;
using GanDsl.Formats;
using GanDsl.Training;
using static GanDsl.Tests.Cli.CliRunner;

namespace GanDsl.Tests.Cli;

/// <summary>The trainer with the real zoo, and one run of the real <c>gan</c> executable.</summary>
public class ZooAndExecutableTests : TempFolderTests
{
    /// <summary>Every zoo loss trains on the ring: the model factory builds each network its LossInfo lists.</summary>
    [Fact]
    public void Every_zoo_loss_trains_two_steps_on_the_ring()
    {
        var registry = GanDsl.Losses.Zoo.CreateRegistry();
        Assert.NotEmpty(registry.Names);
        var failures = new List<string>();
        foreach (var name in registry.Names)
        {
            var dir = TempDir("zoo-" + name);
            var o = Train(dir, "--loss", name, "--data", "ring", "--steps", "2", "--batch", "16", "--samples", "50", "--sample-every", "0");
            if (o.ExitCode != 0) { failures.Add($"{name}: exit {o.ExitCode}: {o.Stderr.Trim()}"); continue; }
            var samples = NpyFile.Read(Path.Combine(dir, "samples.npy"));
            if (!samples.Shape.SequenceEqual([50L, 2L]) || samples.Data.Any(v => !float.IsFinite(v)))
                failures.Add($"{name}: samples.npy has shape [{string.Join(",", samples.Shape)}] or non-finite values");
            var meta = CheckpointFile.Load(Path.Combine(dir, CheckpointFile.FileName)).Metadata;
            if (meta.Loss != name || meta.Step != 2) failures.Add($"{name}: checkpoint says {meta.Loss} at step {meta.Step}");
            // A conditional loss trains on the ring's mode labels; its generator's final samples come with their classes.
            if (registry.Create(name).Info.UsesLabels && !File.Exists(Path.Combine(dir, "samples_labels.npy")))
                failures.Add($"{name}: a conditional run wrote no samples_labels.npy");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>The built <c>gan</c> program: exit codes and streams as a user sees them.</summary>
    [Fact]
    public void Real_executable_lists_losses_and_rejects_bad_arguments()
    {
        var gan = Path.Combine(AppContext.BaseDirectory, "gan.dll");
        Assert.True(File.Exists(gan), $"{gan} is not next to the tests");

        static (int Code, string Out, string Err) Exec(string dll, params string[] args)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(dll);
            foreach (var a in args) start.ArgumentList.Add(a);
            using var p = Process.Start(start)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            Assert.True(p.WaitForExit(60_000), "gan did not exit within a minute");
            return (p.ExitCode, stdout.Result, stderr.Result);
        }

        var list = Exec(gan, "list");
        Assert.Equal(ExitCodes.Success, list.Code);
        Assert.Contains("wgan-gp  ", list.Out);

        var bad = Exec(gan, "train", "--loss", "wgan-gp", "--data", "ring", "--out", Path.Combine(TempDir("exe"), "run"), "--steps", "-1");
        Assert.Equal(ExitCodes.BadInput, bad.Code);
        Assert.Equal("gan: --steps must be 0 or more, not -1.", bad.Err.Trim());
    }
}
