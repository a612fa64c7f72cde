using GanDsl.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Training;

/// <summary>
/// Class labels for conditional losses (those whose <see cref="LossInfo.UsesLabels"/>): the real batch is drawn with its
/// labels <c>y</c> (<see cref="ILabelledBatchSampler.NextLabelled"/>, the same samples <see cref="IBatchSampler.NextTensor"/>
/// would give), and the generator's labels <c>yz</c> are drawn right after the noise, from the noise generator, so a
/// checkpoint's noise state already holds their position and a resumed run continues them exactly. A loss without labels
/// draws exactly as before: no labels are read and nothing extra is drawn.
/// </summary>
public sealed partial class Trainer
{
    /// <summary>The sampler's labelled view and the distribution of <c>yz</c>; null when the loss uses no labels.</summary>
    private LabelDraws? _labels;

    /// <param name="Sampler">The data's sampler, which draws batches with their labels.</param>
    /// <param name="Probabilities">The weight of each class for <c>yz</c> (float64 [K] on the run's device): the data's frequencies, or all ones.</param>
    /// <param name="ClassCount">K.</param>
    private sealed record LabelDraws(ILabelledBatchSampler Sampler, Tensor Probabilities, int ClassCount);

    /// <summary>
    /// Checks at setup that a loss that uses labels has labelled data (a built-in labelled dataset, labels given with the
    /// user's data) whose class count and frequencies are usable; a loss without labels needs nothing.
    /// </summary>
    /// <exception cref="TrainingSetupException">The loss uses labels and the data has none, or its classes are malformed.</exception>
    private static void CheckLabels(LossInfo info, IDataset dataset, TrainOptions options)
    {
        if (!info.UsesLabels) return;
        if (dataset is not ILabelledDataset labelled)
        {
            var how = dataset switch
            {
                SwissRoll2D => "The swissroll has no classes: train it on ring or grid (labelled with their modes) or fashion-mnist (its classes).",
                _ when Path.GetExtension(dataset.Name).Equals(".npy", StringComparison.OrdinalIgnoreCase) =>
                    "Give one class index per sample in a .npy file with TrainOptions.Labels, or in C# UserData.FromTensor(x, y).",
                _ => "Use labelled data: ring, grid or fashion-mnist; UserData.FromTensor(x, y) or UserData.FromDataset(..., labelKey: \"label\") for " +
                    "your own; or a .npy file of class indices with TrainOptions.Labels.",
            };
            throw new TrainingSetupException($"Loss '{info.Name}' uses class labels (y, yz or a network called with labels), but the data " +
                $"'{dataset.Name}' has none. {how}");
        }
        string Problem(string what) => $"The data '{dataset.Name}' ({dataset.GetType().Name}) {what}; loss '{info.Name}' needs labelled data with K >= " +
            "1 classes and K class frequencies.";
        var k = labelled.ClassCount;
        if (k <= 0) throw new TrainingSetupException(Problem($"has ClassCount {k}"));
        var frequencies = labelled.ClassFrequencies;
        if (frequencies is null || frequencies.Count != k)
            throw new TrainingSetupException(Problem($"gives {frequencies?.Count.ToString() ?? "no"} class frequencies for {k} classes"));
        if (options.NoiseLabels == LabelDistribution.DataFrequencies && (frequencies.Any(f => !(f >= 0) || double.IsInfinity(f)) || !(frequencies.Sum() > 0)))
            throw new TrainingSetupException(Problem($"gives class frequencies [{string.Join(", ", frequencies)}], not non-negative with a positive sum"));
    }

    /// <summary>Prepares the draws of <see cref="DrawRealBatch"/> and <see cref="DrawNoiseLabels"/> (after <see cref="CheckLabels"/>).</summary>
    private void PrepareLabels()
    {
        if (!_loss.Info.UsesLabels) return;
        var labelled = (ILabelledDataset)_dataset;
        if (_sampler is not ILabelledBatchSampler sampler)
            throw new TrainingSetupException($"The data '{_dataset.Name}' ({_dataset.GetType().Name}) is labelled, but its sampler " +
                $"({_sampler.GetType().Name}) does not draw labels: CreateSampler must return an ILabelledBatchSampler for loss '{_loss.Info.Name}'.");
        var weights = _options.NoiseLabels == LabelDistribution.Uniform
            ? torch.ones(labelled.ClassCount, ScalarType.Float64, _device)
            : torch.tensor(labelled.ClassFrequencies.ToArray(), ScalarType.Float64, _device);
        _labels = new LabelDraws(sampler, weights.DetachFromDisposeScope(), labelled.ClassCount);
    }

    /// <summary>
    /// This step's real batch (this rank's rows) and, for a loss that uses labels, its labels; a loss without labels
    /// draws with <see cref="IBatchSampler.NextTensor"/> as it always did.
    /// </summary>
    private (Tensor Real, Tensor? Labels) DrawRealBatch()
    {
        if (_labels is null) return (LocalRows(_sampler.NextTensor(_device)), null);   // already on the device: no host copy per step
        var (real, labels) = _labels.Sampler.NextLabelled(_device);
        // Shape and dtype are metadata (no device synchronisation); a user's sampler that breaks the contract is named here.
        if (labels is null || labels.dtype != ScalarType.Int64 || labels.shape is not [var n] || n != _batchSize)
            throw new InvalidOperationException(
                $"{_sampler.GetType().Name}.NextLabelled " +
                $"returned labels {(labels is null ? "null" : $"of {labels.dtype} {Formats.ShapeUtil.Format(labels.shape)}")}; " +
                $"they must be int64 of shape [{_batchSize}], one class per sample.");
        return (LocalRows(real), LocalRows(labels));   // [data-parallel] each rank's rows of both
    }

    /// <summary>
    /// The generator's labels <c>yz</c> for this step (this rank's rows), drawn with replacement from the noise generator
    /// right after the noise; null when the loss uses no labels (nothing is drawn then).
    /// </summary>
    private Tensor? DrawNoiseLabels() => _labels is null ? null
        : LocalRows(torch.multinomial(_labels.Probabilities, _batchSize, replacement: true, generator: _noiseGenerator));

    /// <summary>K for the step context: the data's class count when the loss uses labels, otherwise 0.</summary>
    private int StepClassCount => _labels?.ClassCount ?? 0;
}
