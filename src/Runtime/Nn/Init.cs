using GanDsl.Torch;

namespace GanDsl.Nn;

/// <summary>
/// PyTorch's default initialisation, drawn from the global generator in the order PyTorch draws,
/// so that <c>Torch.ManualSeed(s)</c> followed by building a model gives the same float32 values
/// bit for bit as <c>torch.manual_seed(s)</c> followed by building the same model in PyTorch.
/// </summary>
public static class Init
{
    /// <summary>
    /// A float32 tensor drawn from U(-<paramref name="bound"/>, <paramref name="bound"/>) exactly as
    /// libtorch's <c>uniform_(-bound, bound)</c> draws it from the global generator.
    /// </summary>
    /// <remarks>
    /// libtorch's float32 <c>uniform_</c> takes 24 random bits x/2^24 and returns
    /// <c>x·(to−from) + from</c> rounded once to float32, with <c>from</c> and <c>to</c> first rounded
    /// to float32. <c>Torch.Rand</c> gives the same x from the same generator state; in float64,
    /// x·2b and x·2b − b are exact (at most 49 significant bits), so the final rounding to float32 is
    /// the only one, as in libtorch. Composing the affine map in float32 instead differs in the last
    /// bit for about half of the elements (checked against PyTorch in the Nn tests).
    /// </remarks>
    public static Tensor Uniform(long[] shape, double bound)
    {
        double b = (float)bound;
        using var x = Torch.Torch.Rand(shape, DType.Float32);
        using var x64 = x.ToDType(DType.Float64);
        using var scaled = x64 * (2 * b);
        using var shifted = scaled - b;
        return shifted.ToDType(DType.Float32);
    }

    /// <summary>
    /// PyTorch's <c>kaiming_uniform_(w, a)</c> (He et al. 2015, "Delving Deep into Rectifiers")
    /// with fan-in mode and the leaky-ReLU gain: bound = √3 · √(2 / (1 + a²)) / √fanIn.
    /// Layers use a = √5, which makes the bound 1/√fanIn.
    /// </summary>
    public static Tensor KaimingUniform(long[] shape, long fanIn, double a)
    {
        // The same floating-point steps as torch.nn.init, so the bound is the same double.
        var gain = Math.Sqrt(2.0 / (1 + Math.Pow(a, 2)));
        var std = gain / Math.Sqrt(fanIn);
        var bound = Math.Sqrt(3.0) * std;
        return Uniform(shape, bound);
    }

    /// <summary>PyTorch's bias bound for linear and convolution layers: 1/√fanIn (0 when fanIn is 0).</summary>
    public static double BiasBound(long fanIn) => fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;

    /// <summary>
    /// Fan-in of a weight as torch.nn.init computes it: size(1) times the product of the
    /// remaining sizes (the kernel). For a transposed convolution (weight [in, out, kH, kW]) this is
    /// out·kH·kW, as in PyTorch.
    /// </summary>
    public static long FanIn(long[] weightShape)
    {
        if (weightShape.Length < 2)
            throw new ArgumentException("Fan-in needs a weight of at least 2 dimensions.", nameof(weightShape));
        long receptive = 1;
        for (var i = 2; i < weightShape.Length; i++) receptive *= weightShape[i];
        return weightShape[1] * receptive;
    }
}
