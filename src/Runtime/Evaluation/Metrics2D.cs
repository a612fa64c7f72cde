using GanDsl.Data;

namespace GanDsl.Evaluation;

/// <summary>Mode metrics of 2D samples against a Gaussian mixture (see
/// <see cref="Metrics2D.Modes(ReadOnlySpan{float}, IMixtureDataset2D, double, double)"/>).</summary>
/// <param name="MeanDistanceToNearestMode">Mean Euclidean distance from each sample to its nearest centre.</param>
/// <param name="HighQualityFraction">Fraction of samples within 3 standard deviations of their nearest centre.</param>
/// <param name="ModesCovered">Number of modes that received enough high-quality samples.</param>
/// <param name="ModeCount">Number of modes of the mixture.</param>
/// <param name="HighQualityPerMode">High-quality samples assigned to each mode, in the mixture's order.</param>
public sealed record ModeMetrics(
    double MeanDistanceToNearestMode,
    double HighQualityFraction,
    int ModesCovered,
    int ModeCount,
    IReadOnlyList<int> HighQualityPerMode);

/// <summary>Label-to-mode accuracy of a conditional generator (see
/// <see cref="Metrics2D.LabelToMode(ReadOnlySpan{float}, IReadOnlyList{long}, IMixtureDataset2D, double)"/>).</summary>
/// <param name="Accuracy">Fraction of all samples that landed, high quality, in the mode of their label.</param>
/// <param name="HitsPerLabel">Per label, the samples that did.</param>
/// <param name="SamplesPerLabel">Per label, the samples generated for it.</param>
public sealed record LabelModeAccuracy(double Accuracy, IReadOnlyList<int> HitsPerLabel, IReadOnlyList<int> SamplesPerLabel);

/// <summary>
/// Quality measures for 2D samples (row-major N × 2 floats), for tests and training logs.
/// </summary>
public static class Metrics2D
{
    /// <summary>
    /// Mode metrics in the style of Srivastava et al. 2017 (VEEGAN) and Lin et al. 2018 (PacGAN): a sample is
    /// "high quality" when it lies within <paramref name="stdMultiple"/> standard deviations (Euclidean distance)
    /// of its nearest centre; a mode is covered when it has at least
    /// <c>max(1, coverageFraction · N / modes)</c> high-quality samples, i.e. a tenth (by default) of the share a
    /// perfect generator would give it, so a few stray points do not count as coverage.
    /// </summary>
    /// <exception cref="ArgumentException">When the sample array is not N × 2 with N &gt; 0.</exception>
    public static ModeMetrics Modes(ReadOnlySpan<float> samples, IMixtureDataset2D mixture, double stdMultiple = 3.0, double coverageFraction = 0.1)
    {
        ArgumentNullException.ThrowIfNull(mixture);
        return Modes(samples, mixture.Modes, mixture.ModeStd, stdMultiple, coverageFraction);
    }

    /// <summary>Mode metrics against explicit centres and standard deviation (see the other overload).</summary>
    public static ModeMetrics Modes(ReadOnlySpan<float> samples, IReadOnlyList<Point2> modes, double modeStd, double stdMultiple = 3.0,
        double coverageFraction = 0.1)
    {
        int n = CheckPoints(samples, nameof(samples));
        ArgumentNullException.ThrowIfNull(modes);
        if (modes.Count == 0) throw new ArgumentException("At least one mode is needed.", nameof(modes));

        double radius = stdMultiple * modeStd;
        var perMode = new int[modes.Count];
        double distanceSum = 0;
        int highQuality = 0;
        for (int i = 0; i < n; i++)
        {
            var (nearest, distance) = NearestMode(samples[2 * i], samples[2 * i + 1], modes);
            distanceSum += distance;
            if (distance <= radius) { highQuality++; perMode[nearest]++; }
        }
        double threshold = Math.Max(1.0, coverageFraction * n / modes.Count);
        int covered = perMode.Count(c => c >= threshold);
        return new ModeMetrics(distanceSum / n, (double)highQuality / n, covered, modes.Count, perMode);
    }

    /// <summary>
    /// The nearest of <paramref name="modes"/> to (x, y) and the Euclidean distance to it; a NaN sample is infinitely far
    /// from every mode (it counts in a mean as +∞ and is never high quality).
    /// </summary>
    private static (int Nearest, double Distance) NearestMode(double x, double y, IReadOnlyList<Point2> modes)
    {
        int nearest = 0;
        double best = double.PositiveInfinity;
        for (int k = 0; k < modes.Count; k++)
        {
            double dx = x - modes[k].X, dy = y - modes[k].Y;
            double d2 = dx * dx + dy * dy;
            if (d2 < best) { best = d2; nearest = k; }
        }
        return (nearest, double.IsNaN(best) ? double.PositiveInfinity : Math.Sqrt(best));
    }

    /// <summary>
    /// Label-to-mode accuracy of a conditional generator on a labelled mixture (each label is a mode, label k ↔
    /// <c>mixture.Modes[k]</c>): the fraction of samples generated for label k whose nearest mode is mode k and that
    /// lie within <paramref name="stdMultiple"/> standard deviations of it (the "high-quality" radius of
    /// <see cref="Modes(ReadOnlySpan{float}, IMixtureDataset2D, double, double)"/>), over all samples and per label.
    /// </summary>
    /// <exception cref="ArgumentException">Not N × 2 samples with N labels, or a label that is not a mode's index.</exception>
    public static LabelModeAccuracy LabelToMode(ReadOnlySpan<float> samples, IReadOnlyList<long> labels, IMixtureDataset2D mixture, double stdMultiple = 3.0)
    {
        ArgumentNullException.ThrowIfNull(mixture);
        return LabelToMode(samples, labels, mixture.Modes, mixture.ModeStd, stdMultiple);
    }

    /// <summary>Label-to-mode accuracy against explicit centres and standard deviation (see the other overload).</summary>
    public static LabelModeAccuracy LabelToMode(ReadOnlySpan<float> samples, IReadOnlyList<long> labels, IReadOnlyList<Point2> modes, double modeStd,
        double stdMultiple = 3.0)
    {
        int n = CheckPoints(samples, nameof(samples));
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(modes);
        if (labels.Count != n) throw new ArgumentException($"{n} samples need {n} labels, not {labels.Count}.", nameof(labels));
        double radius = stdMultiple * modeStd;
        var hits = new int[modes.Count];
        var counts = new int[modes.Count];
        for (int i = 0; i < n; i++)
        {
            if (labels[i] < 0 || labels[i] >= modes.Count)
                throw new ArgumentException($"Label {labels[i]} of sample {i} is not one of the {modes.Count} modes 0..{modes.Count - 1}.", nameof(labels));
            var label = (int)labels[i];
            counts[label]++;
            var (nearest, distance) = NearestMode(samples[2 * i], samples[2 * i + 1], modes);
            if (nearest == label && distance <= radius) hits[label]++;
        }
        return new LabelModeAccuracy((double)hits.Sum() / n, hits, counts);
    }

    /// <summary>
    /// Energy distance (Székely &amp; Rizzo 2013) between two 2D samples:
    /// 2·E‖X−Y‖ − E‖X−X′‖ − E‖Y−Y′‖, with the within-sample means taken over distinct pairs (U-statistics).
    /// Zero in expectation when both come from the same distribution (so small negative values occur), positive
    /// otherwise. Needs no knowledge of the data's modes; O(N·M).
    /// </summary>
    public static double EnergyDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int n = CheckPoints(a, nameof(a)), m = CheckPoints(b, nameof(b));
        if (n < 2 || m < 2) throw new ArgumentException("The energy distance needs at least two points in each sample.");
        double cross = MeanDistance(a, b, excludeDiagonal: false);
        double withinA = MeanDistance(a, a, excludeDiagonal: true);
        double withinB = MeanDistance(b, b, excludeDiagonal: true);
        return 2 * cross - withinA - withinB;
    }

    private static double MeanDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b, bool excludeDiagonal)
    {
        int n = a.Length / 2, m = b.Length / 2;
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            double x = a[2 * i], y = a[2 * i + 1];
            for (int j = 0; j < m; j++)
            {
                if (excludeDiagonal && i == j) continue;
                double dx = x - b[2 * j], dy = y - b[2 * j + 1];
                sum += Math.Sqrt(dx * dx + dy * dy);
            }
        }
        return sum / (excludeDiagonal ? (double)n * (n - 1) : (double)n * m);
    }

    /// <summary>
    /// Sliced 1-Wasserstein distance (Rabin et al. 2011) between two 2D samples: the mean over
    /// <paramref name="directions"/> evenly spaced directions θ_k = πk/P of the exact 1D Wasserstein-1 distance
    /// between the projected samples, ∫|F(t) − G(t)| dt. Deterministic (no random projections); sizes may differ.
    /// </summary>
    public static double SlicedWasserstein(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int directions = 32)
    {
        int n = CheckPoints(a, nameof(a)), m = CheckPoints(b, nameof(b));
        if (directions <= 0) throw new ArgumentOutOfRangeException(nameof(directions), directions, "At least one direction is needed.");
        var pa = new double[n];
        var pb = new double[m];
        double total = 0;
        for (int k = 0; k < directions; k++)
        {
            var (sin, cos) = DeterministicMath.SinCos(Math.PI * k / directions);
            for (int i = 0; i < n; i++) pa[i] = cos * a[2 * i] + sin * a[2 * i + 1];
            for (int j = 0; j < m; j++) pb[j] = cos * b[2 * j] + sin * b[2 * j + 1];
            Array.Sort(pa);
            Array.Sort(pb);
            total += Wasserstein1D(pa, pb);
        }
        return total / directions;
    }

    /// <summary>∫|F_a(t) − F_b(t)| dt for sorted samples, by sweeping the merged breakpoints.</summary>
    private static double Wasserstein1D(double[] a, double[] b)
    {
        int i = 0, j = 0;
        double fa = 0, fb = 0, area = 0;
        double previous = Math.Min(a[0], b[0]);
        while (i < a.Length || j < b.Length)
        {
            double next = j >= b.Length || (i < a.Length && a[i] <= b[j]) ? a[i] : b[j];
            area += Math.Abs(fa - fb) * (next - previous);
            previous = next;
            while (i < a.Length && a[i] == next) { i++; fa = (double)i / a.Length; }
            while (j < b.Length && b[j] == next) { j++; fb = (double)j / b.Length; }
        }
        return area;
    }

    private static int CheckPoints(ReadOnlySpan<float> points, string name)
    {
        if (points.Length == 0 || points.Length % 2 != 0)
            throw new ArgumentException($"Expected N × 2 points as {2}·N floats with N > 0, got {points.Length} floats.", name);
        return points.Length / 2;
    }
}
