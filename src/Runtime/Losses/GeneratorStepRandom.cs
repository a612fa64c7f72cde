using System.ComponentModel;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl;

/// <summary>Draws from a seeded libtorch generator: what the trainer uses.</summary>
/// <remarks>Hidden from IntelliSense: plumbing of the trainer and the gradient checker.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class GeneratorStepRandom(Generator generator) : IStepRandom
{
    /// <inheritdoc/>
    public Tensor PerSampleUniform(long batch, ScalarType dtype, Device device) =>
        torch.rand([batch], dtype, device, generator: generator);

    /// <inheritdoc/>
    public Tensor ElementwiseUniform(long[] shape, ScalarType dtype, Device device) =>
        torch.rand(shape, dtype, device, generator: generator);

    /// <inheritdoc/>
    public Tensor ElementwiseNormal(long[] shape, ScalarType dtype, Device device) =>
        torch.randn(shape, dtype, device, generator: generator);
}
