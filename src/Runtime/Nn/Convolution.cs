using GanDsl.Torch;

namespace GanDsl.Nn;

/// <summary>
/// What <see cref="Conv2d"/> and <see cref="ConvTranspose2d"/> share (groups 1, dilation 1, square
/// kernels): the hyperparameters, and a weight and optional bias with PyTorch's default
/// initialisation: weight ~ kaiming_uniform(a=√5), then bias ~ U(±1/√fanIn), drawn from the global
/// generator in that order, with the fan taken from the weight's dimension 1 as PyTorch does.
/// </summary>
public abstract class ConvolutionLayer : Module, IWeightedLayer
{
    private readonly TensorSlot _weight;
    private readonly TensorSlot? _bias;

    private protected ConvolutionLayer(string layer, long[] weightShape, long inChannels, long outChannels, long kernelSize,
        long stride, long padding, long outputPadding, bool bias)
    {
        if (inChannels <= 0 || outChannels <= 0 || kernelSize <= 0 || stride <= 0 || padding < 0 || outputPadding < 0)
            throw new ArgumentOutOfRangeException(nameof(inChannels),
                $"{layer}(in {inChannels}, out {outChannels}, kernel {kernelSize}, stride {stride}, padding {padding}): " +
                "channels, kernel and stride must be positive and paddings not negative.");
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        var fanIn = Init.FanIn(weightShape);
        _weight = RegisterParameter("weight", Init.KaimingUniform(weightShape, fanIn, Math.Sqrt(5)));
        if (bias) _bias = RegisterParameter("bias", Init.Uniform([outChannels], Init.BiasBound(fanIn)));
    }

    /// <summary>Channels of the input.</summary>
    public long InChannels { get; }

    /// <summary>Channels of the output.</summary>
    public long OutChannels { get; }

    /// <summary>Kernel height and width.</summary>
    public long KernelSize { get; }

    /// <summary>Stride in both directions.</summary>
    public long Stride { get; }

    /// <summary>Padding: added to every side of the input (convolution) or removed from every side of the output (transposed).</summary>
    public long Padding { get; }

    /// <summary>The weight: [out, in, k, k] for a convolution, [in, out, k, k] for a transposed one.</summary>
    public Tensor Weight => _weight.Value;

    /// <summary>The bias [out], or null.</summary>
    public Tensor? Bias => _bias?.Value;

    TensorSlot IWeightedLayer.WeightSlot => _weight;

    /// <inheritdoc/>
    public abstract int OutputDim { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => ForwardWithWeight(input, Weight);

    /// <inheritdoc/>
    public abstract Tensor ForwardWithWeight(Tensor input, Tensor weight);
}

/// <summary>A 2-d convolution (PyTorch's <c>nn.Conv2d</c>, groups 1, dilation 1): weight [out, in, k, k], bias [out].</summary>
public sealed class Conv2d : ConvolutionLayer
{
    /// <summary>Creates the layer with PyTorch's default initialisation (fanIn = in·k·k).</summary>
    /// <param name="inChannels">Channels of the input.</param>
    /// <param name="outChannels">Channels of the output.</param>
    /// <param name="kernelSize">Height and width of the (square) kernel.</param>
    /// <param name="stride">Stride in both directions.</param>
    /// <param name="padding">Zero padding on every side.</param>
    /// <param name="bias">Whether to learn an additive bias.</param>
    public Conv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, bool bias = true)
        : base(nameof(Conv2d), [outChannels, inChannels, kernelSize, kernelSize], inChannels, outChannels, kernelSize, stride, padding, 0, bias)
    {
    }

    /// <inheritdoc/>
    public override int OutputDim => 0;

    /// <inheritdoc/>
    public override Tensor ForwardWithWeight(Tensor input, Tensor weight)
    {
        ThrowIfDisposed();
        return Torch.Torch.Functional.Conv2d(input, weight, Bias, Stride, Padding);
    }
}

/// <summary>
/// A 2-d transposed convolution (PyTorch's <c>nn.ConvTranspose2d</c>, groups 1, dilation 1):
/// weight [in, out, k, k], bias [out]. Output size: (H−1)·stride − 2·padding + k + outputPadding.
/// </summary>
public sealed class ConvTranspose2d : ConvolutionLayer
{
    /// <summary>Creates the layer with PyTorch's default initialisation (fanIn = out·k·k: PyTorch takes the fan from weight dimension 1).</summary>
    /// <param name="inChannels">Channels of the input.</param>
    /// <param name="outChannels">Channels of the output.</param>
    /// <param name="kernelSize">Height and width of the (square) kernel.</param>
    /// <param name="stride">Stride in both directions.</param>
    /// <param name="padding">Implicit padding removed from every side of the output.</param>
    /// <param name="outputPadding">Extra rows and columns added to one side of the output (less than stride).</param>
    /// <param name="bias">Whether to learn an additive bias.</param>
    public ConvTranspose2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0,
        long outputPadding = 0, bool bias = true)
        : base(nameof(ConvTranspose2d), [inChannels, outChannels, kernelSize, kernelSize], inChannels, outChannels, kernelSize, stride, padding,
            outputPadding < stride ? outputPadding
                : throw new ArgumentOutOfRangeException(nameof(outputPadding), $"ConvTranspose2d: outputPadding ({outputPadding}) must be smaller than stride ({stride})."),
            bias)
    {
        OutputPadding = outputPadding;
    }

    /// <summary>Extra rows and columns on one side of the output.</summary>
    public long OutputPadding { get; }

    /// <inheritdoc/>
    public override int OutputDim => 1;

    /// <inheritdoc/>
    public override Tensor ForwardWithWeight(Tensor input, Tensor weight)
    {
        ThrowIfDisposed();
        return Torch.Torch.Functional.ConvTranspose2d(input, weight, Bias, Stride, Padding, OutputPadding);
    }
}
