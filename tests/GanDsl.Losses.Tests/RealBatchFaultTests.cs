using GanDsl.Data;
using GanDsl.Models;
using GanDsl.Training;
using TorchSharp;

namespace GanDsl.Losses.Tests;

/// <summary>
/// A NaN in the data is reported as a data fault, with the step and the source, not as a loss to cure with a
/// smaller learning rate (issue 22): the trainer's guard checks the real batch on the device with the rest.
/// </summary>
public sealed class RealBatchFaultTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gandsl-real-nan-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_NaN_in_a_real_batch_names_the_batch_the_step_and_the_data()
    {
        // Batches of 4: the third one the trainer draws (generator step 2's critic step) holds a NaN.
        IEnumerable<torch.Tensor> Batches()
        {
            for (var i = 0; i < 5; i++)
            {
                var batch = torch.full([4, 2], 0.5f + i);
                if (i == 2) batch[1, 0] = torch.tensor(float.NaN);
                yield return batch;
            }
        }
        var options = new TrainOptions
        {
            Steps = 10, Seed = 1, BatchSize = 4, Threads = 1, OutputDirectory = _dir, SampleEvery = 0, FinalSampleCount = 0,
            CheckpointEvery = 0, LogEvery = 5,
        };
        using var trainer = Trainer.Create(new NonSaturating(), ModelFactory.Get("mlp"), options, UserData.FromBatches(Batches(), [2], "my-batches"));
        var result = trainer.Run();
        Assert.Equal(TrainOutcome.Diverged, result.Outcome);
        Assert.Equal(1, result.Step);   // the last good generator step
        Assert.StartsWith("Stopped at generator step 2, critic step 1 of 1: the real batch at step 2 contains NaN", result.Message);
        Assert.Contains("(data: my-batches)", result.Message);
        Assert.DoesNotContain("learning rate", result.Message);
        // Nothing was written from the state after the fault: the run stopped at its first read, step 5's metrics row.
        Assert.False(File.Exists(Path.Combine(_dir, "metrics.csv")) && File.ReadLines(Path.Combine(_dir, "metrics.csv")).Count() > 1);
    }
}
