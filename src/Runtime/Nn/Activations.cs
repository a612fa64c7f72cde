using GanDsl.Torch;

namespace GanDsl.Nn;

/// <summary>max(0, x) (PyTorch's <c>nn.ReLU</c>).</summary>
public sealed class ReLU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Relu();
}

/// <summary>max(0, x) + slope·min(0, x) (PyTorch's <c>nn.LeakyReLU</c>; Maas et al. 2013).</summary>
public sealed class LeakyReLU : Module
{
    /// <summary>Creates the activation.</summary>
    /// <param name="negativeSlope">Slope for negative inputs (PyTorch's default 0.01; GANs often use 0.2).</param>
    public LeakyReLU(double negativeSlope = 0.01) => NegativeSlope = negativeSlope;

    /// <summary>Slope for negative inputs.</summary>
    public double NegativeSlope { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.LeakyRelu(NegativeSlope);
}

/// <summary>The hyperbolic tangent (PyTorch's <c>nn.Tanh</c>).</summary>
public sealed class Tanh : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Tanh();
}

/// <summary>The logistic function 1/(1 + e^−x) (PyTorch's <c>nn.Sigmoid</c>).</summary>
public sealed class Sigmoid : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Sigmoid();
}
