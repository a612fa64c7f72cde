using static TorchSharp.torch;

namespace GanDsl.Data;

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
