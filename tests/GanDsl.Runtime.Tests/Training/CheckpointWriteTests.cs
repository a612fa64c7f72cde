using GanDsl.Formats;
using GanDsl.Training;
using static GanDsl.Runtime.Tests.Training.RunFolders;

namespace GanDsl.Runtime.Tests.Training;

/// <summary>
/// The trainer's checkpoint writes are atomic, and a run clears what a killed one left behind.
/// Checkpoints the command line refuses (corrupt, of another run): GanDsl.Cli.Tests (CheckpointTests.cs).
/// </summary>
[Collection(SerialTorchCollection.Name)]
public sealed class CheckpointWriteTests : TempFolderTests
{
    private static readonly LossRegistry Registry = new(typeof(TestStateful).Assembly);

    private static TrainOptions Options(string dir, long steps, bool resume = false) => new()
    {
        Loss = "test-stateful", Data = "ring", OutputDirectory = dir, Steps = steps, BatchSize = 32, Threads = 1,
        FinalSampleCount = 100, SampleEvery = 0, Resume = resume,
    };

    private static TrainResult Train(TrainOptions options)
    {
        using var trainer = Trainer.Create(options, Registry);
        return trainer.Run(progress: ProgressReporter.Silent);
    }

    /// <summary>A write that fails midway (a full disk, a crash) leaves the previous checkpoint whole and loadable.</summary>
    [Fact]
    public void Interrupted_checkpoint_write_leaves_the_previous_checkpoint_loadable()
    {
        var dir = TempDir("interrupted-write");
        Assert.Equal(TrainOutcome.Completed, Train(Options(dir, 4)).Outcome);
        var path = Path.Combine(dir, CheckpointFile.FileName);
        var before = File.ReadAllBytes(path);
        Assert.Equal(4, CheckpointFile.Load(path).Metadata.Step);

        TensorFile.WriteStreamDecoratorForTests = s => new FailingStream(s, failAfterBytes: 4096);
        try
        {
            var e = Assert.ThrowsAny<IOException>(() => Train(Options(dir, 6, resume: true)));
            Assert.Contains("simulated failure", e.Message);
        }
        finally
        {
            TensorFile.WriteStreamDecoratorForTests = null;
        }

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(4, CheckpointFile.Load(path).Metadata.Step);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp").Concat(Directory.GetFiles(dir, ".*.tmp")));
        // The kept checkpoint still resumes.
        Assert.Equal(TrainOutcome.Completed, Train(Options(dir, 6, resume: true)).Outcome);
        Assert.Equal(6, CheckpointFile.Load(path).Metadata.Step);
    }

    [Fact]
    public void Stale_temporary_files_of_an_interrupted_write_are_removed_when_a_run_starts()
    {
        var dir = TempDir("stale-tmp");
        Assert.Equal(TrainOutcome.Completed, Train(Options(dir, 4)).Outcome);
        // What a killed process leaves: the name AtomicFile uses, with a process id that is not running.
        var stale = Path.Combine(dir, $".{CheckpointFile.FileName}.999999999.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(stale, new byte[1024]);
        var unrelated = Path.Combine(dir, "notes.tmp");
        File.WriteAllText(unrelated, "mine");
        Assert.Equal(TrainOutcome.Completed, Train(Options(dir, 5, resume: true)).Outcome);
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(unrelated));
    }
}
