using GanDsl.Formats;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Data;

/// <summary>
/// A finite set of single-channel images held as bytes, served as floats scaled to [−1, 1]
/// (v / 127.5 − 1), layout 1 × H × W per sample.
/// </summary>
/// <remarks>
/// Kept as bytes (47 MB for Fashion-MNIST's training set, instead of 188 MB as floats), on the run's device: a
/// batch is gathered and scaled there.
/// </remarks>
public sealed class ByteImageDataset : FiniteDataset
{
    private readonly InMemorySamples _pixels;
    private readonly long[] _sampleShape;

    /// <summary>Wraps images read from an IDX file.</summary>
    public ByteImageDataset(string name, IdxImages images)
    {
        ArgumentNullException.ThrowIfNull(images);
        Name = name;
        SampleCount = images.Count;
        _sampleShape = [1, images.Rows, images.Columns];
        _pixels = new InMemorySamples(torch.tensor(images.Pixels, [images.Count, .. _sampleShape]));
    }

    /// <inheritdoc/>
    public override string Name { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<long> SampleShape => _sampleShape;

    /// <inheritdoc/>
    public override long SampleCount { get; }

    /// <inheritdoc/>
    public override Tensor GetBatch(Tensor indices)
    {
        using var pixels = _pixels.Gather(indices);
        var images = pixels.to_type(ScalarType.Float32);
        return images.div_(127.5f).sub_(1f);   // float32 division, as v / 127.5f − 1f on the host
    }
}
