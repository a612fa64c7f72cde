using System.Text.Json.Nodes;
using GanDsl.Cli;
using GanDsl.Cli.Commands;
using GanDsl.Formats;
using GanDsl.Training;
using TorchSharp;
using static TorchSharp.torch;
using static GanDsl.Tests.Cli.CliRunner;

namespace GanDsl.Tests.Cli;

/// <summary><c>gan sample --class K</c> and the per-class outputs of a conditional generator's checkpoint.</summary>
public class ConditionalSampleTests : TempFolderTests
{
    private static string SmallRun(string label)
    {
        var dir = TempDir(label);
        var o = Train(dir, ["--loss", "test-stateful", "--data", "ring", "--steps", "2", "--batch", "32", "--samples", "10", "--sample-every", "0"]);
        Assert.True(o.ExitCode == 0, o.Stderr);
        return dir;
    }

    /// <summary>Rewrites the checkpoint's metadata as JSON (a conditional run's, or an older GanDsl's).</summary>
    private static string EditMetadata(string dir, Action<JsonObject> edit)
    {
        var path = Path.Combine(dir, CheckpointFile.FileName);
        var records = TensorFile.Read(path).ToList();
        var meta = records.Single(r => r.Name == CheckpointFile.MetadataEntry);
        var json = JsonNode.Parse(meta.Data)!.AsObject();
        edit(json);
        records[records.IndexOf(meta)] = CheckpointFile.BytesRecord(CheckpointFile.MetadataEntry, System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()));
        TensorFile.Write(path, records);
        return path;
    }

    private static void MakeConditional(JsonObject meta, int? classCount)
    {
        foreach (var network in meta["Networks"]!.AsArray())
            if (network!["Name"]!.GetValue<string>() == "G") network["TakesLabels"] = true;
        if (classCount is { } k)
        {
            meta["ClassCount"] = k;
            meta["ClassNames"] = new JsonArray(Enumerable.Range(0, k).Select(i => (JsonNode)$"mode {i}").ToArray());
        }
        else
        {
            // The ring is labelled, so the run recorded its 8 classes: remove them, as in a checkpoint written without them.
            meta.Remove("ClassCount");
            meta.Remove("ClassNames");
        }
    }

    private static void Refused(string checkpoint, string fragment, params string[] extra)
    {
        var o = Run(["sample", "--checkpoint", checkpoint, "--count", "10", .. extra]);
        Assert.Equal(ExitCodes.BadInput, o.ExitCode);
        Assert.Contains(fragment, o.Stderr);
        Assert.Single(o.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Class_on_an_unconditional_checkpoint_is_refused_naming_the_generator()
    {
        var checkpoint = Path.Combine(SmallRun("sample-class-uncond"), CheckpointFile.FileName);
        Refused(checkpoint, "generator 'G'", "--class", "0");
        Refused(checkpoint, "takes no class labels", "--class", "0");
    }

    [Fact]
    public void Class_out_of_range_names_the_class_count_and_the_classes()
    {
        var checkpoint = EditMetadata(SmallRun("sample-class-range"), m => MakeConditional(m, 8));
        Refused(checkpoint, "--class 8 is out of range", "--class", "8");
        Refused(checkpoint, "has 8 classes, 0 to 7 (0 mode 0, 1 mode 1", "--class", "8");
        Refused(checkpoint, "--class -1 is out of range", "--class", "-1");
    }

    [Fact]
    public void A_conditional_checkpoint_without_its_class_count_is_refused()
    {
        var checkpoint = EditMetadata(SmallRun("sample-class-nocount"), m => MakeConditional(m, null));
        Refused(checkpoint, "does not record its number of classes", "--class", "1");
        Refused(checkpoint, "does not record its number of classes");
    }

    [Fact]
    public void A_checkpoint_written_before_labels_existed_still_samples()
    {
        var dir = SmallRun("sample-old-meta");
        var checkpoint = EditMetadata(dir, m =>
        {
            Assert.True(m.Remove("ClassCount") & m.Remove("ClassNames"));
            foreach (var network in m["Networks"]!.AsArray()) Assert.True(network!.AsObject().Remove("TakesLabels"));
        });
        Assert.DoesNotContain(CheckpointFile.Load(checkpoint).Metadata.Networks, n => n.TakesLabels);
        var o = Run("sample", "--checkpoint", checkpoint, "--count", "10", "--out", Path.Combine(dir, "out"));
        Assert.True(o.ExitCode == 0, o.Stderr);
        Assert.True(File.Exists(Path.Combine(dir, "out", "generated.npy")));
        Assert.False(File.Exists(Path.Combine(dir, "out", "generated_labels.npy")));
    }

    /// <summary>A conditional image "generator": every pixel of an image of class k is k / 10 − 0.5.</summary>
    private sealed class ClassShade() : nn.Module<Tensor, Tensor, Tensor>("shade")
    {
        public override Tensor forward(Tensor noise, Tensor labels) =>
            (labels.to(ScalarType.Float32) / 10 - 0.5f).view(-1, 1, 1, 1).expand(labels.shape[0], 1, 28, 28).contiguous();
    }

    private static CheckpointMetadata ImageMeta => new()
    {
        Loss = "test", LossType = "Test", Model = "test", Data = "fashion-mnist", SampleShape = [1, 28, 28], NoiseShape = [4], BatchSize = 4, Step = 1,
        SampleNetwork = "G", Hyperparameters = [], State = [], Networks = [new CheckpointNetwork("G", NetworkRole.Generator, NetworkOutput.Sample, "adam") { TakesLabels = true }],
        ClassCount = 10,
    };

    [Fact]
    public void Without_class_sample_i_is_of_class_i_mod_K_and_the_picture_has_a_row_per_class()
    {
        var dir = TempDir("sample-per-class");
        using var generator = new ClassShade();
        var written = SampleCommand.Write(generator, ImageMeta, 40, 0, (10, null), dir, CPU, "test");
        Assert.Equal(["generated.npy", "generated_labels.npy", "generated.png"], written.Select(p => Path.GetFileName(p)).ToArray());
        var labels = NpyFile.ReadLabels(written[1]).Values;
        Assert.Equal(Enumerable.Range(0, 40).Select(i => (long)(i % 10)), labels);
        var images = NpyFile.Read(written[0]).Data;
        for (var i = 0; i < 40; i++) Assert.Equal(labels[i] / 10f - 0.5f, images[i * 784 + 300], 6);
        // 4 images of each class: a grid of 4 columns and 10 rows (28 × 28 tiles at 4×, borders of 2, a title band of 30).
        Assert.Equal((2 + 4 * 114, 30 + 2 + 10 * 114), PngSize(written[2]));
    }

    [Fact]
    public void With_class_every_sample_is_of_that_class()
    {
        var dir = TempDir("sample-one-class");
        using var generator = new ClassShade();
        var written = SampleCommand.Write(generator, ImageMeta, 12, 0, (10, 3), dir, CPU, "test");
        Assert.All(NpyFile.ReadLabels(written[1]).Values, l => Assert.Equal(3L, l));
        Assert.All(NpyFile.Read(written[0]).Data, v => Assert.Equal(-0.2f, v, 6));
        Assert.Equal((2 + 4 * 114, 30 + 2 + 3 * 114), PngSize(written[2]));   // the plain grid: ⌈√12⌉ = 4 columns, 3 rows
    }

    /// <summary>
    /// A conditional run's checkpoint records what its networks are (labels, class heads, the classes), so sampling and
    /// export rebuild them as trained: AC-GAN's D with its class head (1 + 8 outputs), the label-taking G of both and projection hinge's D.
    /// </summary>
    [Theory]
    [InlineData("acgan")]
    [InlineData("projection-hinge")]
    public void A_conditional_run_samples_by_class_and_exports(string loss)
    {
        var dir = TempDir("conditional-export-" + loss);
        var o = Train(dir, ["--loss", loss, "--data", "ring", "--steps", "2", "--batch", "32", "--samples", "16", "--sample-every", "0"]);
        Assert.True(o.ExitCode == 0, o.Stderr);
        var meta = CheckpointFile.Load(Path.Combine(dir, CheckpointFile.FileName)).Metadata;
        Assert.Equal(8, meta.ClassCount);
        Assert.Equal(loss == "acgan" ? 1 : 0, meta.Networks.Single(n => n.Name == "D").ClassHeads);

        var exported = Path.Combine(dir, "export");
        var e = Run(["export", "--checkpoint", Path.Combine(dir, CheckpointFile.FileName), "--out", exported]);
        Assert.True(e.ExitCode == 0, e.Stderr);
        Assert.True(File.Exists(Path.Combine(exported, "D.pt")) && File.Exists(Path.Combine(exported, "G.pt")));

        var s = Run(["sample", "--checkpoint", Path.Combine(dir, CheckpointFile.FileName), "--count", "16", "--class", "3", "--out", Path.Combine(dir, "by-class")]);
        Assert.True(s.ExitCode == 0, s.Stderr);
        Assert.All(NpyFile.ReadLabels(Path.Combine(dir, "by-class", "generated_labels.npy")).Values, l => Assert.Equal(3L, l));
    }

    /// <summary>
    /// A conditional Fashion-MNIST run measures its final samples class by class (they cycle through the classes), and with
    /// too few of them for two per class it says so and keeps the other measures.
    /// </summary>
    [Fact]
    public void A_conditional_fashion_mnist_run_measures_its_final_samples_by_class()
    {
        var dir = TempDir("conditional-eval");
        var o = Train(dir, ["--loss", "acgan", "--data", "fashion-mnist", "--model", "dcgan28", "--steps", "1", "--batch", "16", "--samples", "40",
            "--sample-every", "0"]);
        Assert.True(o.ExitCode == 0, o.Stderr);
        var conditional = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "evaluation.json")))!["conditional"]!;
        Assert.All(conditional["classes"]!.AsArray(), c => Assert.Equal(4, c!["samples"]!.GetValue<int>()));

        var few = TempDir("conditional-eval-few");
        o = Train(few, ["--loss", "acgan", "--data", "fashion-mnist", "--model", "dcgan28", "--steps", "1", "--batch", "16", "--samples", "10",
            "--sample-every", "0"]);
        Assert.True(o.ExitCode == 0, o.Stderr);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(few, "evaluation.json")))!;
        Assert.Null(json["conditional"]);
        Assert.Contains(json["warnings"]!.AsArray(), w => w!.GetValue<string>().StartsWith("no class measures", StringComparison.Ordinal));
        Assert.True(json["fid"]!.GetValue<double>() > 0);
    }
}
