using GanDsl.Torch;

namespace GanDsl.Nn;

/// <summary>Flattens dimensions startDim..endDim into one (PyTorch's <c>nn.Flatten</c>; by default all but the batch dimension).</summary>
public sealed class Flatten : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="startDim">First dimension to flatten (default 1: keep the batch dimension).</param>
    /// <param name="endDim">Last dimension to flatten (default −1: the last).</param>
    public Flatten(long startDim = 1, long endDim = -1)
    {
        StartDim = startDim;
        EndDim = endDim;
    }

    /// <summary>First dimension flattened.</summary>
    public long StartDim { get; }

    /// <summary>Last dimension flattened.</summary>
    public long EndDim { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Flatten(StartDim, EndDim);
}

/// <summary>Expands dimension <c>dim</c> into <c>sizes</c> (PyTorch's <c>nn.Unflatten</c>), e.g. [N, 6272] to [N, 128, 7, 7].</summary>
public sealed class Unflatten : Module
{
    private readonly long[] _sizes;

    /// <summary>Creates the layer.</summary>
    /// <param name="dim">The dimension to expand (negative counts from the end).</param>
    /// <param name="sizes">Its new sizes; their product must equal its size.</param>
    public Unflatten(long dim, params long[] sizes)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Length == 0) throw new ArgumentException("Unflatten needs at least one size.", nameof(sizes));
        Dim = dim;
        _sizes = (long[])sizes.Clone();
    }

    /// <summary>The dimension expanded.</summary>
    public long Dim { get; }

    /// <summary>Its new sizes.</summary>
    public IReadOnlyList<long> Sizes => _sizes;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var shape = input.Shape;
        var d = Dim < 0 ? Dim + shape.Length : Dim;
        if (d < 0 || d >= shape.Length)
            throw new ArgumentException($"Unflatten: dimension {Dim} is out of range for an input of shape [{string.Join(", ", shape)}].", nameof(input));
        var newShape = new List<long>(shape.Length + _sizes.Length - 1);
        newShape.AddRange(shape.Take((int)d));
        newShape.AddRange(_sizes);
        newShape.AddRange(shape.Skip((int)d + 1));
        return input.Reshape(newShape.ToArray());
    }
}

/// <summary>
/// Reshapes each sample, keeping the batch dimension: [N, ...] to [N, shape...] (the
/// <c>reshape(128, 7, 7)</c> step of a DCGAN generator). One entry of the shape may be −1.
/// </summary>
public sealed class Reshape : Module
{
    private readonly long[] _shape;

    /// <summary>Creates the layer.</summary>
    /// <param name="sampleShape">The shape of one sample after the layer.</param>
    public Reshape(params long[] sampleShape)
    {
        ArgumentNullException.ThrowIfNull(sampleShape);
        _shape = (long[])sampleShape.Clone();
    }

    /// <summary>The shape of one sample after the layer.</summary>
    public IReadOnlyList<long> SampleShape => _shape;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (input.Dim == 0) throw new ArgumentException("Reshape needs an input with a batch dimension, got a scalar.", nameof(input));
        long[] shape = [input.Shape[0], .. _shape];
        return input.Reshape(shape);
    }
}
