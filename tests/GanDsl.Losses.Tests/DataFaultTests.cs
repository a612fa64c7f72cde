using GanDsl.Data;
using GanDsl.Models;
using GanDsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Losses.Tests;

/// <summary>
/// Issue 22 item 3: data faults named as data faults. One dtype rule for every <see cref="UserData"/> source, null and
/// empty inputs refused naming the argument, and non-finite real samples reported as the real batch's fault.
/// </summary>
public sealed class DataFaultTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gandsl-data-faults-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private TrainOptions Options(long steps, string sub) => new()
    {
        Steps = steps, Seed = 5, BatchSize = 8, OutputDirectory = Path.Combine(_dir, sub), SampleEvery = 0, FinalSampleCount = 0, LogEvery = 1,
    };

    /// <summary>FromBatches converted int64 batches silently while every other source refused them.</summary>
    [Fact]
    public void Integer_batches_are_refused_by_FromBatches_as_by_the_other_sources()
    {
        var sampler = UserData.FromBatches([torch.ones([8, 2], ScalarType.Int64)], [2], "counts").CreateSampler(8, seed: 0);
        var e = Assert.Throws<ArgumentException>(() => sampler.NextTensor());
        Assert.Equal("batches", e.ParamName);
        Assert.Contains("Int64", e.Message);
        Assert.Contains("ScalarType.Float32", e.Message);   // how to convert

        var tensor = Assert.Throws<ArgumentException>(() => UserData.FromTensor(torch.ones([8, 2], ScalarType.Int64)));
        Assert.Equal("samples", tensor.ParamName);
        Assert.Contains("ScalarType.Float32", tensor.Message);
    }

    /// <summary>Floating types other than float32 are converted, by every source alike.</summary>
    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void Floating_samples_of_any_precision_become_float32(ScalarType type)
    {
        using var points = torch.arange(16, dtype: ScalarType.Float32).reshape(8, 2).to_type(type);
        IDataset[] sources = [UserData.FromTensor(points), UserData.FromBatches([points], [2])];
        foreach (var source in sources)
        {
            using var batch = source.CreateSampler(8, seed: 0).NextTensor();
            Assert.Equal(ScalarType.Float32, batch.dtype);
            Assert.Equal(120f, batch.sum().item<float>());
        }
    }

    [Fact]
    public void An_empty_tensor_is_an_ArgumentException_naming_the_samples()
    {
        var e = Assert.Throws<ArgumentException>(() => UserData.FromTensor(torch.zeros(0, 2)));
        Assert.Equal("samples", e.ParamName);
        Assert.Contains("no samples", e.Message);
        Assert.Equal("samples", Assert.Throws<ArgumentException>(() => UserData.FromTensor(torch.zeros(4, 0))).ParamName);
        Assert.Equal("samples", Assert.ThrowsAny<ArgumentException>(() => UserData.FromTensor(null!)).ParamName);
    }

    [Fact]
    public void A_null_batch_is_an_ArgumentException_naming_the_batches()
    {
        var sampler = UserData.FromBatches([torch.ones(4, 2), null!], [2], "holes").CreateSampler(4, seed: 0);
        var e = Assert.Throws<ArgumentException>(() => sampler.NextTensor());   // the read-ahead reaches batch 1
        Assert.Equal("batches", e.ParamName);
        Assert.Contains("Batch 1", e.Message);
        Assert.Contains("null", e.Message);

        var empty = Assert.Throws<ArgumentException>(() => UserData.FromBatches([], [2], "none").CreateSampler(4, seed: 0).NextTensor());
        Assert.Equal("batches", empty.ParamName);
    }

    /// <summary>
    /// A NaN in the third batch a producer yields: the run stops at that step, blaming the real batch and the data's
    /// name, not the learning rate (it used to say "the discriminator loss is NaN ... Try a smaller learning rate").
    /// </summary>
    [Fact]
    public void A_NaN_in_a_real_batch_stops_the_run_naming_the_batch_and_the_data()
    {
        IEnumerable<Tensor> Batches()
        {
            for (var i = 0; ; i++)
            {
                var batch = torch.randn([8, 2], generator: new Generator((ulong)i + 1));
                if (i == 2) batch[3, 1] = torch.tensor(float.NaN);
                yield return batch;
            }
        }
        using var trainer = Trainer.Create(new NonSaturating(), ModelFactory.Get("mlp"), Options(5, "nan"), UserData.FromBatches(Batches(), [2], "noisy-sensor"));
        var result = trainer.Run();
        Assert.Equal(TrainOutcome.Diverged, result.Outcome);
        Assert.Equal(1, result.Step);   // batches 0 and 1 fed step 1 (critic, generator); batch 2 is step 2's critic step
        Assert.Contains("step 2", result.Message);
        Assert.Contains("real batch", result.Message);
        Assert.Contains("NaN", result.Message);
        Assert.Contains("noisy-sensor", result.Message);
        Assert.DoesNotContain("learning rate", result.Message);
    }

    [Fact]
    public void An_infinite_sample_from_a_TorchSharp_dataset_is_named_infinite()
    {
        // Sample 0 is checked when the dataset is wrapped; a later one is found by the step that draws it.
        var data = UserData.FromDataset(new Items(i => i == 5 ? torch.tensor(new[] { float.PositiveInfinity, 0f }) : torch.tensor(new[] { i / 8f, 1f }), 8), "with-inf");
        using var trainer = Trainer.Create(new NonSaturating(), ModelFactory.Get("mlp"), Options(3, "inf"), data);
        var result = trainer.Run();
        Assert.Equal(TrainOutcome.Diverged, result.Outcome);
        Assert.Contains("real batch", result.Message);
        Assert.Contains("infinite", result.Message);
        Assert.Contains("with-inf", result.Message);
        Assert.DoesNotContain("learning rate", result.Message);
    }

    private sealed class Items(Func<long, Tensor> item, long count) : torch.utils.data.Dataset<Tensor>
    {
        public override long Count => count;

        public override Tensor GetTensor(long index) => item(index);
    }
}
