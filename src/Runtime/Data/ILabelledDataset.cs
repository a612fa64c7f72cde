namespace GanDsl.Data;

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
