using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GanDsl.Nn;

/// <summary>
/// Spectral normalisation of a layer's weight (Miyato et al. 2018, "Spectral Normalization for
/// Generative Adversarial Networks"), as PyTorch's <c>torch.nn.utils.spectral_norm</c>: the layer
/// runs with W / σ(W), where σ is estimated by power iteration on the weight viewed as a matrix.
/// TorchSharp has no parametrizations, so this is a module that takes the layer's place.
/// </summary>
/// <remarks>
/// <para>
/// Names as PyTorch's hook leaves them on the layer: the layer's other parameters (<c>bias</c>), then the
/// unnormalised weight <c>weight_orig</c>, and the buffers <c>weight_u</c> [h] and <c>weight_v</c> [w], where
/// the weight matrix is h × w with h the size of the output dimension (0, or 1 for transposed convolutions).
/// u and v are drawn from N(0, 1) on the global generator (u first) and normalised, so a seeded build matches
/// PyTorch's.
/// </para>
/// <para>
/// Each forward in training mode first runs the power iteration (v ← normalize(Wᵀu), u ← normalize(Wv))
/// without gradients, updating the buffers in place, then computes σ = uᵀWv from copies of u and v with
/// gradients flowing through W only. In evaluation mode the stored u and v are used as they are.
/// </para>
/// </remarks>
public sealed class SpectralNorm : nn.Module<Tensor, Tensor>
{
    // Everything is registered by name in the constructor (RegisterComponents is a no-op: the wrapped layer is not a
    // child, so its weight is not listed twice). The fields carry their registered names so that Module.to(dtype or
    // device), which replaces parameters and buffers and then sets the field of the same component name, updates them.
    private readonly nn.Module<Tensor, Tensor> _layer;
    [ComponentName(Name = "weight_orig")] private Parameter _weightOrig;
    [ComponentName(Name = "bias")] private Parameter? _bias;
    [ComponentName(Name = "weight_u")] private Tensor _u;
    [ComponentName(Name = "weight_v")] private Tensor _v;

    /// <summary>Wraps <paramref name="layer"/> (a Linear, Conv2d or ConvTranspose2d); the wrapper takes its parameters.</summary>
    /// <param name="layer">The layer whose weight is normalised.</param>
    /// <param name="powerIterations">Power-iteration steps per training forward (PyTorch's default 1).</param>
    /// <param name="eps">Lower bound of the norms divided by in the normalisations (PyTorch's default 1e-12).</param>
    /// <param name="dim">The weight dimension of the outputs; by default the layer's (0, or 1 for transposed convolutions).</param>
    public SpectralNorm(nn.Module<Tensor, Tensor> layer, int powerIterations = 1, double eps = 1e-12, int? dim = null) : base("SpectralNorm")
    {
        ArgumentNullException.ThrowIfNull(layer);
        var (weight, bias, outputDim) = layer switch
        {
            Linear l => (l.weight, l.bias, 0),
            ConvTranspose2d c => (c.weight, c.bias, 1),
            Conv2d c => (c.weight, c.bias, 0),
            _ => throw new ArgumentException($"Spectral normalisation needs a Linear, Conv2d or ConvTranspose2d layer, not {layer.GetType().Name}.",
                nameof(layer)),
        };
        if (weight is null) throw new ArgumentException("The layer has no weight.", nameof(layer));
        if (powerIterations < 0) throw new ArgumentOutOfRangeException(nameof(powerIterations), "The number of power iterations cannot be negative.");
        _layer = layer;
        PowerIterations = powerIterations;
        Eps = eps;
        var rank = (int)weight.dim();
        Dim = dim ?? outputDim;
        if (Dim < 0 || Dim >= rank) throw new ArgumentOutOfRangeException(nameof(dim), $"Dimension {Dim} is out of range for a weight of rank {rank}.");

        // PyTorch's order: the layer's remaining parameters, then weight_orig.
        _bias = bias;
        if (bias is not null) register_parameter("bias", bias);
        _weightOrig = weight;
        register_parameter("weight_orig", weight);
        var height = weight.shape[Dim];
        var width = weight.numel() / height;
        using (torch.no_grad())
        {
            // Drawn in PyTorch's order (u, then v), so seeded builds agree.
            using var u0 = torch.randn([height], weight.dtype, weight.device);
            using var v0 = torch.randn([width], weight.dtype, weight.device);
            _u = Normalize(u0);
            _v = Normalize(v0);
        }
        register_buffer("weight_u", _u);
        register_buffer("weight_v", _v);
    }

    /// <summary>Power-iteration steps per training forward.</summary>
    public int PowerIterations { get; }

    /// <summary>Lower bound of the norms in the normalisations.</summary>
    public double Eps { get; }

    /// <summary>The weight dimension that indexes outputs (the matrix rows).</summary>
    public int Dim { get; }

    /// <summary>The unnormalised weight (<c>weight_orig</c>), the trained parameter.</summary>
    public Parameter WeightOrig => _weightOrig;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var weight = NormalizedWeight(powerIteration: training);
        var output = _layer switch
        {
            Linear => F.linear(input, weight, _bias),
            ConvTranspose2d c => F.conv_transpose2d(input, weight, _bias, strides: c.stride, padding: c.padding,
                output_padding: c.output_padding, dilation: c.dilation, groups: c.groups),
            Conv2d c => F.conv2d(input, weight, _bias, strides: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups),
            _ => throw new InvalidOperationException("unreachable"),
        };
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// W / σ(W) with the current u and v, after <see cref="PowerIterations"/> power-iteration steps
    /// when <paramref name="powerIteration"/> is true (which updates the buffers). Differentiable with
    /// respect to <see cref="WeightOrig"/>.
    /// </summary>
    public Tensor NormalizedWeight(bool powerIteration)
    {
        using var scope = torch.NewDisposeScope();
        var matrix = WeightMatrix(_weightOrig);
        Tensor u = _u, v = _v;
        if (powerIteration && PowerIterations > 0)
        {
            using (torch.no_grad())
            {
                var transposed = matrix.t();
                for (var i = 0; i < PowerIterations; i++)
                {
                    _v.copy_(Normalize(transposed.matmul(_u)));
                    _u.copy_(Normalize(matrix.matmul(_v)));
                }
                // σ's graph must hold copies: the next forward updates the buffers in place, and a backward
                // through two forwards (D(x) and D(G(z)) in one loss) would fail.
                u = _u.clone();
                v = _v.clone();
            }
        }
        var sigma = u.matmul(matrix.matmul(v));
        return (_weightOrig / sigma).MoveToOuterDisposeScope();
    }

    /// <summary>The weight as an h × w matrix, the output dimension first (PyTorch's reshape_weight_to_matrix).</summary>
    private Tensor WeightMatrix(Tensor weight)
    {
        var height = weight.shape[Dim];
        if (Dim == 0) return weight.reshape(height, -1);
        var order = new long[weight.dim()];
        order[0] = Dim;
        for (int d = 0, k = 1; d < order.Length; d++) if (d != Dim) order[k++] = d;
        return weight.permute(order).reshape(height, -1);
    }

    /// <summary>x / max(‖x‖₂, eps), as torch.nn.functional.normalize for a vector.</summary>
    private Tensor Normalize(Tensor x) => F.normalize(x, p: 2, dim: 0, eps: Eps);

    /// <summary>Nothing to discover: the constructor registers the parameters and buffers under PyTorch's names.</summary>
    protected override void RegisterComponents()
    {
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) _layer.Dispose();
        base.Dispose(disposing);
    }
}
