using GanDsl.Torch;

namespace GanDsl.Nn;

/// <summary>
/// Batch normalisation (Ioffe and Szegedy 2015, "Batch Normalization: Accelerating Deep Network
/// Training by Reducing Internal Covariate Shift") over the channel dimension 1, as PyTorch's
/// <c>nn.BatchNorm1d/2d</c>: in training mode it normalises with the batch statistics and updates
/// the running statistics (running = (1 − momentum)·running + momentum·batch, with the unbiased
/// batch variance for <c>running_var</c>); in evaluation mode it normalises with the running statistics.
/// </summary>
/// <remarks>
/// Parameters: <c>weight</c> (ones) and <c>bias</c> (zeros) when affine. Buffers: <c>running_mean</c>
/// (zeros), <c>running_var</c> (ones), <c>num_batches_tracked</c> (int64, counts training forwards).
/// Nothing is drawn from the random generator.
/// </remarks>
public abstract class BatchNorm : Module
{
    private readonly TensorSlot? _weight;
    private readonly TensorSlot? _bias;
    private readonly TensorSlot _runningMean;
    private readonly TensorSlot _runningVar;
    private readonly TensorSlot _numBatchesTracked;

    /// <summary>Creates the layer.</summary>
    /// <param name="numFeatures">Channels C of the input [N, C, ...].</param>
    /// <param name="eps">Added to the variance for stability (PyTorch's default 1e-5).</param>
    /// <param name="momentum">Weight of the batch statistics in the running statistics (PyTorch's default 0.1).</param>
    /// <param name="affine">Whether to learn a per-channel scale and shift.</param>
    protected BatchNorm(long numFeatures, double eps, double momentum, bool affine)
    {
        if (numFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(numFeatures), $"{GetType().Name}({numFeatures}): the number of features must be positive.");
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), $"{GetType().Name}: eps must be positive, got {eps}.");
        if (!(momentum is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(momentum), $"{GetType().Name}: momentum must be in [0, 1], got {momentum}.");
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        if (affine)
        {
            _weight = RegisterParameter("weight", Torch.Torch.Ones([numFeatures]));
            _bias = RegisterParameter("bias", Torch.Torch.Zeros([numFeatures]));
        }
        _runningMean = RegisterBuffer("running_mean", Torch.Torch.Zeros([numFeatures]));
        _runningVar = RegisterBuffer("running_var", Torch.Torch.Ones([numFeatures]));
        _numBatchesTracked = RegisterBuffer("num_batches_tracked", Torch.Torch.Zeros([], DType.Int64));
    }

    /// <summary>Channels C.</summary>
    public long NumFeatures { get; }

    /// <summary>Added to the variance for stability.</summary>
    public double Eps { get; }

    /// <summary>Weight of the batch statistics in the running statistics.</summary>
    public double Momentum { get; }

    /// <summary>The per-channel scale, or null when not affine.</summary>
    public Tensor? Weight => _weight?.Value;

    /// <summary>The per-channel shift, or null when not affine.</summary>
    public Tensor? Bias => _bias?.Value;

    /// <summary>Running mean per channel.</summary>
    public Tensor RunningMean => _runningMean.Value;

    /// <summary>Running (unbiased) variance per channel.</summary>
    public Tensor RunningVar => _runningVar.Value;

    /// <summary>The input ranks this layer accepts.</summary>
    protected abstract long[] AcceptedRanks { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ThrowIfDisposed();
        var rank = input.Dim;
        if (!AcceptedRanks.Contains(rank))
            throw new ArgumentException(
                $"{GetType().Name} expects a {string.Join(" or ", AcceptedRanks.Select(r => $"{r}-d"))} input [N, C{(rank == 2 ? "" : ", ...")}], got shape [{string.Join(", ", input.Shape)}].",
                nameof(input));
        if (IsTraining) CountBatch();
        return Torch.Torch.Functional.BatchNorm(input, RunningMean, RunningVar, Weight, Bias, IsTraining, Momentum, Eps);
    }

    /// <summary>
    /// num_batches_tracked += 1, as PyTorch counts (the buffer is saved with the model; with a fixed
    /// momentum it does not enter the computation). Done on the tensor's device without reading it
    /// back, so a GPU forward does not wait for the device.
    /// </summary>
    private void CountBatch()
    {
        var tracked = _numBatchesTracked.Value;
        using var one = Torch.Torch.Ones([], DType.Int64, tracked.Device);
        using var next = tracked + one;
        tracked.CopyFrom_(next);
    }
}

/// <summary>Batch normalisation of [N, C] or [N, C, L] inputs (PyTorch's <c>nn.BatchNorm1d</c>); see <see cref="BatchNorm"/>.</summary>
public sealed class BatchNorm1d : BatchNorm
{
    /// <summary>Creates the layer with PyTorch's defaults.</summary>
    /// <param name="numFeatures">Channels C.</param>
    /// <param name="eps">Added to the variance for stability.</param>
    /// <param name="momentum">Weight of the batch statistics in the running statistics.</param>
    /// <param name="affine">Whether to learn a per-channel scale and shift.</param>
    public BatchNorm1d(long numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = true)
        : base(numFeatures, eps, momentum, affine)
    {
    }

    /// <inheritdoc/>
    protected override long[] AcceptedRanks => [2, 3];
}

/// <summary>Batch normalisation of [N, C, H, W] inputs (PyTorch's <c>nn.BatchNorm2d</c>); see <see cref="BatchNorm"/>.</summary>
public sealed class BatchNorm2d : BatchNorm
{
    /// <summary>Creates the layer with PyTorch's defaults.</summary>
    /// <param name="numFeatures">Channels C.</param>
    /// <param name="eps">Added to the variance for stability.</param>
    /// <param name="momentum">Weight of the batch statistics in the running statistics.</param>
    /// <param name="affine">Whether to learn a per-channel scale and shift.</param>
    public BatchNorm2d(long numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = true)
        : base(numFeatures, eps, momentum, affine)
    {
    }

    /// <inheritdoc/>
    protected override long[] AcceptedRanks => [4];
}

/// <summary>
/// Layer normalisation (Ba, Kiros and Hinton 2016, "Layer Normalization") over the trailing
/// dimensions given by <c>normalizedShape</c>, as PyTorch's <c>nn.LayerNorm</c>: the same in
/// training and evaluation. Parameters <c>weight</c> (ones) and <c>bias</c> (zeros) of that shape.
/// </summary>
public sealed class LayerNorm : Module
{
    private readonly TensorSlot? _weight;
    private readonly TensorSlot? _bias;
    private readonly long[] _normalizedShape;

    /// <summary>Creates the layer with PyTorch's defaults.</summary>
    /// <param name="normalizedShape">The trailing shape normalised over (for example [C, H, W] or [features]).</param>
    /// <param name="eps">Added to the variance for stability.</param>
    /// <param name="elementwiseAffine">Whether to learn a per-element scale and shift.</param>
    public LayerNorm(long[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d <= 0))
            throw new ArgumentException($"LayerNorm: the normalised shape [{string.Join(", ", normalizedShape)}] must be non-empty and positive.", nameof(normalizedShape));
        _normalizedShape = (long[])normalizedShape.Clone();
        Eps = eps;
        if (elementwiseAffine)
        {
            _weight = RegisterParameter("weight", Torch.Torch.Ones(_normalizedShape));
            _bias = RegisterParameter("bias", Torch.Torch.Zeros(_normalizedShape));
        }
    }

    /// <summary>Creates the layer over the last dimension of size <paramref name="features"/>.</summary>
    public LayerNorm(long features, double eps = 1e-5, bool elementwiseAffine = true)
        : this([features], eps, elementwiseAffine)
    {
    }

    /// <summary>The trailing shape normalised over.</summary>
    public IReadOnlyList<long> NormalizedShape => _normalizedShape;

    /// <summary>Added to the variance for stability.</summary>
    public double Eps { get; }

    /// <summary>The scale, or null.</summary>
    public Tensor? Weight => _weight?.Value;

    /// <summary>The shift, or null.</summary>
    public Tensor? Bias => _bias?.Value;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ThrowIfDisposed();
        return Torch.Torch.Functional.LayerNorm(input, _normalizedShape, Weight, Bias, Eps);
    }
}
