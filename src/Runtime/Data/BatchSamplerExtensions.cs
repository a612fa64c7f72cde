using GanDsl.Formats;

namespace GanDsl.Data;

/// <summary>Host copies of a sampler's batches, for code that reads values on the CPU (plots, 2-D metrics, tests).</summary>
public static class BatchSamplerExtensions
{
    /// <summary>Draws the next batch (<see cref="IBatchSampler.NextTensor"/>) and copies it to a new host array.</summary>
    public static Batch Next(this IBatchSampler sampler)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        var epoch = sampler.Epoch;
        using var batch = sampler.NextTensor();
        return new Batch(batch.HostFloats(), (long[])sampler.BatchShape.Clone(), epoch);
    }

    /// <summary>
    /// Draws the next batch into <paramref name="destination"/> (length = product of <see cref="IBatchSampler.BatchShape"/>).
    /// Returns the epoch the batch came from.
    /// </summary>
    public static long NextInto(this IBatchSampler sampler, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        var size = ShapeUtil.Product(sampler.BatchShape);
        if (destination.Length != size)
            throw new ArgumentException($"The destination holds {destination.Length} floats; a batch of shape {ShapeUtil.Format(sampler.BatchShape)} " +
                $"needs {size}.", nameof(destination));
        var epoch = sampler.Epoch;
        using var batch = sampler.NextTensor();
        using var host = batch.contiguous();
        host.data<float>().CopyTo(destination);
        return epoch;
    }
}
