using System.Text;
using System.Text.Json.Nodes;
using GanDsl.Formats;
using TorchSharp;
using static GanDsl.Tests.Cli.CliRunner;
using static TorchSharp.torch;

namespace GanDsl.Tests.Cli;

/// <summary>
/// Conditional GANs on the command line (issue 16): --labels and --noise-labels, a labelled run resumed exactly, bad labels
/// named. The trainer's side (labels with each batch, yz frequencies) is tested in GanDsl.Runtime.Tests (Training/ConditionalTrainerTests.cs).
/// </summary>
public class ConditionalTrainingTests : TempFolderTests
{
    /// <summary>Writes one class index per sample as an int64 .npy file, as numpy.save(path, labels) does.</summary>
    internal static void WriteLabelsNpy(string path, long[] labels, string descr = "<i8")
    {
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({labels.Length},), }}";
        var header = dict.PadRight(64 - 10 - 1) + "\n";
        using var file = File.Create(path);
        file.Write([0x93, .. "NUMPY"u8, 1, 0, (byte)header.Length, 0]);
        file.Write(Encoding.ASCII.GetBytes(header));
        foreach (var label in labels) file.Write(BitConverter.GetBytes(label));
    }

    [Fact]
    public void A_loss_that_uses_labels_on_unlabelled_data_is_an_error_naming_the_labels_option()
    {
        var dir = TempDir("unlabelled");
        var x = Path.Combine(dir, "x.npy");
        NpyFile.Write(x, new float[100], [50, 2]);
        var o = CliRunner.Train(TempDir("cli"), "--loss", "test-conditional", "--data", x, "--steps", "1");
        Assert.Equal(2, o.ExitCode);
        Assert.Contains("the data 'x.npy' has none", o.Stderr);
        Assert.Contains("with --labels", o.Stderr);   // the option named as the command line spells it
    }

    /// <summary>Stopping a labelled run (.npy data, --labels, uniform yz) after 6 steps and resuming to 12 equals 12 steps at once.</summary>
    [Fact]
    public void A_labelled_run_resumed_equals_the_uninterrupted_run_bit_for_bit()
    {
        var dir = TempDir("data");
        var (x, y) = (Path.Combine(dir, "x.npy"), Path.Combine(dir, "y.npy"));
        using (var samples = torch.randn([100, 2], generator: new Generator(3)))
            NpyFile.Write(x, samples.data<float>().ToArray(), [100, 2]);
        WriteLabelsNpy(y, Enumerable.Range(0, 100).Select(i => (long)(i % 3 == 0 ? 2 : i % 2)).ToArray());
        string[] common = ["--loss", "test-conditional", "--data", x, "--labels", y, "--noise-labels", "uniform", "--batch", "32", "--log-every", "1", "--seed", "11", "--samples", "0", "--sample-every", "0"];

        var straight = TempDir("straight");
        var o = CliRunner.Train(straight, [.. common, "--steps", "12"]);
        Assert.True(o.ExitCode == 0, o.Stderr);
        var split = TempDir("split");
        o = CliRunner.Train(split, [.. common, "--steps", "6"]);
        Assert.True(o.ExitCode == 0, o.Stderr);
        o = CliRunner.Train(split, [.. common, "--steps", "12", "--resume"]);
        Assert.True(o.ExitCode == 0, o.Stderr);

        var (h1, rows1) = AssertSameMetrics(straight, split, rows: 12);
        Assert.Contains("d.y_mean", h1);
        Assert.Contains("g.yz_mean", h1);
        // The labels moved from step to step (so their position had to be restored).
        Assert.True(rows1.Select(r => r[Array.IndexOf(h1, "g.yz_mean")]).Distinct().Count() > 3);

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(split, "config.json")))!;
        Assert.Equal(3, (int)config["classCount"]!);
        Assert.Equal("Uniform", (string)config["noiseLabels"]!);
        Assert.Equal(Path.GetFullPath(y), (string)config["labelsFile"]!);
    }

    [Fact]
    public void Bad_labels_and_label_options_on_the_command_line_name_the_input_at_fault()
    {
        var dir = TempDir("bad");
        var (x, y) = (Path.Combine(dir, "x.npy"), Path.Combine(dir, "y.npy"));
        NpyFile.Write(x, new float[20], [10, 2]);
        WriteLabelsNpy(y, [0, 1, 2]);
        var o = CliRunner.Train(TempDir("count"), "--loss", "test-conditional", "--data", x, "--labels", y, "--steps", "1");
        Assert.Equal(2, o.ExitCode);
        Assert.Contains($"The labels file '{y}' (for the data 'x.npy') hold 3 labels for 10 samples", o.Stderr);

        o = CliRunner.Train(TempDir("ring"), "--loss", "test-conditional", "--data", "ring", "--labels", y, "--steps", "1");
        Assert.Equal(2, o.ExitCode);
        Assert.Contains("'ring' comes with its own labels", o.Stderr);

        o = CliRunner.Train(TempDir("noise"), "--loss", "test-conditional", "--data", "ring", "--noise-labels", "balanced", "--steps", "1");
        Assert.Equal(2, o.ExitCode);
        Assert.Contains("--noise-labels must be data or uniform, not 'balanced'", o.Stderr);
    }
}
