using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl;

/// <summary>Random draws a loss makes inside a step, behind an interface so reference checks can inject fixed values.</summary>
public interface IStepRandom
{
    /// <summary>One U[0,1) coefficient per sample, shape [batch]: the interpolation weight of <c>Between(a, b)</c>.</summary>
    Tensor PerSampleUniform(long batch, ScalarType dtype, Device device);

    /// <summary>U[0,1) noise of the given shape, one value per element: DRAGAN's perturbation direction.</summary>
    Tensor ElementwiseUniform(long[] shape, ScalarType dtype, Device device);

    /// <summary>
    /// N(0, 1) noise of the given shape, one value per element: <c>Jitter</c> and the point batches' <c>Augment</c>.
    /// The default derives it from two <see cref="ElementwiseUniform"/> draws (Box–Muller), so an implementation that
    /// injects uniforms injects this too.
    /// </summary>
    Tensor ElementwiseNormal(long[] shape, ScalarType dtype, Device device)
    {
        using var scope = torch.NewDisposeScope();
        var u1 = ElementwiseUniform(shape, dtype, device);
        var u2 = ElementwiseUniform(shape, dtype, device);
        // 1 - u1 lies in (0, 1], so the logarithm is finite.
        return ((1.0 - u1).log() * -2.0).sqrt().mul((u2 * (2 * Math.PI)).cos()).MoveToOuterDisposeScope();
    }
}
