using GanDsl.Torch;

namespace GanDsl.Nn;

/// <summary>
/// Base of every layer and model: a forward function plus named parameters and buffers,
/// with PyTorch's naming (<c>0.weight</c>, <c>net.2.bias</c>).
/// </summary>
public abstract class Module : IDisposable
{
    /// <summary>Applies the module to <paramref name="input"/>.</summary>
    public abstract Tensor Forward(Tensor input);

    /// <summary>Every trainable parameter with its dotted name, in registration order (as PyTorch's <c>named_parameters</c>).</summary>
    public abstract IEnumerable<(string Name, Tensor Parameter)> NamedParameters();

    /// <summary>Every trainable parameter, in registration order.</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <inheritdoc/>
    public abstract void Dispose();
}
