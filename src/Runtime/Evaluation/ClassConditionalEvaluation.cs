using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using GanDsl.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Evaluation;

/// <summary>The measures of a conditional generator's images of one class (see <see cref="ClassConditionalEvaluation"/>).</summary>
/// <param name="Class">The class index k.</param>
/// <param name="Name">The class's name ("T-shirt/top").</param>
/// <param name="Samples">Images generated for class k.</param>
/// <param name="ReferenceSamples">Test images of class k they are compared with.</param>
/// <param name="Accuracy">Fraction of the class-k images the feature classifier recognises as class k.</param>
/// <param name="IntraFid">FID between the class-k images and the class-k test images (lower is better).</param>
public sealed record ClassMeasures(int Class, string Name, int Samples, int ReferenceSamples, double Accuracy, double IntraFid);

/// <summary>
/// How well a conditional generator follows its labels on Fashion-MNIST (<see cref="ImageEvaluator.EvaluateByClass"/>):
/// the generated-class accuracy (the fraction of images generated for class k that the feature classifier recognises
/// as class k; chance is 10 %) and intra-FID (Miyato &amp; Koyama 2018, "cGANs with Projection Discriminator", ICLR:
/// the FID between generated and real images of each class, averaged over classes).
/// </summary>
/// <param name="Accuracy">Fraction of all labelled images recognised as their label (the mean over classes when they are balanced).</param>
/// <param name="IntraFid">The mean over classes of the per-class FID.</param>
/// <param name="PerClass">Each class's measures, in class order.</param>
public sealed record ClassConditionalEvaluation(double Accuracy, double IntraFid, IReadOnlyList<ClassMeasures> PerClass)
{
    /// <summary>Images generated per class when GanDsl evaluates a conditional generator: every test image of a Fashion-MNIST class (1,000) faces as many
    /// generated ones.</summary>
    public const int DefaultPerClass = 1000;

    /// <summary>
    /// Labels for <paramref name="perClass"/> images of each of <paramref name="classCount"/> classes, grouped by class
    /// (class 0 first): what a conditional generator is asked for when it is evaluated.
    /// </summary>
    public static long[] BalancedLabels(int classCount, int perClass)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        ArgumentOutOfRangeException.ThrowIfNegative(perClass);
        var labels = new long[(long)classCount * perClass];
        for (var i = 0; i < labels.Length; i++) labels[i] = i / perClass;
        return labels;
    }

    /// <summary>The smallest number of images of any class.</summary>
    public int MinimumPerClass => PerClass.Min(c => c.Samples);

    /// <summary>One line: accuracy and mean intra-FID.</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"class accuracy {100 * Accuracy:F1} %  intra-FID {IntraFid:F2} ({MinimumPerClass} images per class)");

    /// <summary>The per-class measures as text, one class per line.</summary>
    public string ClassTable()
    {
        var text = new StringBuilder();
        text.AppendLine("  class         images  accuracy  intra-FID");
        foreach (var c in PerClass)
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"  {c.Name,-12} {c.Samples,7}  {100 * c.Accuracy,6:F1} %  {c.IntraFid,9:F2}"));
        return text.ToString();
    }

    /// <summary>As a JSON object (the <c>conditional</c> entry of evaluation.json).</summary>
    public JsonObject ToJson() => new()
    {
        ["accuracy"] = Accuracy,
        ["intraFid"] = IntraFid,
        ["classes"] = new JsonArray(PerClass.Select(c => (JsonNode)new JsonObject
        {
            ["class"] = c.Class,
            ["name"] = c.Name,
            ["samples"] = c.Samples,
            ["referenceSamples"] = c.ReferenceSamples,
            ["accuracy"] = c.Accuracy,
            ["intraFid"] = c.IntraFid,
        }).ToArray()),
    };

    /// <summary>Reads back what <see cref="ToJson"/> wrote.</summary>
    /// <exception cref="KeyNotFoundException">A field is missing.</exception>
    public static ClassConditionalEvaluation FromJson(JsonNode node)
    {
        static JsonNode Get(JsonNode n, string name) => n[name] ?? throw new KeyNotFoundException(name);
        var classes = Get(node, "classes").AsArray().Select(c => new ClassMeasures(Get(c!, "class").GetValue<int>(), Get(c!, "name").GetValue<string>(),
            Get(c!, "samples").GetValue<int>(), Get(c!, "referenceSamples").GetValue<int>(), Get(c!, "accuracy").GetValue<double>(),
            Get(c!, "intraFid").GetValue<double>())).ToList();
        return new ClassConditionalEvaluation(Get(node, "accuracy").GetValue<double>(), Get(node, "intraFid").GetValue<double>(), classes);
    }
}

public sealed partial class ImageEvaluator
{
    private const ulong ClassReferenceSeed = 0xC1A55;
    private readonly Dictionary<(int Class, int Count), GaussianStatistics> _classStatistics = new();

    /// <summary>
    /// Measures how well labelled generated images follow their labels: for each class k, the fraction of the images
    /// labelled k that the feature classifier predicts as k, and intra-FID, the FID between them and min(n_k, 1000)
    /// test images of class k (all of them at n_k ≥ 1,000, else a fixed subset). Every class needs at least 2 images.
    /// </summary>
    /// <param name="data">Images N × 1 × 28 × 28 in [−1, 1].</param>
    /// <param name="shape">Their shape.</param>
    /// <param name="labels">The class each image was generated for, N of them, in [0, 10).</param>
    /// <param name="source">Names the images in messages.</param>
    /// <exception cref="SampleFormatException">Bad images, labels of the wrong number or range, or a class with fewer than 2 images.</exception>
    public ClassConditionalEvaluation EvaluateByClass(ReadOnlySpan<float> data, IReadOnlyList<long> shape, IReadOnlyList<long> labels,
        string source = "the samples")
    {
        ArgumentNullException.ThrowIfNull(labels);
        CheckSamples(data, shape, source);
        var n = (int)shape[0];
        if (labels.Count != n)
            throw new SampleFormatException($"{source} hold {n} images but {labels.Count} labels were given: give the class of each image.");
        const int classCount = FeatureNetwork.ClassCount;
        var members = Enumerable.Range(0, classCount).Select(_ => new List<int>()).ToArray();
        for (var i = 0; i < n; i++)
        {
            if (labels[i] is < 0 or >= classCount)
                throw new SampleFormatException($"The label of image {i} of {source} is {labels[i]}, outside the {classCount} Fashion-MNIST classes " +
                    $"0..{classCount - 1}.");
            members[labels[i]].Add(i);
        }
        if (Array.FindIndex(members, m => m.Count < 2) is var thin and >= 0)
            throw new SampleFormatException(
                $"{source} have {members[thin].Count} image(s) of class {thin} ({FashionMnistSplits.ClassNames[thin]}); " +
                $"intra-FID needs at least 2 of every class ({ClassConditionalEvaluation.DefaultPerClass} for comparable values).");

        var (features, predicted) = _network.Extract(data, n);
        var all = new FeatureMatrix(features, n, FeatureNetwork.FeatureDimension);
        var perClass = new List<ClassMeasures>();
        var correct = 0;
        for (var k = 0; k < classCount; k++)
        {
            var right = members[k].Count(i => predicted[i] == k);
            correct += right;
            var generated = all.Select(members[k]);
            var reference = ClassReference(k, members[k].Count);
            var fid = ImageMetrics.Fid(GaussianStatistics.Of(generated), reference.Statistics);
            perClass.Add(new ClassMeasures(k, FashionMnistSplits.ClassNames[k], members[k].Count, reference.Count, (double)right / members[k].Count, fid));
        }
        return new ClassConditionalEvaluation((double)correct / n, perClass.Average(c => c.IntraFid), perClass);
    }

    /// <summary>
    /// Generates <paramref name="perClass"/> images of each Fashion-MNIST class from a conditional generator (an
    /// <c>nn.Module&lt;Tensor, Tensor, Tensor&gt;</c> taking noise and labels) and measures them with <see cref="EvaluateByClass"/>.
    /// </summary>
    /// <exception cref="SampleFormatException">The generated images are not valid images (shape, range, non-finite values).</exception>
    public ClassConditionalEvaluation EvaluateGenerator(nn.Module<Tensor, Tensor, Tensor> generator, IReadOnlyList<long> noiseShape, Generator random,
        Device device,
        int perClass = ClassConditionalEvaluation.DefaultPerClass)
    {
        var labels = ClassConditionalEvaluation.BalancedLabels(FeatureNetwork.ClassCount, perClass);
        var (data, shape) = Training.Sampling.Generate(generator, noiseShape, labels.Length, random, device, labels);
        return EvaluateByClass(data, shape, labels, $"the images generated for each class ({perClass} per class)");
    }

    /// <summary>The statistics of min(<paramref name="count"/>, all) test images of class <paramref name="k"/>: all of them, or a fixed subset.</summary>
    private (GaussianStatistics Statistics, int Count) ClassReference(int k, int count)
    {
        var members = Enumerable.Range(0, _test.Count).Where(i => _test.Labels[i] == k).ToArray();
        if (members.Length < 2)
            throw new SampleFormatException($"The reference images hold {members.Length} image(s) of class {k}; intra-FID needs at least 2 per class.");
        var n = Math.Min(count, members.Length);
        if (!_classStatistics.TryGetValue((k, n), out var statistics))
        {
            // Only the images used are run through the network: a small evaluation stays small.
            var indices = n == members.Length ? members
                : ImageMetrics.Draw(new Xoshiro256(Xoshiro256.DeriveSeed(ClassReferenceSeed, (ulong)k)), members.Length, n).Order().Select(i =>
                    members[i]).ToArray();
            var (features, _) = _network.Extract(FashionMnistSplits.ToFloats(_test.Images, indices), indices.Length);
            _classStatistics[(k, n)] = statistics = GaussianStatistics.Of(new FeatureMatrix(features, indices.Length, FeatureNetwork.FeatureDimension));
        }
        return (statistics, n);
    }
}
