using GanDsl.Cli;
using GanDsl.Formats;
using GanDsl.Nn;
using TorchSharp;
using static TorchSharp.torch;
using GanDsl.Training;
using static GanDsl.Tests.Cli.CliRunner;

namespace GanDsl.Tests.Cli;

/// <summary>
/// Checkpoint files `gan train --resume` and `gan sample` refuse: corrupt, truncated, of another loss or model.
/// Interrupted checkpoint writes: GanDsl.Runtime.Tests (Training/CheckpointWriteTests.cs).
/// </summary>
public class CheckpointTests : TempFolderTests
{
    /// <summary>A finished 4-step run of the stateful test loss with a checkpoint; returns its folder.</summary>
    private static string SmallRun(string label, params string[] extra)
    {
        var dir = TempDir(label);
        var o = Train(dir, ["--loss", "test-stateful", "--data", "ring", "--steps", "4", "--batch", "32", "--samples", "100", "--sample-every", "0", .. extra]);
        Assert.True(o.ExitCode == 0, o.Stderr);
        return dir;
    }

    private static void AssertRejectedAndUnchanged(string dir, string[] args, string fragment)
    {
        var checkpoint = Path.Combine(dir, CheckpointFile.FileName);
        var before = File.ReadAllBytes(checkpoint);
        var files = Directory.GetFiles(dir).Select(f => (f, File.GetLastWriteTimeUtc(f))).ToArray();
        var o = Train(dir, args);
        Assert.Equal(ExitCodes.BadInput, o.ExitCode);
        Assert.Single(o.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(fragment, o.Stderr);
        Assert.Equal(before, File.ReadAllBytes(checkpoint));
        Assert.Equal(files, Directory.GetFiles(dir).Select(f => (f, File.GetLastWriteTimeUtc(f))).ToArray());
    }

    /// <summary>Rewrites the checkpoint's metadata (keeping the file's checksum valid) so one field is out of range.</summary>
    private static void EditMetadata(string dir, Func<string, string> edit)
    {
        var path = Path.Combine(dir, CheckpointFile.FileName);
        var records = GanDsl.Formats.TensorFile.Read(path).ToList();
        var meta = records.Single(r => r.Name == CheckpointFile.MetadataEntry);
        var json = edit(System.Text.Encoding.UTF8.GetString(meta.Data));
        records[records.IndexOf(meta)] = CheckpointFile.BytesRecord(CheckpointFile.MetadataEntry, System.Text.Encoding.UTF8.GetBytes(json));
        GanDsl.Formats.TensorFile.Write(path, records);
    }

    [Fact]
    public void A_checkpoint_with_a_valid_hash_but_a_negative_step_is_rejected()
    {
        var dir = SmallRun("negative-step");
        EditMetadata(dir, json => System.Text.RegularExpressions.Regex.Replace(json, "\"Step\": 4", "\"Step\": -2"));
        AssertRejectedAndUnchanged(dir, ["--loss", "test-stateful", "--data", "ring", "--steps", "8", "--batch", "32", "--resume"], "step -2 is negative");
    }

    /// <summary>A checkpoint of the home-made binding (layout 1: byte entries stored one int64 per byte) gets a message, not a crash.</summary>
    [Fact]
    public void A_layout_1_checkpoint_of_the_old_runtime_is_refused_with_a_message()
    {
        var dir = SmallRun("layout1");
        var path = Path.Combine(dir, CheckpointFile.FileName);
        var json = System.Text.Encoding.UTF8.GetBytes("{\"Format\": \"gandsl-checkpoint\", \"Version\": 1}");
        var widened = new byte[json.Length * 8];
        for (var i = 0; i < json.Length; i++) widened[i * 8] = json[i];
        GanDsl.Formats.TensorFile.Write(path, [new GanDsl.Formats.TensorRecord(CheckpointFile.MetadataEntry, ScalarType.Int64, [json.Length], widened)]);
        AssertRejectedAndUnchanged(dir, ["--loss", "test-stateful", "--data", "ring", "--steps", "8", "--batch", "32", "--resume"], "written by an older GanDsl (layout 1");
    }

    [Fact]
    public void A_folder_given_as_data_is_reported_as_a_folder()
    {
        var dir = TempDir("data-folder");
        var o = Train(Path.Combine(dir, "out"), "--loss", "test-stateful", "--data", dir, "--steps", "1");
        Assert.Equal(ExitCodes.BadInput, o.ExitCode);
        Assert.Contains("is a folder", o.Stderr);
    }

    [Fact]
    public void Corrupt_checkpoint_is_rejected_and_nothing_is_overwritten()
    {
        var dir = SmallRun("corrupt");
        var path = Path.Combine(dir, CheckpointFile.FileName);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x5A;
        File.WriteAllBytes(path, bytes);
        AssertRejectedAndUnchanged(dir, ["--loss", "test-stateful", "--data", "ring", "--steps", "8", "--batch", "32", "--resume"], "is corrupt");
    }

    [Fact]
    public void Truncated_and_foreign_files_are_rejected()
    {
        var dir = SmallRun("truncated");
        var path = Path.Combine(dir, CheckpointFile.FileName);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 3)]);
        AssertRejectedAndUnchanged(dir, ["--loss", "test-stateful", "--data", "ring", "--steps", "8", "--batch", "32", "--resume"], "corrupt");

        File.WriteAllText(path, "not a checkpoint");
        AssertRejectedAndUnchanged(dir, ["--loss", "test-stateful", "--data", "ring", "--steps", "8", "--batch", "32", "--resume"], "is not a GanDsl tensor file");
    }

    [Fact]
    public void Checkpoint_of_another_loss_model_or_batch_is_rejected()
    {
        var dir = SmallRun("mismatch");
        AssertRejectedAndUnchanged(dir, ["--loss", "test-nonsaturating", "--data", "ring", "--steps", "8", "--batch", "32", "--resume"],
            "is of loss 'test-stateful', not 'test-nonsaturating'");
        AssertRejectedAndUnchanged(dir, ["--loss", "test-stateful", "--data", "grid", "--steps", "8", "--batch", "32", "--resume"],
            "was trained on 'ring', not 'grid'");
        AssertRejectedAndUnchanged(dir, ["--loss", "test-stateful", "--data", "ring", "--steps", "8", "--batch", "64", "--resume"],
            "batch size 32, not 64");
        AssertRejectedAndUnchanged(dir, ["--loss", "test-stateful", "--data", "ring", "--steps", "2", "--batch", "32", "--resume"],
            "is at step 4, beyond --steps 2");
    }

    [Fact]
    public void Sample_command_rejects_a_corrupt_checkpoint()
    {
        var dir = TempDir("sample-bad");
        var path = Path.Combine(dir, CheckpointFile.FileName);
        File.WriteAllBytes(path, new byte[100]);
        var o = Run("sample", "--checkpoint", path);
        Assert.Equal(ExitCodes.BadInput, o.ExitCode);
        Assert.Contains("not a GanDsl tensor file", o.Stderr);
        Assert.Equal(["checkpoint.bin"], Directory.GetFiles(dir).Select(f => Path.GetFileName(f)!).ToArray());
    }

    [Fact]
    public void Sample_command_reports_an_unwritable_output_folder_in_one_line()
    {
        var dir = SmallRun("sample-unwritable");
        var blocker = Path.Combine(dir, "a-file");
        File.WriteAllText(blocker, "");   // a folder cannot be created below a file
        var o = Run("sample", "--checkpoint", Path.Combine(dir, CheckpointFile.FileName), "--count", "10", "--out", Path.Combine(blocker, "out"));
        Assert.Equal(ExitCodes.Failure, o.ExitCode);
        var lines = o.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("gan: ", lines[0]);
        Assert.Contains(blocker, lines[0]);
    }
}
