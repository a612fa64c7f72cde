using GanDsl.Nn;
using GanDsl.Torch;

namespace GanDsl.Cli.VerifyGolden;

/// <summary>
/// A golden file's tiny network, rebuilt exactly in float64: dense layers with the file's W and b,
/// LeakyReLU(0.2) after every layer but the last. Parameters are named like PyTorch's
/// <c>nn.Sequential</c> of linear layers (<c>0.weight</c>, <c>0.bias</c>, <c>1.weight</c>, ...).
/// </summary>
public sealed class GoldenNetwork : Module
{
    private readonly List<DenseLayer> _layers = new();

    /// <summary>Builds the network from the file's layers.</summary>
    public GoldenNetwork(IReadOnlyList<GoldenLayer> layers)
    {
        for (int i = 0; i < layers.Count; i++)
            _layers.Add(RegisterModule(i.ToString(System.Globalization.CultureInfo.InvariantCulture), new DenseLayer(layers[i])));
    }

    /// <summary>The layers' (weight, bias) tensors in order, for reading gradients and clamped values.</summary>
    public IReadOnlyList<(Tensor Weight, Tensor Bias)> LayerParameters => _layers.Select(l => (l.Weight, l.Bias)).ToList();

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        using var scope = Torch.Torch.NewScope();
        var h = input;
        for (int i = 0; i < _layers.Count; i++)
        {
            h = _layers[i].Forward(h);
            if (i < _layers.Count - 1) h = h.LeakyRelu(0.2);
        }
        return scope.MoveToOuter(h);
    }

    private sealed class DenseLayer : Module
    {
        private readonly TensorSlot _weight;
        private readonly TensorSlot _bias;

        public DenseLayer(GoldenLayer layer)
        {
            _weight = RegisterParameter("weight", Torch.Torch.FromArray(layer.Weight, [layer.Out, layer.In]));
            _bias = RegisterParameter("bias", Torch.Torch.FromArray(layer.Bias, [layer.Out]));
        }

        public Tensor Weight => _weight.Value;
        public Tensor Bias => _bias.Value;

        public override Tensor Forward(Tensor input) => Torch.Torch.Functional.Linear(input, Weight, Bias);
    }
}

/// <summary>
/// Random draws replaced by a golden file's coefficients: <c>alpha</c> (one per sample) for
/// interpolations and DRAGAN's α, <c>u</c> (one per element) for DRAGAN's perturbation. A draw the
/// file has no coefficient for is an error naming the missing key, never a silent random value.
/// </summary>
public sealed class GoldenStepRandom(double[]? alpha, GoldenBatch? u) : IStepRandom
{
    /// <summary>How many per-sample draws the loss made (a check that it used the coefficients).</summary>
    public int PerSampleDraws { get; private set; }

    /// <summary>How many elementwise draws the loss made.</summary>
    public int ElementwiseDraws { get; private set; }

    /// <inheritdoc/>
    public Tensor PerSampleUniform(long batch, DType dtype, Device device)
    {
        if (alpha is null) throw new InvalidOperationException("The loss draws one coefficient per sample, but the entry has no coefficients.alpha.");
        if (alpha.Length != batch) throw new InvalidOperationException($"The loss draws {batch} per-sample coefficients, but coefficients.alpha has {alpha.Length}.");
        PerSampleDraws++;
        return Convert(Torch.Torch.FromArray(alpha, [batch]), dtype, device);
    }

    /// <inheritdoc/>
    public Tensor ElementwiseUniform(long[] shape, DType dtype, Device device)
    {
        if (u is null) throw new InvalidOperationException("The loss draws per-element noise, but the entry has no coefficients.u.");
        if (!shape.SequenceEqual(u.Shape))
            throw new InvalidOperationException($"The loss draws per-element noise of shape [{string.Join(", ", shape)}], but coefficients.u is [{string.Join(", ", u.Shape)}].");
        ElementwiseDraws++;
        return Convert(Torch.Torch.FromArray(u.Values, u.Shape), dtype, device);
    }

    private static Tensor Convert(Tensor t, DType dtype, Device device)
    {
        if (t.DType != dtype)
        {
            var converted = t.ToDType(dtype);
            if (!ReferenceEquals(converted, t)) t.Dispose();
            t = converted;
        }
        if (device.Type == DeviceType.Cpu) return t;
        var moved = t.ToDevice(device);
        if (!ReferenceEquals(moved, t)) t.Dispose();
        return moved;
    }
}
