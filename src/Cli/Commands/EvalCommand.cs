using System.CommandLine;
using System.Globalization;
using GanDsl.Data;
using GanDsl.Evaluation;
using GanDsl.Formats;

namespace GanDsl.Cli.Commands;

/// <summary><c>gan eval</c>: FID, KID, precision/recall and class coverage of generated Fashion-MNIST images (<see cref="ImageEvaluator"/>).</summary>
public static class EvalCommand
{
    /// <summary>Printed after the options by <c>gan eval --help</c>.</summary>
    internal const string Notes = """
        Features are the penultimate layer of a small Fashion-MNIST classifier GanDsl trains itself
        (docs/evaluation.md). The generated images are compared with the 10,000 test images (a fixed subset
        of N when N < 10000): FID, KID (mean ± std over 100 subsets of 1000), improved precision and recall
        (k = 3) and the predicted-class histogram (a class is covered with at least a tenth of its fair share).
        With --labels (the class each image was generated for, as generated_labels.npy of 'gan sample' from a
        conditional generator), also the generated-class accuracy (the fraction of images of class k the classifier
        calls k) and intra-FID (FID per class against that class's test images, and its mean over classes).
        'gan eval --train-feature-network FILE' re-creates the feature network instead.
        """;

    /// <summary>The <c>eval</c> command, running with <paramref name="cli"/>'s writers.</summary>
    internal static Command Create(CliContext cli)
    {
        var samples = CliOptions.Text("--samples",
            "generated images, float32, N x 1 x 28 x 28 (or N x 28 x 28) in [-1, 1] (as samples.npy of 'gan train'); " +
            "'train' evaluates the first N training images and 'noise' N images of uniform noise in [-1, 1] (reference points)", "FILE.npy");
        samples.CompletionSources.Add(context => new[] { "train", "noise" });
        var labels = CliOptions.Text("--labels", "the class of each image, N whole numbers in 0..9 (float32 .npy, as generated_labels.npy of 'gan " +
            "sample'): adds class accuracy and intra-FID", "FILE.npy");
        var count = CliOptions.Int("--count", "images to evaluate (default 10000; the file's first N); FID is biased upward below 2000 and compares " +
            "only at equal N");
        var @out = CliOptions.Text("--out", "also write the results as JSON", "FILE.json");
        var featureNetwork = CliOptions.Text("--feature-network", "weights to use instead of the embedded ones (must have the pinned SHA-256)", "FILE");
        var folder = CliOptions.Text("--fashion-mnist-dir", "folder of the Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist)", "DIR");
        var threads = CliOptions.Threads();
        var trainNetwork = CliOptions.Text("--train-feature-network",
            "re-create the feature network from scratch (1 thread, fixed seed and data order; about 25 minutes on a busy 2-core machine) " +
            "into FILE and report its test accuracy and whether it is bit for bit the shipped one", "FILE");
        var command = new Command("eval", "FID, KID, precision/recall and class coverage of generated Fashion-MNIST images.") { samples, labels, count, @out,
            featureNetwork, folder, threads, trainNetwork };
        command.SetAction(parse => Run(parse.GetValue(samples), parse.GetValue(labels), parse.GetValue(count), parse.GetValue(@out),
            parse.GetValue(featureNetwork), parse.GetValue(folder), parse.GetValue(threads), parse.GetValue(trainNetwork), cli.Stdout, cli.Stderr));
        return command;
    }

    private static int Run(string? samples, string? labelsPath, int? count, string? jsonPath, string? featureNetwork, string? folder, int? threads,
        string? target,
        TextWriter stdout, TextWriter stderr)
    {
        if (target is not null)
        {
            if (samples is not null) throw new UsageException("--train-feature-network and --samples are separate uses of 'gan eval'; give one.");
            return TrainNetwork(target, folder, stdout, stderr);
        }
        if (samples is null) throw new UsageException("'gan eval' needs --samples (or --train-feature-network).");
        if (count is < 2) throw new UsageException($"--count must be at least 2 (10000 for comparable FIDs), not {count}.");
        Libtorch.Configure(threads);

        // The samples are checked first (cheap), then the network is loaded and verified.
        float[] data;
        long[] shape;
        string source;
        long[]? labels = null;
        try
        {
            (data, shape, source) = LoadSamples(samples, count ?? ImageEvaluator.DefaultCount, folder);
            ImageEvaluator.CheckSamples(data, shape, source);
            if (labelsPath is not null) labels = LoadLabels(labelsPath, shape[0], source);
        }
        catch (Exception e) when (e is DataFileException or FileNotFoundException or SampleFormatException) { throw new UsageException(e.Message); }

        ImageEvaluator evaluator;
        try { evaluator = ImageEvaluator.Create(featureNetwork, folder); }
        catch (Exception e) when (e is FeatureNetworkException or DataFileException) { throw new UsageException(e.Message); }
        using (evaluator)
        {
            ImageEvaluation result;
            try
            {
                result = evaluator.Evaluate(data, shape, count, source);
                if (labels is not null)
                {
                    // The same first N images as the unconditional measures.
                    var n = result.SampleCount;
                    result = result with { Conditional = evaluator.EvaluateByClass(data.AsSpan(0, n * 784), [n, 1, 28, 28], labels[..n], source) };
                }
            }
            catch (SampleFormatException e) { throw new UsageException(e.Message); }
            if (count is { } asked && asked > result.SampleCount)
                stderr.WriteLine($"gan: warning: {source} hold {result.SampleCount} images, fewer than --count {asked}; evaluating {result.SampleCount}.");
            foreach (var w in result.Warnings) stderr.WriteLine($"gan: warning: {w}");
            stdout.WriteLine(result.Summary);
            stdout.Write(result.ClassTable());
            if (result.Conditional is { } conditional) stdout.Write(conditional.ClassTable());
            if (jsonPath is { } json)
            {
                result.Save(json);
                stdout.WriteLine($"Wrote {json}.");
            }
        }
        return ExitCodes.Success;
    }

    /// <summary>The images to evaluate: a .npy file, or the 'train' / 'noise' reference points.</summary>
    private static (float[] Data, long[] Shape, string Source) LoadSamples(string samples, int count, string? folder)
    {
        if (samples == "train")
        {
            var train = FashionMnistSplits.Train(folder);
            var n = Math.Min(count, train.Count);
            return (FashionMnistSplits.ToFloats(train.Images, Enumerable.Range(0, n).ToArray()), [n, 1, 28, 28], $"the first {n} training images");
        }
        if (samples == "noise")
        {
            return (ImageEvaluator.UniformNoise(count), [count, 1, 28, 28], $"{count} images of uniform noise");
        }
        var array = NpyFile.Read(samples);
        return (array.Data, array.Shape, $"'{samples}'");
    }

    /// <summary>The class of each of the <paramref name="count"/> images: whole numbers, one per image.</summary>
    private static long[] LoadLabels(string path, long count, string source)
    {
        // Integer or whole-number float labels, as gan sample and gan train write them (NpyFile.ReadLabels checks the dtype and values).
        var (labels, shape) = NpyFile.ReadLabels(path);
        if (shape.Length is not (1 or 2) || shape.Length == 2 && shape[1] != 1 || shape[0] != count)
            throw new SampleFormatException($"The labels '{path}' have shape [{string.Join(", ", shape)}], but {source} hold {count} images: give one " +
                $"class per image, shape [{count}].");
        return labels;
    }

    private static int TrainNetwork(string target, string? folder, TextWriter stdout, TextWriter stderr)
    {
        Libtorch.Configure(1);
        stderr.WriteLine($"Training the Fashion-MNIST feature network ({FeatureNetwork.TrainingEpochs} epochs, batch {FeatureNetwork.TrainingBatch}, " +
            $"seed {FeatureNetwork.TrainingSeed}, 1 thread) -> {target}");
        FeatureNetwork.TrainingReport report;
        try { report = FeatureNetwork.Train(target, stderr, folder); }
        catch (DataFileException e) { throw new UsageException(e.Message); }
        var verdict = report.MatchesPinned ? "bit for bit the shipped network."
            : $"differs from the pinned {FeatureNetwork.PinnedSha256} (another libtorch build or CPU vector instructions round differently).";
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Test accuracy {report.TestAccuracy * 100:F2} % after {report.Seconds:F0} s of training. SHA-256 {report.Sha256}: {verdict}"));
        return ExitCodes.Success;
    }
}
