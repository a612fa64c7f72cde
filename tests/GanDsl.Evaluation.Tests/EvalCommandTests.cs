using GanDsl.Cli;
using GanDsl.Data;
using GanDsl.Evaluation;
using GanDsl.Formats;

namespace GanDsl.Evaluation.Tests;

/// <summary><c>gan eval</c>: bad input is one line and exit code 2; one small run over the real (embedded) weights.</summary>
public class EvalCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gandsl-eval-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static bool HaveData => File.Exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");

    private (int Code, string Out, string Err) Gan(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = GanCli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private string Npy(string name, long[] shape, Func<int, float> value)
    {
        var n = (int)shape.Aggregate(1L, (a, b) => a * b);
        var path = Path.Combine(_dir, name);
        NpyFile.Write(path, Enumerable.Range(0, n).Select(value).ToArray(), shape);
        return path;
    }

    private void RefusedInOneLine(string expected, params string[] args)
    {
        var (code, _, err) = Gan(args);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains(expected, err);
        Assert.Single(err.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void WrongShape() => RefusedInOneLine("28×28", "eval", "--samples", Npy("flat.npy", [10, 2], i => 0));

    [Fact]
    public void Range0To255() => RefusedInOneLine("0..255", "eval", "--samples", Npy("bytes.npy", [4, 1, 28, 28], i => i % 256));

    [Fact]
    public void Range0To1() => RefusedInOneLine("0..1", "eval", "--samples", Npy("unit.npy", [4, 1, 28, 28], i => (i % 10) / 9f));

    [Fact]
    public void NaN() => RefusedInOneLine("NaN", "eval", "--samples", Npy("nan.npy", [4, 1, 28, 28], i => i == 900 ? float.NaN : 0));

    [Fact]
    public void OneSample() => RefusedInOneLine("at least 2", "eval", "--samples", Npy("one.npy", [1, 1, 28, 28], i => 0));

    [Fact]
    public void MissingFile() => RefusedInOneLine("does not exist", "eval", "--samples", Path.Combine(_dir, "nope.npy"));

    [Fact]
    public void NotNpy()
    {
        var path = Path.Combine(_dir, "text.npy");
        File.WriteAllText(path, "hello");
        RefusedInOneLine("not a .npy file", "eval", "--samples", path);
    }

    [Fact]
    public void CorruptWeights()
    {
        if (!HaveData) return;
        var samples = Npy("ok.npy", [4, 1, 28, 28], i => (i % 7) / 3f - 1);
        var weights = Path.Combine(_dir, "weights.bin");
        using (var stream = typeof(FeatureNetwork).Assembly.GetManifestResourceStream(FeatureNetwork.ResourceName)!)
        using (var file = File.Create(weights)) stream.CopyTo(file);
        var bytes = File.ReadAllBytes(weights);
        bytes[1000] ^= 1;
        File.WriteAllBytes(weights, bytes);
        RefusedInOneLine("not the pinned", "eval", "--samples", samples, "--feature-network", weights);
        RefusedInOneLine("Cannot read", "eval", "--samples", samples, "--feature-network", Path.Combine(_dir, "absent.bin"));
    }

    [Fact]
    public void EmbeddedWeights_HaveThePinnedHash()
    {
        using var stream = typeof(FeatureNetwork).Assembly.GetManifestResourceStream(FeatureNetwork.ResourceName);
        Assert.NotNull(stream);
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        Assert.Equal(FeatureNetwork.PinnedSha256, FeatureNetwork.Sha256(memory.ToArray()));
        Assert.True(memory.Length < 5_000_000);
    }

    /// <summary>The one test over the real weights: 300 training images against 300 test images, then noise.</summary>
    [Fact]
    public void TrainImages_AreCloseToTest_NoiseIsFar_SmallNWarns()
    {
        if (!HaveData) return;
        var json = Path.Combine(_dir, "train.json");
        var (code, output, err) = Gan("eval", "--samples", "train", "--count", "300", "--out", json);
        Assert.Equal(0, code);
        Assert.Contains("biased upward", err);
        var train = ImageEvaluation.FromJson(File.ReadAllText(json));
        Assert.Equal(300, train.SampleCount);
        Assert.True(train.Classes.Covered == 10, output);

        (code, _, _) = Gan("eval", "--samples", "noise", "--count", "300", "--out", json);
        Assert.Equal(0, code);
        var noise = ImageEvaluation.FromJson(File.ReadAllText(json));
        Assert.True(noise.Fid > 10 * train.Fid, $"noise {noise.Fid}, train {train.Fid}");
        Assert.True(noise.PrecisionRecall.Recall < train.PrecisionRecall.Recall);
        Assert.True(noise.Classes.Covered < 10);
    }

    /// <summary>
    /// `gan compare` on images end to end at a tiny budget: every (loss, seed) trains and is evaluated, the table,
    /// CSV, figure and per-run pictures are written, and a rerun reuses the finished runs instead of training again.
    /// </summary>
    [Fact]
    public void ImageCompare_EvaluatesEveryRun_WritesItsOutputs_AndARerunSkipsFinishedRuns()
    {
        if (!HaveData) return;
        var dir = Path.Combine(_dir, "compare");
        string[] args = ["compare", "--losses", "nonsaturating,hinge", "--seeds", "2", "--steps", "3", "--data", "fashion-mnist",
            "--model", "dcgan28", "--samples", "200", "--threads", "1", "--out", dir];
        var (code, output, err) = Gan(args);
        Assert.True(code == 0, err);
        var table = File.ReadAllText(Path.Combine(dir, "comparison.md"));
        Assert.Contains("FID", table);
        foreach (var loss in new[] { "nonsaturating", "hinge" })
        {
            Assert.Contains("| " + loss + " | 2 | 0 |", table);
            for (var seed = 0; seed < 2; seed++)
            {
                var run = Path.Combine(dir, loss, "seed-" + seed);
                foreach (var file in new[] { "samples.png", "evaluation.json", "run.json" })
                    Assert.True(File.Exists(Path.Combine(run, file)), $"{run}/{file} missing");
                var evaluation = ImageEvaluation.FromJson(File.ReadAllText(Path.Combine(run, "evaluation.json")));
                Assert.Equal(200, evaluation.SampleCount);
                Assert.True(double.IsFinite(evaluation.Fid) && evaluation.Fid > 0, $"FID {evaluation.Fid}");
            }
        }
        Assert.True(new FileInfo(Path.Combine(dir, "comparison_fid.png")).Length > 1000);
        var csv = File.ReadAllLines(Path.Combine(dir, "comparison.csv"));
        Assert.Equal(4, csv.Count(l => l.Contains(",completed,", StringComparison.Ordinal)));

        var before = File.GetLastWriteTimeUtc(Path.Combine(dir, "hinge", "seed-1", "samples.png"));
        (code, output, err) = Gan(args);
        Assert.True(code == 0, err);
        Assert.Equal(4, (output + err).Split('\n').Count(l => l.Contains("already done", StringComparison.Ordinal)));
        Assert.Equal(before, File.GetLastWriteTimeUtc(Path.Combine(dir, "hinge", "seed-1", "samples.png")));
    }
}
