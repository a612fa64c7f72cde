namespace GanDsl.Data;

/// <summary>
/// A mixture of equally weighted isotropic 2D Gaussians, the standard toy test for mode collapse
/// (Metz et al. 2017, "Unrolled GANs"; Gulrajani et al. 2017, "Improved training of Wasserstein GANs").
/// An infinite stream: each sample picks a mode uniformly, then adds N(0, std²) to each coordinate. Each sample is
/// labelled with its mode (class k is the mode at <see cref="Modes"/>[k], named "mode k"), so conditional losses train
/// on it with uniform class frequencies.
/// </summary>
public sealed class GaussianMixture2D : StreamDataset, IMixtureDataset2D, ILabelledDataset
{
    private static readonly long[] Shape2 = [2];
    private readonly Point2[] _modes;
    private readonly string[] _classNames;
    private readonly double[] _frequencies;

    /// <summary>A mixture with the given centres and per-coordinate standard deviation.</summary>
    /// <exception cref="ArgumentException">When there are no modes or the deviation is negative or not finite.</exception>
    public GaussianMixture2D(string name, IReadOnlyList<Point2> modes, double std)
    {
        ArgumentNullException.ThrowIfNull(modes);
        if (modes.Count == 0) throw new ArgumentException("A mixture needs at least one mode.", nameof(modes));
        if (!(std >= 0) || double.IsInfinity(std)) throw new ArgumentException($"The standard deviation must be finite and non-negative, got {std}.",
            nameof(std));
        Name = name;
        _modes = modes.ToArray();
        ModeStd = std;
        _classNames = Enumerable.Range(0, _modes.Length).Select(k => $"mode {k}").ToArray();
        _frequencies = Enumerable.Repeat(1.0 / _modes.Length, _modes.Length).ToArray();
    }

    /// <summary>
    /// "ring": 8 Gaussians with centres evenly spaced on the circle of radius 2 (angles 2πk/8, the first at
    /// (2, 0)), standard deviation 0.02.
    /// </summary>
    public static GaussianMixture2D Ring(int modes = 8, double radius = 2.0, double std = 0.02)
    {
        if (modes <= 0) throw new ArgumentOutOfRangeException(nameof(modes), modes, "The ring needs at least one mode.");
        var centres = new Point2[modes];
        for (int k = 0; k < modes; k++)
        {
            var (sin, cos) = DeterministicMath.SinCos(DeterministicMath.TwoPi * k / modes);
            centres[k] = new Point2(radius * cos, radius * sin);
        }
        return new GaussianMixture2D("ring", centres, std);
    }

    /// <summary>
    /// "grid": 25 Gaussians with centres on the 5×5 grid {−4, −2, 0, 2, 4}², standard deviation 0.05
    /// (the layout of Lin et al. 2018, PacGAN, before their rescaling).
    /// </summary>
    public static GaussianMixture2D Grid(int side = 5, double spacing = 2.0, double std = 0.05)
    {
        if (side <= 0) throw new ArgumentOutOfRangeException(nameof(side), side, "The grid needs at least one mode per side.");
        var centres = new Point2[side * side];
        double offset = (side - 1) / 2.0 * spacing;
        for (int i = 0; i < side; i++)
            for (int j = 0; j < side; j++)
                centres[i * side + j] = new Point2(i * spacing - offset, j * spacing - offset);
        return new GaussianMixture2D("grid", centres, std);
    }

    /// <inheritdoc/>
    public override string Name { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<long> SampleShape => Shape2;

    /// <inheritdoc/>
    public IReadOnlyList<Point2> Modes => _modes;

    /// <inheritdoc/>
    public double ModeStd { get; }

    /// <summary>The number of modes: a sample's class is the mode it was drawn from.</summary>
    public int ClassCount => _modes.Length;

    /// <summary>"mode 0", "mode 1", ...: class k is the mode centred at <see cref="Modes"/>[k].</summary>
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>Uniform: every mode is picked with probability 1/K.</summary>
    public IReadOnlyList<double> ClassFrequencies => _frequencies;

    /// <inheritdoc/>
    internal override int DrawSample(Xoshiro256 random, Span<float> destination)
    {
        int mode = random.NextInt(_modes.Length);
        Point2 centre = _modes[mode];
        destination[0] = (float)(centre.X + ModeStd * random.NextGaussian());
        destination[1] = (float)(centre.Y + ModeStd * random.NextGaussian());
        return mode;
    }
}

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
