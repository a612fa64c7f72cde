using GanDsl.Torch;

namespace GanDsl.Nn;

/// <summary>
/// Spectral normalisation of a layer's weight (Miyato et al. 2018, "Spectral Normalization for
/// Generative Adversarial Networks"), as PyTorch's <c>torch.nn.utils.spectral_norm</c>: the layer
/// runs with W / σ(W), where σ is estimated by power iteration on the weight viewed as a matrix.
/// </summary>
/// <remarks>
/// <para>
/// The wrapper takes the layer's place and its tensor names, as PyTorch's hook does: the weight
/// becomes the parameter <c>weight_orig</c> (listed after the layer's other parameters, where
/// PyTorch re-registers it), and the power-iteration vectors are the buffers <c>weight_u</c> [h]
/// and <c>weight_v</c> [w], where the weight matrix is h × w with h the size of the output
/// dimension (0, or 1 for transposed convolutions). Both are drawn from N(0, 1) on the global
/// generator (u first) and normalised, so a seeded build matches PyTorch's.
/// </para>
/// <para>
/// Each forward in training mode first runs the power iteration (v ← normalize(Wᵀu),
/// u ← normalize(Wv)) without gradients, updating the buffers in place, then computes
/// σ = uᵀWv with gradients flowing through W only. In evaluation mode the stored u and v are used
/// as they are.
/// </para>
/// </remarks>
public sealed class SpectralNorm : Module
{
    private readonly Module _layer;
    private readonly IWeightedLayer _weighted;
    private readonly TensorSlot _u;
    private readonly TensorSlot _v;

    /// <summary>Wraps <paramref name="layer"/>; the wrapper takes ownership of it.</summary>
    /// <param name="layer">A <see cref="Linear"/>, <see cref="Conv2d"/> or <see cref="ConvTranspose2d"/> (any <see cref="IWeightedLayer"/>).</param>
    /// <param name="powerIterations">Power-iteration steps per training forward (PyTorch's default 1).</param>
    /// <param name="eps">Lower bound of the norms divided by in the normalisations (PyTorch's default 1e-12).</param>
    /// <param name="dim">The weight dimension of the outputs; by default the layer's (0, or 1 for transposed convolutions).</param>
    public SpectralNorm(Module layer, int powerIterations = 1, double eps = 1e-12, int? dim = null)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (layer is not IWeightedLayer weighted)
            throw new ArgumentException($"Spectral normalisation needs a layer with a weight (Linear, Conv2d, ConvTranspose2d), not {layer.GetType().Name}.", nameof(layer));
        if (powerIterations < 0) throw new ArgumentOutOfRangeException(nameof(powerIterations), "The number of power iterations cannot be negative.");
        _layer = layer;
        _weighted = weighted;
        PowerIterations = powerIterations;
        Eps = eps;
        var weight = weighted.WeightSlot.Value;
        var rank = weight.Dim;
        Dim = dim ?? weighted.OutputDim;
        if (Dim < 0 || Dim >= rank) throw new ArgumentOutOfRangeException(nameof(dim), $"Dimension {Dim} is out of range for a weight of rank {rank}.");
        var height = weight.Shape[Dim];
        var width = weight.NumEl / height;
        using (Torch.Torch.NoGrad())
        {
            // Drawn in PyTorch's order (u, then v), so seeded builds agree.
            using var u0 = Torch.Torch.Randn([height], weight.DType, weight.Device);
            using var v0 = Torch.Torch.Randn([width], weight.DType, weight.Device);
            _u = RegisterBuffer("weight_u", Normalize(u0));
            _v = RegisterBuffer("weight_v", Normalize(v0));
        }
    }

    /// <summary>The wrapped layer.</summary>
    public Module Layer => _layer;

    /// <summary>Power-iteration steps per training forward.</summary>
    public int PowerIterations { get; }

    /// <summary>Lower bound of the norms in the normalisations.</summary>
    public double Eps { get; }

    /// <summary>The weight dimension that indexes outputs (the matrix rows).</summary>
    public int Dim { get; }

    /// <summary>The unnormalised weight (<c>weight_orig</c>), the trained parameter.</summary>
    public Tensor WeightOrig => _weighted.WeightSlot.Value;

    /// <inheritdoc/>
    public override IEnumerable<(string Name, Tensor Parameter)> NamedParameters()
    {
        var weight = WeightOrig;
        foreach (var (name, t) in _layer.NamedParameters())
            if (!ReferenceEquals(t, weight)) yield return (name, t);
        yield return ("weight_orig", weight);
    }

    /// <inheritdoc/>
    public override IEnumerable<(string Name, Tensor Buffer)> NamedBuffers() =>
        _layer.NamedBuffers().Concat(base.NamedBuffers());

    internal override IEnumerable<TensorSlot> AllSlots() => base.AllSlots().Concat(_layer.AllSlots());

    internal override IEnumerable<Module> WrappedModules() => [_layer];

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ThrowIfDisposed();
        using var weight = NormalizedWeight(powerIteration: IsTraining);
        return _weighted.ForwardWithWeight(input, weight);
    }

    /// <summary>
    /// W / σ(W) with the current u and v, after <see cref="PowerIterations"/> power-iteration steps
    /// when <paramref name="powerIteration"/> is true (which updates the buffers). Differentiable with
    /// respect to <see cref="WeightOrig"/>.
    /// </summary>
    public Tensor NormalizedWeight(bool powerIteration)
    {
        ThrowIfDisposed();
        var weight = WeightOrig;
        using var matrix = WeightMatrix(weight);
        var u = _u.Value;
        var v = _v.Value;
        Tensor? uUsed = null, vUsed = null;
        try
        {
            if (powerIteration && PowerIterations > 0)
            {
                using (Torch.Torch.NoGrad())
                {
                    using var transposed = matrix.T();
                    for (var i = 0; i < PowerIterations; i++)
                    {
                        using (var wtu = transposed.Matmul(u))
                        using (var vNew = Normalize(wtu))
                            v.CopyFrom_(vNew);
                        using (var wv = matrix.Matmul(v))
                        using (var uNew = Normalize(wv))
                            u.CopyFrom_(uNew);
                    }
                    // σ's graph must hold copies: the next forward updates the buffers in place, and
                    // a backward through two forwards (D(x) and D(G(z)) in one loss) would fail.
                    uUsed = u.Clone();
                    vUsed = v.Clone();
                }
            }
            using var matrixV = matrix.Matmul(vUsed ?? v);
            using var sigma = (uUsed ?? u).Matmul(matrixV);
            return weight / sigma;
        }
        finally
        {
            uUsed?.Dispose();
            vUsed?.Dispose();
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) _layer.Dispose();
    }

    /// <summary>The weight as an h × w matrix, the output dimension first (PyTorch's reshape_weight_to_matrix).</summary>
    private Tensor WeightMatrix(Tensor weight)
    {
        var height = weight.Shape[Dim];
        if (Dim == 0) return weight.Reshape(height, -1);
        using var permuted = MoveToFront(weight, Dim);
        return permuted.Reshape(height, -1);
    }

    private static Tensor MoveToFront(Tensor weight, int dim)
    {
        // Successive adjacent transposes bring `dim` to the front keeping the others in order,
        // as PyTorch's permute(dim, 0, 1, ...).
        var current = weight.Transpose(dim, dim - 1);
        for (var d = dim - 1; d > 0; d--)
        {
            var next = current.Transpose(d, d - 1);
            current.Dispose();
            current = next;
        }
        return current;
    }

    /// <summary>x / max(‖x‖₂, eps), as torch.nn.functional.normalize for a vector.</summary>
    private Tensor Normalize(Tensor x)
    {
        using var norm = x.VectorNorm(2, [0], keepDim: true);
        using var clamped = norm.Clamp(Eps, null);
        return x / clamped;
    }
}
