using GanDsl.Formats;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Data;

/// <summary>
/// A finite dataset whose samples carry class labels: the samples of another finite dataset (a <c>.npy</c> file, a
/// tensor, Fashion-MNIST's images, a TorchSharp dataset) and one int64 label per sample, held in memory and on the
/// run's device. Its sampler (<see cref="ILabelledBatchSampler"/>) draws exactly the batches the unlabelled data would
/// and gathers their labels at the same indices, on the device. Made by
/// <see cref="UserData.FromTensor(Tensor, Tensor, string, int?, IReadOnlyList{string}?)"/>,
/// <see cref="UserData.FromDataset(utils.data.Dataset, string, string, string?, int?)"/>, <see cref="Datasets.Create"/> with a
/// labels file, and <see cref="FashionMnist.LoadLabelled"/>.
/// </summary>
public sealed class LabelledFiniteDataset : FiniteDataset, ILabelledDataset
{
    private readonly FiniteDataset _samples;
    private readonly InMemorySamples _labels;
    private readonly string[] _classNames;
    private readonly double[] _frequencies;

    private LabelledFiniteDataset(FiniteDataset samples, ClassLabels.Checked labels, string[] classNames)
    {
        _samples = samples;
        _labels = new InMemorySamples(labels.Values);
        ClassCount = labels.ClassCount;
        _frequencies = labels.Frequencies;
        _classNames = classNames;
    }

    /// <summary>
    /// <paramref name="samples"/> with <paramref name="labels"/> (checked by <see cref="ClassLabels.Check"/>; copied), the
    /// classes named <paramref name="classNames"/> or "class 0", "class 1", ...
    /// </summary>
    /// <exception cref="ArgumentException">The labels do not fit the samples (the message names <paramref name="what"/>), or the names do not fit the
    /// classes.</exception>
    internal static LabelledFiniteDataset Create(FiniteDataset samples, Tensor labels, string what, int? classCount, IReadOnlyList<string>? classNames,
        string parameter)
    {
        var checkedLabels = ClassLabels.Check(labels, samples.SampleCount, what, classCount, parameter);
        if (classNames is not null && classNames.Count != checkedLabels.ClassCount)
        {
            checkedLabels.Values.Dispose();
            throw new ArgumentException($"{what}: {classNames.Count} class names for {checkedLabels.ClassCount} classes; give one name per class.",
                nameof(classNames));
        }
        var names = classNames?.ToArray() ?? Enumerable.Range(0, checkedLabels.ClassCount).Select(k => $"class {k}").ToArray();
        return new LabelledFiniteDataset(samples, checkedLabels, names);
    }

    /// <inheritdoc/>
    public override string Name => _samples.Name;

    /// <inheritdoc/>
    public override IReadOnlyList<long> SampleShape => _samples.SampleShape;

    /// <inheritdoc/>
    public override long SampleCount => _samples.SampleCount;

    /// <inheritdoc/>
    public int ClassCount { get; }

    /// <inheritdoc/>
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>The fraction of the samples in each class (a class without samples has 0).</summary>
    public IReadOnlyList<double> ClassFrequencies => _frequencies;

    /// <summary>The same samples without their labels.</summary>
    public FiniteDataset Unlabelled => _samples;

    /// <inheritdoc/>
    public override Tensor GetBatch(Tensor indices) => _samples.GetBatch(indices);

    /// <summary>The labels at <paramref name="indices"/> (int64, on the indices' device), which the caller disposes.</summary>
    public Tensor GetLabels(Tensor indices) => _labels.Gather(indices);
}

/// <summary>The checks every source of class labels passes (tensors, <c>.npy</c> files, TorchSharp datasets, IDX files).</summary>
internal static class ClassLabels
{
    /// <summary>More classes than this is taken for a stray value rather than a class index.</summary>
    public const int MaxClasses = 1 << 20;

    /// <summary>Labels that passed <see cref="Check"/>: int64 [N] on the CPU, the class count and each class's share.</summary>
    public sealed record Checked(Tensor Values, int ClassCount, double[] Frequencies);

    /// <summary>
    /// Checks <paramref name="labels"/> as the class indices of <paramref name="sampleCount"/> samples and returns an int64
    /// copy on the CPU. Accepted: a 1-d tensor of integers, or of floats that all hold whole numbers (labels saved beside
    /// float data); refused with a message starting with <paramref name="what"/>: bool, complex or fractional values, a
    /// 2-d array (one-hot or scores: pass their argmax), another length than the samples, negative values, a
    /// <paramref name="classCount"/> that does not exceed the largest label. K is <paramref name="classCount"/>, or the
    /// largest label + 1; a class with no sample is allowed (its frequency is 0).
    /// </summary>
    /// <exception cref="ArgumentException">The labels cannot be class indices of these samples.</exception>
    public static Checked Check(Tensor labels, long sampleCount, string what, int? classCount, string parameter)
    {
        ArgumentNullException.ThrowIfNull(labels, parameter);
        var shape = ShapeUtil.Format(labels.shape);
        if (labels.dtype == ScalarType.Bool || labels.is_complex())
            throw new ArgumentException($"{what} are {labels.dtype}; labels are integer class indices 0, 1, ..., K-1 (int64, int32, uint8, ...).", parameter);
        if (labels.dim() == 2)
            throw new ArgumentException(labels.shape[1] == 1
                ? $"{what} have shape {shape}; labels are one class index per sample, shape [{labels.shape[0]}]: flatten them (labels.flatten())."
                : $"{what} have shape {shape}, one row of {labels.shape[1]} values per sample (one-hot or class scores?); labels are one class index " +
                    $"per sample, shape [{labels.shape[0]}]: pass labels.argmax(1).", parameter);
        if (labels.dim() != 1)
            throw new ArgumentException($"{what} have shape {shape}; labels are one class index per sample, shape [N].", parameter);
        if (labels.shape[0] != sampleCount)
            throw new ArgumentException($"{what} hold {labels.shape[0]} labels for {sampleCount} samples; give one label per sample, in the samples' order.",
                parameter);
        using var scope = NewDisposeScope();
        var host = labels.detach().cpu();
        if (host.is_floating_point())
        {
            var fractional = (host != host.floor()).logical_or(host.isfinite().logical_not()).nonzero();
            if (fractional.shape[0] > 0)
            {
                var i = fractional[0, 0].item<long>();
                throw new ArgumentException($"{what} are {labels.dtype} with label {i} = {host[i].to_type(ScalarType.Float64).item<double>()}, not a " +
                    "whole number: labels are class indices 0, 1, ..., K-1.", parameter);
            }
        }
        var values = host.to_type(ScalarType.Int64, copy: true);
        var negative = (values < 0).nonzero();
        if (negative.shape[0] > 0)
        {
            var i = negative[0, 0].item<long>();
            throw new ArgumentException($"{what}: label {i} is {values[i].item<long>()}; labels are class indices 0, 1, ..., K-1, never negative.", parameter);
        }
        var largest = values.max().item<long>();
        if (largest >= MaxClasses)
            throw new ArgumentException($"{what}: label {values.argmax().item<long>()} is {largest}; labels are class indices 0, 1, ..., K-1 with K at " +
                $"most {MaxClasses}.", parameter);
        if (classCount is { } k && (k <= largest || k <= 0))
            throw new ArgumentException($"{what}: the class count {k} does not cover label {largest}; give at least {largest + 1} (or leave it out: K " +
                "is then the largest label + 1).", parameter);
        var count = classCount ?? (int)largest + 1;
        var frequencies = values.bincount(null, count).to_type(ScalarType.Float64).div(sampleCount).data<double>().ToArray();
        return new Checked(values.DetachFromDisposeScope(), count, frequencies);
    }
}
