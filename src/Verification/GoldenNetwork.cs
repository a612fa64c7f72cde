using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GanDsl.Verification;

/// <summary>
/// A golden file's tiny network, rebuilt exactly in float64: dense layers with the file's W and b,
/// LeakyReLU(0.2) after every layer but the last. Parameters are named like PyTorch's
/// <c>nn.Sequential</c> of linear layers (<c>0.weight</c>, <c>0.bias</c>, <c>1.weight</c>, ...).
/// </summary>
public sealed class GoldenNetwork : nn.Module<Tensor, Tensor>
{
    private readonly Linear[] _layers;

    /// <summary>Builds the network from the file's layers.</summary>
    public GoldenNetwork(IReadOnlyList<GoldenLayer> layers) : base("GoldenNetwork")
    {
        _layers = new Linear[layers.Count];
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var linear = nn.Linear(layer.In, layer.Out, dtype: ScalarType.Float64);
            using (torch.no_grad())
            {
                linear.weight!.copy_(torch.tensor(layer.Weight, [layer.Out, layer.In], ScalarType.Float64));
                linear.bias!.copy_(torch.tensor(layer.Bias, [layer.Out], ScalarType.Float64));
            }
            _layers[i] = linear;
            register_module(i.ToString(System.Globalization.CultureInfo.InvariantCulture), linear);
        }
    }

    /// <summary>The layers' (weight, bias) tensors in order, for reading gradients and clamped values.</summary>
    public IReadOnlyList<(Parameter Weight, Parameter Bias)> LayerParameters => _layers.Select(l => (l.weight!, l.bias!)).ToList();

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var h = input;
        for (int i = 0; i < _layers.Length; i++)
        {
            h = _layers[i].call(h);
            if (i < _layers.Length - 1) h = nn.functional.leaky_relu(h, 0.2);
        }
        return h.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Random draws replaced by a golden file's coefficients: <c>alpha</c> (one per sample) for
/// interpolations and DRAGAN's α, <c>u</c> (one per element) for DRAGAN's perturbation, <c>n</c> (one
/// N(0, 1) value per element) for jitters and point augmentations. Every draw of a kind returns the file's
/// values. A draw the file has no coefficient for is an error naming the missing key, never a silent random value.
/// </summary>
public sealed class GoldenStepRandom(double[]? alpha, GoldenBatch? u, GoldenBatch? n = null) : IStepRandom
{
    /// <summary>How many per-sample draws the loss made (a check that it used the coefficients).</summary>
    public int PerSampleDraws { get; private set; }

    /// <summary>How many elementwise draws the loss made.</summary>
    public int ElementwiseDraws { get; private set; }

    /// <inheritdoc/>
    public Tensor PerSampleUniform(long batch, ScalarType dtype, Device device)
    {
        if (alpha is null) throw new InvalidOperationException("The loss draws one coefficient per sample, but the entry has no coefficients.alpha.");
        if (alpha.Length != batch) throw new InvalidOperationException($"The loss draws {batch} per-sample coefficients, but coefficients.alpha has {alpha.Length}.");
        PerSampleDraws++;
        return torch.tensor(alpha, [batch], dtype, device);
    }

    /// <inheritdoc/>
    public Tensor ElementwiseUniform(long[] shape, ScalarType dtype, Device device)
    {
        if (u is null) throw new InvalidOperationException("The loss draws per-element noise, but the entry has no coefficients.u.");
        if (!shape.SequenceEqual(u.Shape))
            throw new InvalidOperationException($"The loss draws per-element noise of shape [{string.Join(", ", shape)}], but coefficients.u is [{string.Join(", ", u.Shape)}].");
        ElementwiseDraws++;
        return torch.tensor(u.Values, u.Shape, dtype, device);
    }

    /// <summary>How many normal draws the loss made.</summary>
    public int NormalDraws { get; private set; }

    /// <inheritdoc/>
    public Tensor ElementwiseNormal(long[] shape, ScalarType dtype, Device device)
    {
        if (n is null) throw new InvalidOperationException("The loss draws normal noise, but the entry has no coefficients.n.");
        if (!shape.SequenceEqual(n.Shape))
            throw new InvalidOperationException($"The loss draws normal noise of shape [{string.Join(", ", shape)}], but coefficients.n is [{string.Join(", ", n.Shape)}].");
        NormalDraws++;
        return torch.tensor(n.Values, n.Shape, dtype, device);
    }
}
