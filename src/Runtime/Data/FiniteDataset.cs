using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Data;

/// <summary>
/// Base of finite datasets: samples addressed by index and visited in epochs, each epoch a fresh
/// permutation.
/// </summary>
public abstract class FiniteDataset : IDataset
{
    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public abstract IReadOnlyList<long> SampleShape { get; }

    /// <summary>Number of samples.</summary>
    public abstract long SampleCount { get; }

    /// <inheritdoc/>
    public long? Count => SampleCount;

    /// <summary>
    /// The samples at <paramref name="indices"/> (a 1-d int64 tensor, on the device the batch is wanted on) as one
    /// float32 tensor [indices.Length, ..<see cref="SampleShape"/>] on that device, which the caller disposes. Datasets
    /// held in memory keep a copy on the device and gather there, so drawing a batch copies nothing from the host.
    /// </summary>
    public abstract Tensor GetBatch(Tensor indices);

    /// <summary>Copies sample <paramref name="index"/> to <paramref name="destination"/> on the host (length = product of the sample shape).</summary>
    public void CopySample(long index, Span<float> destination)
    {
        using var indices = torch.tensor(new[] { index });
        using var batch = GetBatch(indices);
        using var sample = batch.contiguous();
        sample.data<float>().CopyTo(destination);
    }

    /// <summary>
    /// A sampler visiting the samples in epochs. Each epoch is a permutation drawn from a stream derived from
    /// the seed and the epoch number; a batch never mixes two epochs, so the last
    /// <c>SampleCount % batchSize</c> samples of each permutation are skipped (different ones every epoch).
    /// For a <see cref="LabelledFiniteDataset"/> it is an <see cref="ILabelledBatchSampler"/>.
    /// </summary>
    public IBatchSampler CreateSampler(int batchSize, ulong seed) =>
        this is LabelledFiniteDataset labelled ? new LabelledEpochSampler(labelled, batchSize, seed) : new EpochSampler(this, batchSize, seed);
}
