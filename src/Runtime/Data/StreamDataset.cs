namespace GanDsl.Data;

/// <summary>
/// Base of datasets that are infinite streams: every sample is a fresh draw from a distribution, using the
/// sampler's <see cref="Xoshiro256"/> generator.
/// </summary>
public abstract class StreamDataset : IDataset
{
    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public abstract IReadOnlyList<long> SampleShape { get; }

    /// <inheritdoc/>
    public long? Count => null;

    /// <summary>
    /// Draws one sample into <paramref name="destination"/> (length = product of the sample shape) and returns its class:
    /// the label of a labelled stream (an <see cref="ILabelledDataset"/>), 0 for an unlabelled one.
    /// </summary>
    internal abstract int DrawSample(Xoshiro256 random, Span<float> destination);

    /// <inheritdoc/>
    public IBatchSampler CreateSampler(int batchSize, ulong seed) =>
        this is ILabelledDataset ? new LabelledStreamSampler(this, batchSize, seed) : new StreamSampler(this, batchSize, seed);
}
