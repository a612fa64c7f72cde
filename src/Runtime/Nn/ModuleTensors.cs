using GanDsl.Torch;

namespace GanDsl.Nn;

/// <summary>Ownership helpers for tensors that outlive a training step (parameters, buffers, optimizer state).</summary>
internal static class ModuleTensors
{
    /// <summary>
    /// Takes <paramref name="tensor"/> out of any dispose scope: a model or an optimizer built
    /// inside a scope must not lose its tensors when the scope ends. The owner disposes it.
    /// </summary>
    internal static Tensor Own(Tensor tensor) => tensor.DetachFromScope();
}
