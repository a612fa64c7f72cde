namespace GanDsl.Data;

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
