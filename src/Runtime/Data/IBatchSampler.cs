using static TorchSharp.torch;

namespace GanDsl.Data;

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
