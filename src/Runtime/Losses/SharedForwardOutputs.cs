using System.ComponentModel;
using static TorchSharp.torch;

namespace GanDsl;

/// <summary>
/// The outputs of one network applied to several batches (<see cref="LossOps.Forward(StepContext, nn.Module{Tensor, Tensor}, Tensor[])"/>):
/// one output per batch, in the order of the batches, and the joined output when the batches ran as one forward pass.
/// A loss term that covers every part (the non-saturating critic's BCE(D(x), 1) + BCE(D(G(z)), 0)) can then be one
/// call on <see cref="Joined"/> instead of one per part.
/// </summary>
/// <remarks>Hidden from IntelliSense: generated code reads it; users write DSL words.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class SharedForwardOutputs
{
    private readonly Tensor[] _parts;

    internal SharedForwardOutputs(Tensor[] parts, Tensor? joined)
    {
        _parts = parts;
        Joined = joined;
    }

    /// <summary>The output of the network on batch <paramref name="index"/>.</summary>
    public Tensor this[int index] => _parts[index];

    /// <summary>The number of batches.</summary>
    public int Length => _parts.Length;

    /// <summary>The output of the one forward pass on the batches concatenated along the first dimension, or null when each ran alone.</summary>
    public Tensor? Joined { get; }

    /// <summary>The outputs, one per batch.</summary>
    public Tensor[] ToArray() => (Tensor[])_parts.Clone();

    /// <summary>
    /// The outputs as an array: what <see cref="LossOps.Forward(StepContext, nn.Module{Tensor, Tensor}, Tensor[])"/> returned
    /// before it said whether the pass was shared.
    /// </summary>
    public static implicit operator Tensor[](SharedForwardOutputs outputs) => outputs?.ToArray() ?? throw new ArgumentNullException(nameof(outputs));
}
