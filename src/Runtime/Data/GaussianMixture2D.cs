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
