using GanDsl.Cli;
using GanDsl.Data;
using GanDsl.Formats;
using GanDsl.Training;
using Xunit.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Evaluation.Tests;

/// <summary>
/// Generated-class accuracy and intra-FID (<see cref="ImageEvaluator.EvaluateByClass"/>) without training: hand-made
/// conditional "generators" that return real Fashion-MNIST training images, of the requested class or of any class.
/// </summary>
public class ConditionalEvaluationTests(ITestOutputHelper output) : IDisposable
{
    private const int PerClass = 60;   // small N: fast, and the same N on both sides, so the comparison is fair
    private readonly string _dir = Directory.CreateTempSubdirectory("gandsl-cond-eval-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static bool HaveData => File.Exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");

    private static readonly Lazy<(float[][] Pools, LabelledImages Test)> Data = new(() =>
    {
        var train = FashionMnistSplits.Train();
        var pools = Enumerable.Range(0, 10).Select(k =>
            FashionMnistSplits.ToFloats(train.Images, Enumerable.Range(0, train.Count).Where(i => train.Labels[i] == k).Take(PerClass).ToArray())).ToArray();
        return (pools, FashionMnistSplits.Test());
    });

    /// <summary>
    /// Returns training images: for sample i asked for class c, the next unused image of class <c>pick(c, i)</c>'s pool
    /// (the identity for a generator that follows its labels).
    /// </summary>
    private sealed class PoolGenerator(float[][] pools, Func<long, int, int> pick) : nn.Module<Tensor, Tensor, Tensor>("pool")
    {
        private readonly int[] _used = new int[pools.Length];
        private int _index;

        public override Tensor forward(Tensor noise, Tensor labels)
        {
            var classes = labels.cpu().data<long>().ToArray();
            var images = new float[classes.Length * 784];
            for (var i = 0; i < classes.Length; i++)
            {
                var c = pick(classes[i], _index++);
                pools[c].AsSpan(_used[c]++ % PerClass * 784, 784).CopyTo(images.AsSpan(i * 784, 784));
            }
            return torch.tensor(images, [classes.Length, 1, 28, 28]);
        }
    }

    private static ClassConditionalEvaluation Evaluate(ImageEvaluator evaluator, Func<long, int, int> pick)
    {
        using var generator = new PoolGenerator(Data.Value.Pools, pick);
        using var random = new torch.Generator(1, CPU);
        return evaluator.EvaluateGenerator(generator, [4], random, CPU, PerClass);
    }

    [Fact]
    public void A_generator_that_follows_its_labels_is_recognised_and_close_per_class_one_that_ignores_them_is_at_chance()
    {
        if (!HaveData) return;
        using var evaluator = ImageEvaluator.Create(FeatureNetwork.Load(), Data.Value.Test);
        var following = Evaluate(evaluator, (c, _) => (int)c);
        var ignoring = Evaluate(evaluator, (_, i) => i % 10);   // every label gets images of every class
        output.WriteLine($"following its labels: {following.Summary}; ignoring them: {ignoring.Summary}");

        // Following its labels, the accuracy is exactly the classifier's accuracy on those very images.
        var all = Data.Value.Pools.SelectMany(p => p).ToArray();
        var (_, predicted) = evaluator.Network.Extract(all, all.Length / 784);
        var classifier = predicted.Select((p, i) => p == i / PerClass ? 1.0 : 0.0).Average();
        Assert.Equal(classifier, following.Accuracy, 12);
        Assert.True(following.Accuracy > 0.8, $"accuracy {following.Accuracy}");
        Assert.InRange(ignoring.Accuracy, 0.03, 0.2);   // chance is 10 %

        Assert.Equal(10, following.PerClass.Count);
        Assert.All(following.PerClass, c => Assert.Equal((PerClass, PerClass), (c.Samples, c.ReferenceSamples)));
        Assert.Equal(following.PerClass.Average(c => c.IntraFid), following.IntraFid, 12);
        Assert.True(following.IntraFid < ignoring.IntraFid / 3, $"intra-FID following {following.IntraFid:F1}, ignoring {ignoring.IntraFid:F1}");
        for (var k = 0; k < 10; k++)
            Assert.True(following.PerClass[k].IntraFid < ignoring.PerClass[k].IntraFid, $"class {k}: {following.PerClass[k].IntraFid} vs {ignoring.PerClass[k].IntraFid}");
    }

    [Fact]
    public void Bad_labels_are_refused_with_the_problem_named()
    {
        if (!HaveData) return;
        using var evaluator = ImageEvaluator.Create(FeatureNetwork.Load(), Data.Value.Test);
        var images = Data.Value.Pools.SelectMany(p => p.AsSpan(0, 2 * 784).ToArray()).ToArray();   // 2 per class
        long[] shape = [20, 1, 28, 28];
        var good = ClassConditionalEvaluation.BalancedLabels(10, 2);
        Assert.Contains("19 labels", Assert.Throws<SampleFormatException>(() => evaluator.EvaluateByClass(images, shape, good[..19])).Message);
        var outside = (long[])good.Clone();
        outside[3] = 10;
        Assert.Contains("label of image 3", Assert.Throws<SampleFormatException>(() => evaluator.EvaluateByClass(images, shape, outside)).Message);
        var thin = (long[])good.Clone();
        thin[19] = 0;   // class 9 keeps one image
        Assert.Contains($"class 9 ({FashionMnistSplits.ClassNames[9]})", Assert.Throws<SampleFormatException>(() => evaluator.EvaluateByClass(images, shape, thin)).Message);
    }

    [Fact]
    public void Evaluation_json_and_columns_carry_the_class_measures_only_for_a_conditional_generator()
    {
        var plain = new ImageEvaluation(100, 100, 12.5, new ImageMetrics.KidResult(0.01, 0.001, 10, 50), new ImageMetrics.PrecisionRecallResult(0.6, 0.5, 3),
            new ImageMetrics.ClassHistogram(Enumerable.Repeat(10, 10).ToArray(), 10, 0), []);
        Assert.DoesNotContain("conditional", plain.ToJson());
        Assert.DoesNotContain(plain.Columns, c => c.Name is "class_accuracy" or "intra_fid");
        Assert.Null(ImageEvaluation.FromJson(plain.ToJson()).Conditional);

        var measures = Enumerable.Range(0, 10).Select(k => new ClassMeasures(k, FashionMnistSplits.ClassNames[k], 100, 100, 0.5 + k / 100.0, 20 + k)).ToList();
        var conditional = plain with { Conditional = new ClassConditionalEvaluation(0.545, 24.5, measures) };
        var back = ImageEvaluation.FromJson(conditional.ToJson());
        Assert.Equal(0.545, back.Conditional!.Accuracy);
        Assert.Equal(24.5, back.Conditional.IntraFid);
        Assert.Equal(measures, back.Conditional.PerClass);
        Assert.Contains(("class_accuracy", 0.545), conditional.Columns);
        Assert.Contains(("intra_fid", 24.5), conditional.Columns);
        Assert.Contains("intra-FID 24.50", conditional.Summary);

        // The compare table: the two columns appear when some run is conditional, "–" for a loss whose runs are not.
        var runs = new[]
        {
            new ComparisonRun("cond", 0, RunStatus.Completed, 10, 1, null, null) { Images = conditional },
            new ComparisonRun("plain", 0, RunStatus.Completed, 10, 1, null, null) { Images = plain },
        };
        var markdown = ComparisonTable.ToMarkdown(runs).Split('\n');
        Assert.Contains("class accuracy ↑ | intra-FID ↓", markdown[0]);
        Assert.Contains("| 54.5 % | 24.5 |", markdown.Single(l => l.StartsWith("| cond ")));
        Assert.Contains("| – | – |", markdown.Single(l => l.StartsWith("| plain ")));
        Assert.DoesNotContain("intra-FID", ComparisonTable.ToMarkdown([runs[1]]));
        var csv = ComparisonTable.ToCsv(runs).Split('\n');
        Assert.EndsWith(",class_accuracy,intra_fid,message", csv[0]);
        Assert.Contains(",0.545,24.5,", csv[1]);
        Assert.EndsWith(",0,,,", csv[2]);   // class_tv 0, then no class measures and no message
        Assert.DoesNotContain("intra_fid", ComparisonTable.ToCsv([runs[1]]));
    }

    [Fact]
    public void Eval_command_with_labels_reports_class_accuracy_and_intra_fid()
    {
        if (!HaveData) return;
        var images = Data.Value.Pools.SelectMany(p => p.AsSpan(0, 20 * 784).ToArray()).ToArray();   // 20 per class, grouped
        var samples = Path.Combine(_dir, "generated.npy");
        NpyFile.Write(samples, images, [200, 1, 28, 28]);
        var labels = Path.Combine(_dir, "generated_labels.npy");
        NpyFile.Write(labels, ClassConditionalEvaluation.BalancedLabels(10, 20).Select(l => (float)l).ToArray(), [200]);
        var json = Path.Combine(_dir, "evaluation.json");
        var (code, output, err) = Gan("eval", "--samples", samples, "--labels", labels, "--out", json);
        Assert.True(code == 0, err);
        Assert.Contains("class accuracy", output);
        Assert.Contains("intra-FID", output);
        var result = ImageEvaluation.FromJson(File.ReadAllText(json));
        Assert.True(result.Conditional!.Accuracy > 0.8, output);
        Assert.All(result.Conditional.PerClass, c => Assert.Equal(20, c.Samples));

        NpyFile.Write(labels, Enumerable.Repeat(0.5f, 200).ToArray(), [200]);
        (code, _, err) = Gan("eval", "--samples", samples, "--labels", labels);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("not a whole number: labels are class indices", err);
        NpyFile.Write(labels, new float[199], [199]);
        (code, _, err) = Gan("eval", "--samples", samples, "--labels", labels);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("shape [200]", err);
    }

    private static (int Code, string Out, string Err) Gan(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = GanCli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
