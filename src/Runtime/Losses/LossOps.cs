using GanDsl.Torch;

namespace GanDsl;

/// <summary>
/// Small tensor helpers the code generated for DSL losses calls, where one named call reads better
/// than a line of shape arithmetic. Each checks its input's shape and says what was expected.
/// </summary>
/// <remarks>
/// Shapes follow the DSL's classes: a per-sample value is [B], a batch of samples is [B, ...].
/// Hand-written losses may use these too.
/// </remarks>
public static class LossOps
{
    /// <summary>
    /// A score network's output as one value per sample: [B,1] becomes [B]; [B] is kept.
    /// </summary>
    /// <param name="output">The network's output.</param>
    /// <param name="network">The network's name, for the error message.</param>
    /// <exception cref="ArgumentException">The output has another shape (a score network must return [B,1] or [B]).</exception>
    public static Tensor Score(Tensor output, string network)
    {
        var shape = output.Shape;
        if (shape.Length == 1) return output;
        if (shape.Length == 2 && shape[1] == 1) return output.Squeeze(1);
        throw new ArgumentException($"Network '{network}' is declared with NetworkOutput.Score, so it must return one value per sample ([B,1] or [B]), but it returned [{string.Join(", ", shape)}].", nameof(output));
    }

    /// <summary>A feature network's output as [B,F]: [B,F] is kept, [B,...] is flattened per sample.</summary>
    /// <param name="output">The network's output.</param>
    /// <param name="network">The network's name, for the error message.</param>
    /// <exception cref="ArgumentException">The output has fewer than two dimensions.</exception>
    public static Tensor Features(Tensor output, string network)
    {
        var dim = output.Dim;
        if (dim == 2) return output;
        if (dim > 2) return output.Flatten(1);
        throw new ArgumentException($"Network '{network}' is declared with NetworkOutput.Features, so it must return [B,F], but it returned [{string.Join(", ", output.Shape)}].", nameof(output));
    }

    /// <summary>Reshapes a per-sample value [B] to [B,1,...,1] so it scales each sample of <paramref name="like"/> by broadcasting.</summary>
    /// <param name="perSample">One value per sample, shape [B].</param>
    /// <param name="like">The batch it will be combined with.</param>
    public static Tensor PerSample(Tensor perSample, Tensor like)
    {
        var dims = like.Dim;
        if (perSample.Dim != 1 || dims <= 1) return perSample;
        var shape = new long[dims];
        shape[0] = perSample.Shape[0];
        for (var i = 1; i < dims; i++) shape[i] = 1;
        return perSample.Reshape(shape);
    }

    /// <summary>The mean over each sample's elements: [B,...] to [B] (a [B] input is returned as is).</summary>
    public static Tensor MeanPerSample(Tensor v) => v.Dim <= 1 ? v : v.Flatten(1).Mean([1]);

    /// <summary>The mean over the batch, per element: [B,...] to [1,...], which broadcasts against the batch.</summary>
    public static Tensor BatchMean(Tensor v) => v.Mean([0], keepDim: true);

    /// <summary>The L2 norm of each sample's flattened features: [B,...] to [B] (of a [B] input: the absolute values).</summary>
    public static Tensor PerSampleNorm(Tensor v) => v.Dim <= 1 ? v.Abs() : v.PerSampleNorm();

    /// <summary>The Heaviside step of each element: 1 where <paramref name="v"/> &gt; 0, else 0, as a constant of <paramref name="v"/>'s type (no gradient).</summary>
    public static Tensor Step(Tensor v)
    {
        using var _ = Torch.Torch.NoGrad();
        using var positive = v.Gt(0);
        return positive.ToDType(v.DType);
    }

    /// <summary>The population standard deviation over all elements, as a constant (no gradient flows through it; DRAGAN's std(x)).</summary>
    public static Tensor PopulationStd(Tensor v)
    {
        using var _ = Torch.Torch.NoGrad();
        return v.Detach().Std(unbiased: false);
    }

    /// <summary>
    /// <paramref name="t"/> if it already requires grad (it depends on a trained network);
    /// otherwise a leaf copy (sharing storage) that requires grad, so a gradient can be taken with respect to it.
    /// </summary>
    public static Tensor RequireGrad(Tensor t) => t.RequiresGrad ? t : t.Detach().RequiresGrad_(true);

    /// <summary>
    /// Random interpolates α·a + (1-α)·b with one α per sample drawn from <paramref name="random"/>
    /// (WGAN-GP's x̂, Gulrajani et al. 2017).
    /// </summary>
    public static Tensor Between(IStepRandom random, Tensor a, Tensor b)
    {
        var alpha = PerSample(random.PerSampleUniform(a.Shape[0], a.DType, a.Device), a);
        return alpha * a + (1.0 - alpha) * b;
    }

    /// <summary>A scalar tensor with the element type and device of <paramref name="like"/>.</summary>
    public static Tensor Constant(double value, Tensor like) => Torch.Torch.Scalar(value, like.DType, like.Device);

    /// <summary>Mean binary cross-entropy with logits against a constant target: one <c>binary_cross_entropy_with_logits</c> call, stable for any logit.</summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, double target) =>
        Torch.Torch.BinaryCrossEntropyWithLogits(logits, Torch.Torch.Full(logits.Shape, target, logits.DType, logits.Device));

    /// <summary>Mean squared difference to a constant: one <c>mse_loss</c> call.</summary>
    public static Tensor MseLoss(Tensor a, double target) =>
        Torch.Torch.MseLoss(a, Torch.Torch.Full(a.Shape, target, a.DType, a.Device));

    /// <summary>
    /// The biased (V-statistic, diagonal included) estimate of MMD² between the samples of
    /// <paramref name="a"/> and <paramref name="b"/>, flattened per sample, under the kernel
    /// k(u,v) = Σ_σ exp(-‖u-v‖²/(2σ²)) (Gretton et al. 2012, eq. 5; Li, Swersky and Zemel 2015).
    /// </summary>
    /// <param name="a">First batch, [N,...].</param>
    /// <param name="b">Second batch, [M,...] with the same per-sample size.</param>
    /// <param name="sigmas">Kernel bandwidths; at least one, each positive.</param>
    public static Tensor Mmd2(Tensor a, Tensor b, double[] sigmas)
    {
        if (sigmas.Length == 0) throw new ArgumentException("Mmd2 needs at least one kernel width.", nameof(sigmas));
        var x = Rows(a);
        var y = Rows(b);
        return Kernel(x, x, sigmas).Mean() + Kernel(y, y, sigmas).Mean() - 2.0 * Kernel(x, y, sigmas).Mean();

        static Tensor Rows(Tensor t) => t.Dim == 1 ? t.Reshape(t.Shape[0], 1) : t.Flatten(1);
    }

    private static Tensor Kernel(Tensor u, Tensor v, double[] sigmas)
    {
        var d2 = Torch.Torch.PairwiseSquaredDistances(u, v);
        Tensor? sum = null;
        foreach (var sigma in sigmas)
        {
            if (!(sigma > 0)) throw new ArgumentException($"Kernel widths must be positive, not {sigma}.", nameof(sigmas));
            var k = (d2 * (-1.0 / (2 * sigma * sigma))).Exp();
            sum = sum is null ? k : sum + k;
        }
        return sum!;
    }

    /// <summary>σ(t) for a host value.</summary>
    public static double Sigmoid(double t) => t >= 0 ? 1 / (1 + Math.Exp(-t)) : Math.Exp(t) / (1 + Math.Exp(t));

    /// <summary>softplus(t) = log(1 + e^t), stable for any t.</summary>
    public static double Softplus(double t) => Math.Max(t, 0) + Math.Log(1 + Math.Exp(-Math.Abs(t)));

    /// <summary>log σ(t) = -softplus(-t).</summary>
    public static double LogSigmoid(double t) => -Softplus(-t);

    /// <summary>max(t, 0).</summary>
    public static double Relu(double t) => Math.Max(t, 0);
}
