namespace GanDsl.Data;

/// <summary>
/// "swissroll": the 2D Swiss roll of the WGAN-GP toy experiments (Gulrajani et al. 2017), which project
/// scikit-learn's <c>make_swiss_roll</c> onto its (x, z) plane and divide by 7.5.
/// </summary>
/// <remarks>
/// Parametrisation: t = 1.5π(1 + 2u) with u ~ U[0, 1), the point (t·cos t, t·sin t) plus N(0, 0.25²) noise
/// per coordinate, all divided by 7.5. The curve spans about [−1.3, 1.7] × [−1.5, 1.9]; with the noise,
/// samples stay within about [−2, 2]². Sines and cosines come from <see cref="DeterministicMath"/> so samples
/// are identical on every platform.
/// </remarks>
public sealed class SwissRoll2D : StreamDataset
{
    private static readonly long[] Shape2 = [2];

    /// <summary>The Swiss roll with the given noise (before scaling) and scale divisor.</summary>
    public SwissRoll2D(double noise = 0.25, double scale = 7.5)
    {
        if (!(noise >= 0) || double.IsInfinity(noise)) throw new ArgumentOutOfRangeException(nameof(noise), noise,
            "The noise must be finite and non-negative.");
        if (!(scale > 0) || double.IsInfinity(scale)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale must be positive and finite.");
        Noise = noise;
        Scale = scale;
    }

    /// <summary>Standard deviation of the noise per coordinate, in unscaled units.</summary>
    public double Noise { get; }

    /// <summary>Divisor applied to the unscaled points.</summary>
    public double Scale { get; }

    /// <inheritdoc/>
    public override string Name => "swissroll";

    /// <inheritdoc/>
    public override IReadOnlyList<long> SampleShape => Shape2;

    /// <summary>The noise-free point of the roll at parameter <paramref name="t"/> (t in [1.5π, 4.5π]), scaled.</summary>
    public Point2 Curve(double t)
    {
        var (sin, cos) = DeterministicMath.SinCos(t);
        return new Point2(t * cos / Scale, t * sin / Scale);
    }

    /// <inheritdoc/>
    internal override int DrawSample(Xoshiro256 random, Span<float> destination)
    {
        double t = 1.5 * Math.PI * (1.0 + 2.0 * random.NextDouble());
        var (sin, cos) = DeterministicMath.SinCos(t);
        double x = t * cos + Noise * random.NextGaussian();
        double y = t * sin + Noise * random.NextGaussian();
        destination[0] = (float)(x / Scale);
        destination[1] = (float)(y / Scale);
        return 0;   // unlabelled
    }
}
