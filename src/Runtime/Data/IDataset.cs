using static TorchSharp.torch;

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

/// <summary>
/// Draws batches from an <see cref="IDataset"/>. Deterministic for a seed; its position can be captured with
/// <see cref="GetState"/> and restored with <see cref="SetState"/> so a resumed run draws exactly the batches the
/// uninterrupted run would have drawn.
/// </summary>
public interface IBatchSampler
{
    /// <summary>The dataset this sampler draws from.</summary>
    IDataset Dataset { get; }

    /// <summary>Samples per batch.</summary>
    int BatchSize { get; }

    /// <summary>Shape of every batch: <see cref="BatchSize"/> followed by the sample shape.</summary>
    long[] BatchShape { get; }

    /// <summary>
    /// The epoch the next batch comes from (0-based). Always 0 for an infinite stream, which has no epochs.
    /// </summary>
    long Epoch { get; }

    /// <summary>Batches drawn since the sampler was created (continues across <see cref="SetState"/>).</summary>
    long BatchesDrawn { get; }

    /// <summary>
    /// Draws the next batch: a float32 tensor of shape <see cref="BatchShape"/> on <paramref name="device"/> (the CPU
    /// when null), which the caller disposes. The epoch it came from is <see cref="Epoch"/> read before the call.
    /// Built-in samplers copy nothing from the host per batch: data held in memory lives on the device and batches
    /// are gathered there; streams are drawn many batches at a time.
    /// </summary>
    Tensor NextTensor(Device? device = null);

    /// <summary>The sampler's position and random state as a small byte array, for checkpoints.</summary>
    byte[] GetState();

    /// <summary>Restores a position captured by <see cref="GetState"/> from a sampler of the same dataset and batch size.</summary>
    /// <exception cref="ArgumentException">When the state is malformed or was captured for another dataset shape, size or batch size.</exception>
    void SetState(byte[] state);
}

/// <summary>
/// A dataset whose samples carry a class label in [0, <see cref="ClassCount"/>): Fashion-MNIST's classes, the mode of a
/// 2-D mixture, the labels given with your data. Its sampler is an <see cref="ILabelledBatchSampler"/>, and conditional
/// losses (those that read <c>y</c>) train only on such data.
/// </summary>
public interface ILabelledDataset : IDataset
{
    /// <summary>The number of classes K; labels lie in [0, K).</summary>
    int ClassCount { get; }

    /// <summary>A short name per class, K of them ("T-shirt/top", "mode 0"), for plots and reports.</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>
    /// The fraction of samples in each class, K values that sum to 1: the distribution the trainer draws the generator's
    /// labels <c>yz</c> from by default (uniform for the balanced built-in data).
    /// </summary>
    IReadOnlyList<double> ClassFrequencies { get; }
}

/// <summary>Draws batches with their labels from an <see cref="ILabelledDataset"/>.</summary>
public interface ILabelledBatchSampler : IBatchSampler
{
    /// <summary>
    /// Draws the next batch and its labels: the samples exactly as <see cref="IBatchSampler.NextTensor"/> would have
    /// drawn them (same random state, same position afterwards), and their labels, an int64 tensor of shape
    /// [<see cref="IBatchSampler.BatchSize"/>] on the same device. The caller disposes both.
    /// </summary>
    (Tensor Samples, Tensor Labels) NextLabelled(Device? device = null);
}

/// <summary>One batch of samples copied to the host (<see cref="BatchSamplerExtensions.Next"/>): row-major <see cref="Data"/> of shape
/// <see cref="Shape"/>.</summary>
/// <param name="Data">The values, row-major (C order).</param>
/// <param name="Shape">Batch size followed by the sample shape.</param>
/// <param name="Epoch">The epoch the batch came from (0 for infinite streams).</param>
public sealed record Batch(float[] Data, long[] Shape, long Epoch)
{
    /// <summary>Number of samples in the batch (the first dimension).</summary>
    public int Size => (int)Shape[0];
}

/// <summary>A point of the plane, used for mode centres of the 2D mixtures.</summary>
/// <param name="X">Horizontal coordinate.</param>
/// <param name="Y">Vertical coordinate.</param>
public readonly record struct Point2(double X, double Y);

/// <summary>A 2D dataset that is a mixture of isotropic Gaussians with known centres, so mode metrics apply.</summary>
public interface IMixtureDataset2D : IDataset
{
    /// <summary>The mode centres.</summary>
    IReadOnlyList<Point2> Modes { get; }

    /// <summary>Standard deviation of each coordinate around a centre.</summary>
    double ModeStd { get; }
}
