using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GanDsl.Data;
using GanDsl.Formats;

namespace GanDsl.Evaluation;

/// <summary>Samples that cannot be evaluated (wrong shape, range, non-finite values, too few); the message is one line and says what to do.</summary>
public sealed class SampleFormatException(string message) : Exception(message);

/// <summary>The measures of one set of generated images against the Fashion-MNIST test split.</summary>
/// <param name="SampleCount">Generated images evaluated (N).</param>
/// <param name="ReferenceCount">Test images they are compared with.</param>
/// <param name="Fid">Fréchet distance of the feature Gaussians (lower is better; 0 for the test set itself).</param>
/// <param name="Kid">KID mean and standard deviation over subsets.</param>
/// <param name="PrecisionRecall">Improved precision and recall, k = 3.</param>
/// <param name="Classes">The classifier's predicted-class histogram of the generated images.</param>
/// <param name="Warnings">Caveats (N below 2,000).</param>
public sealed record ImageEvaluation(int SampleCount, int ReferenceCount, double Fid, ImageMetrics.KidResult Kid,
    ImageMetrics.PrecisionRecallResult PrecisionRecall, ImageMetrics.ClassHistogram Classes, IReadOnlyList<string> Warnings)
{
    /// <summary>
    /// For a conditional generator, how well its images follow their labels (generated-class accuracy, intra-FID); null
    /// for an unconditional one.
    /// </summary>
    public ClassConditionalEvaluation? Conditional { get; init; }

    /// <summary>The measures by column name, as metrics.csv and comparison.csv spell them (<c>class_accuracy</c> and <c>intra_fid</c> only for a conditional
    /// generator).</summary>
    public IReadOnlyList<(string Name, double Value)> Columns =>
    [
        ("fid", Fid), ("kid", Kid.Mean), ("kid_std", Kid.Std), ("precision", PrecisionRecall.Precision),
        ("recall", PrecisionRecall.Recall), ("classes_covered", Classes.Covered), ("class_tv", Classes.TotalVariation),
        ("eval_samples", SampleCount),
        .. Conditional is { } c ? new[] { ("class_accuracy", c.Accuracy), ("intra_fid", c.IntraFid) } : [],
    ];

    /// <summary>One line: FID, KID, precision, recall, classes covered; then, for a conditional generator, class accuracy and intra-FID.</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"FID {Fid:F2}  KID {Kid.Mean:F4} ± {Kid.Std:F4}  precision {PrecisionRecall.Precision:F3}  recall {PrecisionRecall.Recall:F3}  ") +
        string.Create(CultureInfo.InvariantCulture, $"classes {Classes.Covered}/{Classes.Counts.Length} (N = {SampleCount})") +
        (Conditional is { } c ? "  " + c.Summary : "");

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> atomically (a reader never sees half a file).</summary>
    public void Save(string path) => AtomicFile.WriteAllBytes(Path.GetFullPath(path), Encoding.UTF8.GetBytes(ToJson()));

    /// <summary>As JSON (evaluation.json of a run).</summary>
    public string ToJson()
    {
        var o = new JsonObject
        {
            ["samples"] = SampleCount,
            ["referenceSamples"] = ReferenceCount,
            ["reference"] = "fashion-mnist test split",
            ["featureNetworkSha256"] = FeatureNetwork.PinnedSha256,
            ["fid"] = Fid,
            ["kid"] = Kid.Mean,
            ["kidStd"] = Kid.Std,
            ["kidSubsets"] = Kid.Subsets,
            ["kidSubsetSize"] = Kid.SubsetSize,
            ["precision"] = PrecisionRecall.Precision,
            ["recall"] = PrecisionRecall.Recall,
            ["k"] = PrecisionRecall.K,
            ["classesCovered"] = Classes.Covered,
            ["classTotalVariation"] = Classes.TotalVariation,
            ["classCounts"] = new JsonObject(Classes.Counts.Select((c, i) => KeyValuePair.Create(FashionMnistSplits.ClassNames[i], (JsonNode?)c))),
            ["warnings"] = new JsonArray(Warnings.Select(w => (JsonNode)w).ToArray()),
        };
        if (Conditional is { } conditional) o["conditional"] = conditional.ToJson();
        return o.ToJsonString(new JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping
        }) + "\n";
    }

    /// <summary>Reads back what <see cref="ToJson"/> wrote.</summary>
    /// <exception cref="JsonException">Not such a document.</exception>
    /// <exception cref="KeyNotFoundException">A field is missing.</exception>
    public static ImageEvaluation FromJson(string json)
    {
        var o = JsonNode.Parse(json)?.AsObject() ?? throw new JsonException("empty evaluation");
        double D(string name) => (o[name] ?? throw new KeyNotFoundException(name)).GetValue<double>();
        int I(string name) => (o[name] ?? throw new KeyNotFoundException(name)).GetValue<int>();
        var counts = FashionMnistSplits.ClassNames.Select(c => (o["classCounts"]?[c] ?? throw new KeyNotFoundException(c)).GetValue<int>()).ToArray();
        return new ImageEvaluation(I("samples"), I("referenceSamples"), D("fid"),
            new ImageMetrics.KidResult(D("kid"), D("kidStd"), I("kidSubsets"), I("kidSubsetSize")),
            new ImageMetrics.PrecisionRecallResult(D("precision"), D("recall"), I("k")),
            new ImageMetrics.ClassHistogram(counts, I("classesCovered"), D("classTotalVariation")),
            (o["warnings"]?.AsArray() ?? []).Select(w => w!.GetValue<string>()).ToList())
        {
            Conditional = o["conditional"] is { } c ? ClassConditionalEvaluation.FromJson(c) : null,
        };
    }

    /// <summary>The class histogram as text, one class per line.</summary>
    public string ClassTable()
    {
        var text = new StringBuilder();
        for (var i = 0; i < Classes.Counts.Length; i++)
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"  {FashionMnistSplits.ClassNames[i],-12} {Classes.Counts[i],6}  {100.0 * Classes.Counts[i] / SampleCount,5:F1} %"));
        return text.ToString();
    }
}

/// <summary>
/// Evaluates generated Fashion-MNIST images: features of the <see cref="FeatureNetwork"/>, then FID, KID, precision
/// and recall against the test split and the class histogram. The test split's features are computed once per
/// evaluator (and reused for every run of a comparison).
/// </summary>
public sealed partial class ImageEvaluator : IDisposable
{
    /// <summary>The default number of samples (all 10,000 test images on the other side).</summary>
    public const int DefaultCount = 10_000;

    /// <summary>Below this N, FID is noticeably biased upward; a warning says so.</summary>
    public const int SmallCount = 2_000;

    /// <summary>Values further than this outside [−1, 1] make the samples invalid.</summary>
    public const float RangeTolerance = 1e-3f;

    private const ulong ReferenceSeed = 0xF1D_7E57;
    private const ulong KidSeed = 0x1C1D;

    private readonly FeatureNetwork _network;
    private readonly LabelledImages _test;
    private readonly Dictionary<int, (FeatureMatrix Features, GaussianStatistics Statistics)> _reference = new();

    private ImageEvaluator(FeatureNetwork network, LabelledImages test)
    {
        _network = network;
        _test = test;
    }

    /// <summary>The feature network.</summary>
    public FeatureNetwork Network => _network;

    /// <summary>Loads the (hash-checked) feature network and the test split.</summary>
    /// <param name="featureNetworkPath">A weights file instead of the embedded one (it must have the pinned hash).</param>
    /// <param name="dataFolder">Folder of the Fashion-MNIST IDX files (Debian's by default).</param>
    /// <exception cref="FeatureNetworkException">The weights are missing, corrupt or not the pinned ones.</exception>
    /// <exception cref="DataFileException">The test split is missing or corrupt.</exception>
    public static ImageEvaluator Create(string? featureNetworkPath = null, string? dataFolder = null)
    {
        var test = FashionMnistSplits.Test(dataFolder);
        return new ImageEvaluator(FeatureNetwork.Load(featureNetworkPath), test);
    }

    private static readonly Dictionary<string, ImageEvaluator> s_shared = new();

    /// <summary>
    /// <paramref name="count"/> images of uniform noise in [−1, 1], 1 × 28 × 28, the same for every call: the "noise"
    /// reference point of <c>gan eval</c> (how far from the data a metric puts samples that carry no image at all).
    /// </summary>
    public static float[] UniformNoise(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new Xoshiro256(0x4015E);
        var data = new float[(long)count * 784];
        for (var i = 0; i < data.Length; i++) data[i] = (float)(random.NextDouble() * 2 - 1);
        return data;
    }

    /// <summary>
    /// One evaluator per data folder for the whole process (embedded network), so the test split's features are
    /// computed once for every run of a comparison. Not to be disposed.
    /// </summary>
    /// <exception cref="FeatureNetworkException">The embedded weights are missing or corrupt.</exception>
    /// <exception cref="DataFileException">The test split is missing or corrupt.</exception>
    public static ImageEvaluator Shared(string? dataFolder = null)
    {
        lock (s_shared)
        {
            var key = FashionMnistSplits.Folder(dataFolder);
            if (!s_shared.TryGetValue(key, out var evaluator)) s_shared[key] = evaluator = Create(null, dataFolder);
            return evaluator;
        }
    }

    /// <summary>Wraps an already loaded network (tests, a freshly trained one).</summary>
    public static ImageEvaluator Create(FeatureNetwork network, LabelledImages test) => new(network, test);

    /// <summary>
    /// Checks generated images before anything is computed: shape N × 1 × 28 × 28 (or N × 28 × 28), at least two,
    /// every value finite and within [−1, 1]; images in 0..255 or 0..1 are recognised and named.
    /// </summary>
    /// <exception cref="SampleFormatException">The first problem, in one line.</exception>
    public static void CheckSamples(ReadOnlySpan<float> data, IReadOnlyList<long> shape, string source = "the samples")
    {
        var shown = $"[{string.Join(", ", shape)}]";
        var images = shape.Count == 4 && shape[1] == 1 && shape[2] == 28 && shape[3] == 28
                  || shape.Count == 3 && shape[1] == 28 && shape[2] == 28;
        if (!images)
            throw new SampleFormatException($"{source} have shape {shown}, but the Fashion-MNIST evaluation needs 28×28 grayscale images: N × 1 × 28 × " +
                "28 (or N × 28 × 28), float32 in [-1, 1].");
        if (shape[0] < 2)
            throw new SampleFormatException($"{source} hold {shape[0]} image(s); FID, KID and precision/recall need at least 2 (and 10,000 for " +
                "comparable values).");
        var min = float.PositiveInfinity;
        var max = float.NegativeInfinity;
        long nonFinite = 0, first = -1;
        for (var i = 0; i < data.Length; i++)
        {
            var v = data[i];
            if (!float.IsFinite(v)) { if (nonFinite++ == 0) first = i; continue; }
            if (v < min) min = v;
            if (v > max) max = v;
        }
        if (nonFinite > 0)
            throw new SampleFormatException(string.Create(CultureInfo.InvariantCulture,
                $"{source} contain {nonFinite} value(s) that are NaN or infinite (first in image {first / 784}): ") +
                "the generator diverged; nothing to evaluate.");
        if (min >= -RangeTolerance && max > 1 + RangeTolerance && max <= 255 + RangeTolerance)
            throw new SampleFormatException(string.Create(CultureInfo.InvariantCulture,
                $"{source} look like 0..255 pixel values (min {min:G4}, max {max:G4}), ") +
                "but the evaluation needs [-1, 1] as GanDsl writes them: convert with x / 127.5 - 1.");
        if (min >= -RangeTolerance && max <= 1 + RangeTolerance)
            throw new SampleFormatException(string.Create(CultureInfo.InvariantCulture,
                $"{source} look like 0..1 images (min {min:G4}, max {max:G4}, nothing negative), ") +
                "but the evaluation needs [-1, 1] with -1 black: convert with 2x - 1.");
        if (min < -1 - RangeTolerance || max > 1 + RangeTolerance)
            throw new SampleFormatException(string.Create(CultureInfo.InvariantCulture,
                $"{source} have values in [{min:G4}, {max:G4}], outside [-1, 1]: the evaluation needs images in [-1, 1] (tanh outputs, -1 black)."));
    }

    /// <summary>The warning for a small N, or null.</summary>
    public static string? SmallSampleWarning(int count) => count >= SmallCount ? null : string.Create(CultureInfo.InvariantCulture,
        $"N = {count} is below {SmallCount}: FID is biased upward at small N ") +
        "(the estimate of the covariance is noisy, and the noise adds to the distance), " +
        "so this FID overstates the distance and compares only with FIDs at the same N. Use N = 10,000 for reported numbers.";

    /// <summary>
    /// Evaluates the first <paramref name="count"/> images of <paramref name="data"/> (all of them when null, at most
    /// 10,000 by default) against as many test images (all 10,000 at N = 10,000; otherwise a fixed random subset).
    /// </summary>
    /// <exception cref="SampleFormatException">The samples fail <see cref="CheckSamples"/>.</exception>
    public ImageEvaluation Evaluate(ReadOnlySpan<float> data, IReadOnlyList<long> shape, int? count = null, string source = "the samples")
    {
        CheckSamples(data, shape, source);
        var available = (int)Math.Min(shape[0], int.MaxValue);
        var n = Math.Min(count ?? DefaultCount, available);
        if (n < 2) throw new SampleFormatException($"ImageEvaluator.Evaluate needs a count of at least 2 samples, not {n}.");
        var warnings = new List<string>();
        if (SmallSampleWarning(n) is { } w) warnings.Add(w);
        var (features, classes) = _network.Extract(data, n);
        var generated = new FeatureMatrix(features, n, FeatureNetwork.FeatureDimension);
        var (real, realStatistics) = Reference(Math.Min(n, _test.Count));
        var fid = ImageMetrics.Fid(GaussianStatistics.Of(generated), realStatistics);
        var kid = ImageMetrics.Kid(generated, real, seed: KidSeed);
        var pr = ImageMetrics.PrecisionRecall(real, generated);
        return new ImageEvaluation(n, real.Rows, fid, kid, pr, ImageMetrics.Classes(classes), warnings);
    }

    /// <summary>Features of <paramref name="count"/> test images (all at 10,000, else a fixed subset) and their statistics.</summary>
    public (FeatureMatrix Features, GaussianStatistics Statistics) Reference(int count)
    {
        if (_reference.TryGetValue(count, out var cached)) return cached;
        var indices = count >= _test.Count ? Enumerable.Range(0, _test.Count).ToArray()
            : ImageMetrics.Draw(new Xoshiro256(ReferenceSeed), _test.Count, count).Order().ToArray();
        var (features, _) = _network.Extract(FashionMnistSplits.ToFloats(_test.Images, indices), indices.Length);
        var matrix = new FeatureMatrix(features, indices.Length, FeatureNetwork.FeatureDimension);
        return _reference[count] = (matrix, GaussianStatistics.Of(matrix));
    }

    /// <summary>Frees the network.</summary>
    public void Dispose() => _network.Dispose();
}
