namespace GanDsl.Data;

/// <summary>
/// A source of training samples of one fixed shape: either a finite set (a file, a tensor, a TorchSharp dataset)
/// that is visited in reshuffled epochs, or an infinite stream (the embedded 2D mixtures, batches you produce).
/// </summary>
/// <remarks>
/// Its sampler hands out batches as float32 tensors on the run's device (<see cref="IBatchSampler.NextTensor"/>);
/// <see cref="BatchSamplerExtensions.Next"/> copies one to the host for plots and 2-D metrics.
/// </remarks>
public interface IDataset
{
    /// <summary>Short name for logs ("ring", "fashion-mnist", a file name).</summary>
    string Name { get; }

    /// <summary>Shape of one sample, without the batch dimension (for example [2] or [1, 28, 28]).</summary>
    IReadOnlyList<long> SampleShape { get; }

    /// <summary>Number of samples, or <c>null</c> for an infinite stream.</summary>
    long? Count { get; }

    /// <summary>
    /// A sampler that draws batches of <paramref name="batchSize"/> samples, every draw determined by
    /// <paramref name="seed"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">When the batch size is not positive or exceeds a finite dataset's size.</exception>
    IBatchSampler CreateSampler(int batchSize, ulong seed);
}
