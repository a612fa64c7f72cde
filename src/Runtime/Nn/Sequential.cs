using GanDsl.Torch;

namespace GanDsl.Nn;

/// <summary>
/// Applies its layers in order (PyTorch's <c>nn.Sequential</c>). Children are named "0", "1", ...
/// so tensor names match PyTorch's (<c>0.weight</c>, <c>2.bias</c>).
/// </summary>
public sealed class Sequential : Module
{
    private readonly Module[] _layers;

    /// <summary>Creates the model; it takes ownership of the layers (disposing it disposes them).</summary>
    public Sequential(params Module[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        _layers = (Module[])layers.Clone();
        for (var i = 0; i < _layers.Length; i++) RegisterModule(i.ToString(System.Globalization.CultureInfo.InvariantCulture), _layers[i]);
    }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<Module> Layers => _layers;

    /// <summary>The layer at <paramref name="index"/>.</summary>
    public Module this[int index] => _layers[index];

    /// <summary>Number of layers.</summary>
    public int Count => _layers.Length;

    /// <inheritdoc/>
    /// <remarks>
    /// Intermediate outputs are disposed as soon as the next layer has used them: autograd keeps
    /// what it needs on the native side, so only the managed handles go.
    /// </remarks>
    public override Tensor Forward(Tensor input)
    {
        ThrowIfDisposed();
        var current = input;
        foreach (var layer in _layers)
        {
            Tensor? next = null;
            try
            {
                next = layer.Forward(current);
            }
            finally
            {
                // On failure too: the intermediate of the previous layer is ours to free
                // (unless a layer handed back the very tensor it was given).
                if (!ReferenceEquals(current, input) && !ReferenceEquals(current, next)) current.Dispose();
            }
            current = next;
        }
        // With no layers, return a new handle so the caller may dispose the result and the input separately.
        return ReferenceEquals(current, input) ? input.Reshape(input.Shape) : current;
    }
}
