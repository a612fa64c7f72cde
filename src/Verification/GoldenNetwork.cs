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
/// A label-taking network built from one that takes a batch alone: <c>(v, labels) → inner([v, one_hot(labels, K)])</c>,
/// the labels' one-hot (float, K columns) appended to each sample's features. It is how a golden file's nets with
/// <c>label_input: "one-hot"</c> take <c>D(x, y)</c> and <c>G(z, yz)</c> (docs/golden-files.md), and how
/// <see cref="GradientChecker"/> conditions its networks; the inner module must take In = features + K.
/// </summary>
public sealed class OneHotLabelNetwork : nn.Module<Tensor, Tensor, Tensor>, IBatchIndependent
{
    private readonly nn.Module<Tensor, Tensor> _inner;

    /// <summary>Wraps <paramref name="inner"/>, which takes [B, features + <paramref name="classes"/>].</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is below 1.</exception>
    public OneHotLabelNetwork(nn.Module<Tensor, Tensor> inner, int classes) : base("OneHotLabelNetwork")
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        _inner = inner;
        Classes = classes;
        register_module("inner", inner);
    }

    /// <summary>K, the number of classes (columns of the one-hot).</summary>
    public int Classes { get; }

    /// <summary>The module the one-hot-extended batch goes through.</summary>
    public nn.Module<Tensor, Tensor> Inner => _inner;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The labels are not int64 [B] for a batch of B samples, or a label is outside [0, K).</exception>
    public override Tensor forward(Tensor input, Tensor labels)
    {
        if (labels.dtype != ScalarType.Int64 || labels.dim() != 1 || labels.shape[0] != input.shape[0])
            throw new ArgumentException($"{nameof(OneHotLabelNetwork)} needs int64 labels [{input.shape[0]}] for a batch " +
                $"{string.Join("x", input.shape)}, but got {labels.dtype} [{string.Join(", ", labels.shape)}].", nameof(labels));
        if (labels.numel() > 0 && (labels.min().item<long>() < 0 || labels.max().item<long>() >= Classes))
            throw new ArgumentException($"{nameof(OneHotLabelNetwork)}: a label is outside [0, {Classes}).", nameof(labels));
        using var scope = torch.NewDisposeScope();
        var oneHot = nn.functional.one_hot(labels, Classes).to_type(input.dtype);
        return _inner.call(torch.cat([input.flatten(1), oneHot], 1)).MoveToOuterDisposeScope();
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
        if (alpha.Length != batch) throw new InvalidOperationException($"The loss draws {batch} per-sample coefficients, but coefficients.alpha has " +
            $"{alpha.Length}.");
        PerSampleDraws++;
        return torch.tensor(alpha, [batch], dtype, device);
    }

    /// <inheritdoc/>
    public Tensor ElementwiseUniform(long[] shape, ScalarType dtype, Device device)
    {
        if (u is null) throw new InvalidOperationException("The loss draws per-element noise, but the entry has no coefficients.u.");
        if (!shape.SequenceEqual(u.Shape))
            throw new InvalidOperationException($"The loss draws per-element noise of shape [{string.Join(", ", shape)}], but coefficients.u is " +
                $"[{string.Join(", ", u.Shape)}].");
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
            throw new InvalidOperationException($"The loss draws normal noise of shape [{string.Join(", ", shape)}], but coefficients.n is " +
                $"[{string.Join(", ", n.Shape)}].");
        NormalDraws++;
        return torch.tensor(n.Values, n.Shape, dtype, device);
    }
}
