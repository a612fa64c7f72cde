using GanDsl.Torch;

namespace GanDsl.Nn;

/// <summary>
/// A layer whose weight spectral normalisation can replace (<see cref="SpectralNorm"/>):
/// it can run its forward with a weight other than its own.
/// </summary>
public interface IWeightedLayer
{
    /// <summary>The slot of the layer's weight parameter.</summary>
    TensorSlot WeightSlot { get; }

    /// <summary>
    /// The dimension of the weight that indexes output features: 0 for linear and convolution
    /// layers, 1 for transposed convolutions (weight [in, out, kH, kW]), as PyTorch's spectral_norm.
    /// </summary>
    int OutputDim { get; }

    /// <summary>Applies the layer with <paramref name="weight"/> in place of its own weight.</summary>
    Tensor ForwardWithWeight(Tensor input, Tensor weight);
}

/// <summary>A fully connected layer y = x Wᵀ + b (PyTorch's <c>nn.Linear</c>): weight [out, in], bias [out].</summary>
public sealed class Linear : Module, IWeightedLayer
{
    private readonly TensorSlot _weight;
    private readonly TensorSlot? _bias;

    /// <summary>
    /// Creates the layer with PyTorch's default initialisation: weight ~ kaiming_uniform(a=√5), i.e.
    /// U(±1/√in), then bias ~ U(±1/√in), drawn from the global generator in that order.
    /// </summary>
    /// <param name="inFeatures">Size of each input sample.</param>
    /// <param name="outFeatures">Size of each output sample.</param>
    /// <param name="bias">Whether to learn an additive bias.</param>
    public Linear(long inFeatures, long outFeatures, bool bias = true)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Linear({inFeatures}, {outFeatures}): both sizes must be positive.");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        _weight = RegisterParameter("weight", Init.KaimingUniform([outFeatures, inFeatures], inFeatures, Math.Sqrt(5)));
        if (bias) _bias = RegisterParameter("bias", Init.Uniform([outFeatures], Init.BiasBound(inFeatures)));
    }

    /// <summary>Size of each input sample.</summary>
    public long InFeatures { get; }

    /// <summary>Size of each output sample.</summary>
    public long OutFeatures { get; }

    /// <summary>The weight [out, in].</summary>
    public Tensor Weight => _weight.Value;

    /// <summary>The bias [out], or null.</summary>
    public Tensor? Bias => _bias?.Value;

    TensorSlot IWeightedLayer.WeightSlot => _weight;

    int IWeightedLayer.OutputDim => 0;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => ForwardWithWeight(input, Weight);

    /// <inheritdoc/>
    public Tensor ForwardWithWeight(Tensor input, Tensor weight)
    {
        ThrowIfDisposed();
        return Torch.Torch.Functional.Linear(input, weight, Bias);
    }
}
