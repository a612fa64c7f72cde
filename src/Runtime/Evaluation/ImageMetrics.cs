using GanDsl.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Evaluation;

/// <summary>A row-major matrix of float64 features: <see cref="Rows"/> samples × <see cref="Columns"/> features.</summary>
/// <param name="Data">Row-major values, length Rows × Columns.</param>
/// <param name="Rows">Samples.</param>
/// <param name="Columns">Features per sample.</param>
public sealed record FeatureMatrix(double[] Data, int Rows, int Columns)
{
    /// <summary>Checks the length.</summary>
    public FeatureMatrix Validated()
    {
        if (Rows < 0 || Columns <= 0 || Data.LongLength != (long)Rows * Columns)
            throw new ArgumentException($"A {Rows} × {Columns} feature matrix needs {(long)Rows * Columns} values, not {Data.LongLength}.");
        return this;
    }

    /// <summary>The rows <paramref name="indices"/>, in that order.</summary>
    public FeatureMatrix Select(IReadOnlyList<int> indices)
    {
        var data = new double[(long)indices.Count * Columns];
        for (var i = 0; i < indices.Count; i++) Data.AsSpan(indices[i] * Columns, Columns).CopyTo(data.AsSpan(i * Columns, Columns));
        return new FeatureMatrix(data, indices.Count, Columns);
    }

    internal Tensor ToTensor() => torch.tensor(Data, [Rows, Columns], ScalarType.Float64);
}

/// <summary>Mean and covariance (n − 1 normalised, as numpy's <c>np.cov</c>) of a set of features.</summary>
/// <param name="Mean">d values.</param>
/// <param name="Covariance">d × d, row-major.</param>
/// <param name="Dimension">d.</param>
public sealed record GaussianStatistics(double[] Mean, double[] Covariance, int Dimension)
{
    /// <summary>The statistics of <paramref name="features"/> (at least two rows).</summary>
    public static GaussianStatistics Of(FeatureMatrix features)
    {
        features.Validated();
        if (features.Rows < 2) throw new ArgumentException($"A covariance needs at least 2 samples, not {features.Rows}.");
        using var scope = torch.NewDisposeScope();
        var x = features.ToTensor();
        var mean = x.mean([0]);
        var centred = x - mean;
        var cov = centred.t().matmul(centred) / (features.Rows - 1);
        return new GaussianStatistics(mean.data<double>().ToArray(), cov.contiguous().data<double>().ToArray(), features.Columns);
    }
}

/// <summary>
/// Measures of generated images over the features of a classifier (<see cref="FeatureNetwork"/>): FID, KID,
/// improved precision and recall, and the predicted-class histogram. Everything is computed in float64.
/// </summary>
public static class ImageMetrics
{
    // ------------------------------------------------------------------ FID

    /// <summary>
    /// Fréchet Inception Distance (Heusel et al. 2017) with our features: the Fréchet distance of the Gaussians fitted
    /// to the two sets, ‖μ₁−μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr((Σ₁^½ Σ₂ Σ₁^½)^½).
    /// </summary>
    public static double Fid(FeatureMatrix a, FeatureMatrix b) => Fid(GaussianStatistics.Of(a), GaussianStatistics.Of(b));

    /// <summary>
    /// The Fréchet distance of two Gaussians. The matrix square roots come from symmetric eigendecompositions
    /// (<c>torch.linalg.eigh</c>, float64): Σ₁^½ = V diag(√λ) Vᵀ, then tr((Σ₁^½ Σ₂ Σ₁^½)^½) = Σ √μᵢ over the
    /// eigenvalues μᵢ of that symmetric positive semi-definite product; eigenvalues below zero (rounding, or a
    /// singular covariance) count as zero. Unlike scipy's <c>sqrtm</c> of the non-symmetric Σ₁Σ₂, this never
    /// produces complex parts or fails to converge.
    /// </summary>
    public static double Fid(GaussianStatistics a, GaussianStatistics b)
    {
        if (a.Dimension != b.Dimension) throw new ArgumentException($"Feature dimensions differ: {a.Dimension} and {b.Dimension}.");
        var d = a.Dimension;
        using var scope = torch.NewDisposeScope();
        var mu1 = torch.tensor(a.Mean, ScalarType.Float64);
        var mu2 = torch.tensor(b.Mean, ScalarType.Float64);
        var s1 = Symmetric(torch.tensor(a.Covariance, [d, d], ScalarType.Float64));
        var s2 = Symmetric(torch.tensor(b.Covariance, [d, d], ScalarType.Float64));
        var root1 = SquareRoot(s1);
        var product = Symmetric(root1.matmul(s2).matmul(root1));
        var traceRoot = torch.linalg.eigvalsh(product).clamp_min(0).sqrt().sum().item<double>();
        var meanTerm = (mu1 - mu2).square().sum().item<double>();
        return meanTerm + s1.trace().item<double>() + s2.trace().item<double>() - 2 * traceRoot;
    }

    private static Tensor Symmetric(Tensor m) => (m + m.t()) / 2;

    /// <summary>The symmetric square root of a symmetric positive semi-definite matrix (negative eigenvalues as zero).</summary>
    private static Tensor SquareRoot(Tensor symmetric)
    {
        var (values, vectors) = torch.linalg.eigh(symmetric);
        return vectors.matmul(torch.diag(values.clamp_min(0).sqrt())).matmul(vectors.t());
    }

    // ------------------------------------------------------------------ KID

    /// <summary>KID's mean and standard deviation over subsets.</summary>
    /// <param name="Mean">Mean over subsets of the unbiased MMD².</param>
    /// <param name="Std">Their standard deviation (population, as Bińkowski et al.'s code: <c>mmds.std()</c>).</param>
    /// <param name="Subsets">How many subsets.</param>
    /// <param name="SubsetSize">Samples per subset from each set.</param>
    public readonly record struct KidResult(double Mean, double Std, int Subsets, int SubsetSize);

    /// <summary>The polynomial kernel of KID, k(x, y) = (xᵀy / d + 1)³, between every row of <paramref name="x"/> and of <paramref name="y"/>.</summary>
    private static Tensor Kernel(Tensor x, Tensor y) => (x.matmul(y.t()) / x.shape[1] + 1).pow(3);

    /// <summary>
    /// The unbiased estimate of MMD² (Gretton et al. 2012, eq. 3) with KID's cubic kernel:
    /// Σ_{i≠j} k(xᵢ,xⱼ)/(m(m−1)) + Σ_{i≠j} k(yᵢ,yⱼ)/(n(n−1)) − 2 Σ_{i,j} k(xᵢ,yⱼ)/(mn). Its expectation is 0 when both
    /// sets come from one distribution, so single values can be negative.
    /// </summary>
    public static double UnbiasedMmd2(FeatureMatrix x, FeatureMatrix y)
    {
        if (x.Rows < 2 || y.Rows < 2) throw new ArgumentException("The unbiased MMD² needs at least 2 samples in each set.");
        if (x.Columns != y.Columns) throw new ArgumentException($"Feature dimensions differ: {x.Columns} and {y.Columns}.");
        using var scope = torch.NewDisposeScope();
        return UnbiasedMmd2(x.ToTensor(), y.ToTensor());
    }

    private static double UnbiasedMmd2(Tensor x, Tensor y)
    {
        double m = x.shape[0], n = y.shape[0];
        var kxx = Kernel(x, x);
        var kyy = Kernel(y, y);
        var kxy = Kernel(x, y);
        var xx = (kxx.sum().item<double>() - kxx.trace().item<double>()) / (m * (m - 1));
        var yy = (kyy.sum().item<double>() - kyy.trace().item<double>()) / (n * (n - 1));
        var xy = kxy.sum().item<double>() / (m * n);
        return xx + yy - 2 * xy;
    }

    /// <summary>
    /// Kernel Inception Distance (Bińkowski et al. 2018) with our features: the unbiased MMD² of
    /// <see cref="UnbiasedMmd2(FeatureMatrix, FeatureMatrix)"/> averaged over <paramref name="subsets"/> pairs of
    /// subsets of <paramref name="subsetSize"/> samples drawn without replacement from each set (their defaults:
    /// 100 subsets of 1000), with the standard deviation over subsets. The draws come from <see cref="Xoshiro256"/>
    /// seeded with <paramref name="seed"/>, so the value is reproducible.
    /// </summary>
    public static KidResult Kid(FeatureMatrix x, FeatureMatrix y, int subsetSize = 1000, int subsets = 100, ulong seed = 0)
    {
        var size = Math.Min(subsetSize, Math.Min(x.Rows, y.Rows));
        if (size < 2) throw new ArgumentException("KID needs at least 2 samples in each set.");
        if (subsets < 1) throw new ArgumentException("KID needs at least one subset.");
        var random = new Xoshiro256(seed);
        var draws = new List<(int[] X, int[] Y)>();
        for (var s = 0; s < subsets; s++) draws.Add((Draw(random, x.Rows, size), Draw(random, y.Rows, size)));
        return Kid(x, y, draws);
    }

    /// <summary>KID over the given subsets (row indices into each set), for reproducing a reference computation.</summary>
    public static KidResult Kid(FeatureMatrix x, FeatureMatrix y, IReadOnlyList<(int[] X, int[] Y)> subsets)
    {
        if (x.Columns != y.Columns) throw new ArgumentException($"Feature dimensions differ: {x.Columns} and {y.Columns}.");
        using var scope = torch.NewDisposeScope();
        var tx = x.ToTensor();
        var ty = y.ToTensor();
        var values = new double[subsets.Count];
        for (var s = 0; s < subsets.Count; s++)
        {
            using var inner = torch.NewDisposeScope();
            values[s] = UnbiasedMmd2(tx.index_select(0, torch.tensor(subsets[s].X.Select(i => (long)i).ToArray())),
                                     ty.index_select(0, torch.tensor(subsets[s].Y.Select(i => (long)i).ToArray())));
        }
        var mean = values.Average();
        var std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length);
        return new KidResult(mean, std, subsets.Count, subsets.Count > 0 ? subsets[0].X.Length : 0);
    }

    /// <summary><paramref name="count"/> distinct indices below <paramref name="n"/> (a partial Fisher–Yates shuffle).</summary>
    internal static int[] Draw(Xoshiro256 random, int n, int count)
    {
        var all = Enumerable.Range(0, n).ToArray();
        for (var i = 0; i < count; i++)
        {
            var j = i + random.NextInt(n - i);
            (all[i], all[j]) = (all[j], all[i]);
        }
        return all[..count];
    }

    // ------------------------------------------------------------------ precision and recall

    /// <summary>Improved precision and recall.</summary>
    /// <param name="Precision">Fraction of generated samples inside the real manifold (quality).</param>
    /// <param name="Recall">Fraction of real samples inside the generated manifold (coverage).</param>
    /// <param name="K">The neighbourhood size.</param>
    public readonly record struct PrecisionRecallResult(double Precision, double Recall, int K);

    /// <summary>
    /// Improved precision and recall (Kynkäänniemi et al. 2019): each set's manifold is the union of balls around its
    /// samples, each with the radius of the distance to its <paramref name="k"/>-th nearest other sample of the same set.
    /// Precision is the fraction of generated samples inside the real manifold, recall the fraction of real samples
    /// inside the generated one. Euclidean distances in float64, "inside" meaning at most the radius.
    /// </summary>
    public static PrecisionRecallResult PrecisionRecall(FeatureMatrix real, FeatureMatrix generated, int k = 3)
    {
        if (real.Columns != generated.Columns) throw new ArgumentException($"Feature dimensions differ: {real.Columns} and {generated.Columns}.");
        if (real.Rows <= k || generated.Rows <= k) throw new ArgumentException($"Precision and recall with k = {k} need more than {k} samples in each set.");
        using var scope = torch.NewDisposeScope();
        var r = real.ToTensor();
        var g = generated.ToTensor();
        var realRadii = Radii(r, k);
        var generatedRadii = Radii(g, k);
        return new PrecisionRecallResult(Inside(g, r, realRadii), Inside(r, g, generatedRadii), k);
    }

    private const int Block = 1000;

    /// <summary>Squared distances between every row of <paramref name="a"/> and of <paramref name="b"/>.</summary>
    private static Tensor SquaredDistances(Tensor a, Tensor b) =>
        (a.square().sum(1).unsqueeze(1) + b.square().sum(1).unsqueeze(0) - 2 * a.matmul(b.t())).clamp_min(0);

    /// <summary>The squared distance of each row to its k-th nearest other row (the row itself is the 0th).</summary>
    private static Tensor Radii(Tensor x, int k)
    {
        var n = x.shape[0];
        var parts = new List<Tensor>();
        for (long start = 0; start < n; start += Block)
        {
            var rows = x.narrow(0, start, Math.Min(Block, n - start));
            var d = SquaredDistances(rows, x);
            // The row's distance to itself is 0 up to rounding: set it exactly, so it is the smallest.
            var self = torch.arange(start, start + rows.shape[0], ScalarType.Int64).unsqueeze(1);
            d = d.scatter(1, self, torch.zeros(rows.shape[0], 1, ScalarType.Float64));
            parts.Add(d.topk(k + 1, 1, largest: false, sorted: true).values.select(1, k));
        }
        return torch.cat(parts, 0);
    }

    /// <summary>Fraction of rows of <paramref name="queries"/> within the radius of at least one row of <paramref name="manifold"/>.</summary>
    private static double Inside(Tensor queries, Tensor manifold, Tensor squaredRadii)
    {
        var n = queries.shape[0];
        long inside = 0;
        for (long start = 0; start < n; start += Block)
        {
            using var inner = torch.NewDisposeScope();
            var d = SquaredDistances(queries.narrow(0, start, Math.Min(Block, n - start)), manifold);
            inside += (d <= squaredRadii.unsqueeze(0)).any(1).sum().item<long>();
        }
        return (double)inside / n;
    }

    // ------------------------------------------------------------------ classes

    /// <summary>The classifier's predicted classes of a set of images.</summary>
    /// <param name="Counts">Images per class.</param>
    /// <param name="Covered">Classes that receive at least a tenth of their fair share (N / 10 / 10 images).</param>
    /// <param name="TotalVariation">Total variation distance of the class frequencies from uniform (0: balanced, 0.9: one class).</param>
    public sealed record ClassHistogram(int[] Counts, int Covered, double TotalVariation);

    /// <summary>The histogram of <paramref name="classes"/> (values 0 … <paramref name="classCount"/>−1).</summary>
    public static ClassHistogram Classes(IReadOnlyList<int> classes, int classCount = FeatureNetwork.ClassCount)
    {
        var counts = new int[classCount];
        foreach (var c in classes) counts[c]++;
        var n = Math.Max(1, classes.Count);
        var threshold = n / (double)classCount / 10;
        var covered = counts.Count(c => c > 0 && c >= threshold);
        var tv = counts.Sum(c => Math.Abs(c / (double)n - 1.0 / classCount)) / 2;
        return new ClassHistogram(counts, covered, tv);
    }
}
