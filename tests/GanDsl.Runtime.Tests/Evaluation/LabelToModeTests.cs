using GanDsl.Data;
using GanDsl.Evaluation;
using GanDsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Runtime.Tests.Evaluation;

/// <summary>Label-to-mode accuracy of conditional generators on the ring, without training.</summary>
public class LabelToModeTests
{
    /// <summary>Puts a sample asked for label k at mode <c>(k + shift) mod 8</c>, spread by σ = <paramref name="spread"/> times the ring's.</summary>
    private sealed class ModeGenerator(GaussianMixture2D ring, int shift, double spread = 1) : nn.Module<Tensor, Tensor, Tensor>("modes")
    {
        private readonly Tensor _centres = torch.tensor(ring.Modes.SelectMany(m => new[] { (float)m.X, (float)m.Y }).ToArray(), [ring.Modes.Count, 2]);

        public override Tensor forward(Tensor noise, Tensor labels) =>
            _centres.index_select(0, (labels + shift).remainder(_centres.shape[0])) + noise * (float)(spread * ring.ModeStd);
    }

    private static LabelModeAccuracy Measure(int shift, double spread = 1)
    {
        var ring = GaussianMixture2D.Ring();
        using var generator = new ModeGenerator(ring, shift, spread);
        return Comparison.LabelToMode(generator, [2], ring, 800, 7, CPU);
    }

    [Fact]
    public void Samples_placed_at_their_labels_mode_score_one_at_the_next_mode_zero()
    {
        var right = Measure(0);
        Assert.True(right.Accuracy > 0.98, $"accuracy {right.Accuracy}");   // 3σ in 2-D holds 98.9 % of a Gaussian
        Assert.Equal(Enumerable.Repeat(100, 8), right.SamplesPerLabel);
        Assert.Equal(0.0, Measure(1).Accuracy);
    }

    [Fact]
    public void Samples_of_the_right_mode_but_too_far_from_it_do_not_count()
    {
        // Spread 10σ: mostly outside the 3σ "high-quality" radius, although their nearest mode is often their label's.
        Assert.True(Measure(0, spread: 10).Accuracy < 0.2);
    }

    [Fact]
    public void Counts_are_per_label_and_bad_labels_are_refused()
    {
        var ring = GaussianMixture2D.Ring();
        var m = ring.Modes;
        float[] samples = [(float)m[0].X, (float)m[0].Y, (float)m[1].X, (float)m[1].Y, (float)m[1].X, (float)m[1].Y];
        var result = Metrics2D.LabelToMode(samples, [0, 1, 2], ring);
        Assert.Equal(2.0 / 3, result.Accuracy, 12);
        Assert.Equal([1, 1, 0, 0, 0, 0, 0, 0], result.HitsPerLabel);
        Assert.Equal([1, 1, 1, 0, 0, 0, 0, 0], result.SamplesPerLabel);
        Assert.Contains("Label 8 of sample 1", Assert.Throws<ArgumentException>(() => Metrics2D.LabelToMode(samples, [0, 8, 1], ring)).Message);
        Assert.Contains("3 samples need 3 labels", Assert.Throws<ArgumentException>(() => Metrics2D.LabelToMode(samples, [0, 1], ring)).Message);
    }

    [Fact]
    public void The_comparison_table_shows_label_to_mode_accuracy_only_for_conditional_runs()
    {
        var modes = new ModeMetrics(0.02, 0.99, 8, 8, Enumerable.Repeat(100, 8).ToList());
        var plain = new SampleMetrics(0.01, 0.001, modes);
        var conditional = plain with { LabelToMode = new LabelModeAccuracy(0.95, [], []) };
        ComparisonRun Run(string loss, int seed, SampleMetrics metrics) => new(loss, seed, RunStatus.Completed, 10, 1, metrics, null);
        var runs = new[] { Run("cond", 0, conditional), Run("cond", 1, conditional with { LabelToMode = new LabelModeAccuracy(0.85, [], []) }), Run("plain", 0, plain) };
        var markdown = ComparisonTable.ToMarkdown(runs).Split('\n');
        Assert.Contains("label-to-mode accuracy ↑", markdown[0]);
        Assert.Equal(markdown[0].Count(c => c == '|'), markdown[1].Count(c => c == '|'));
        Assert.Contains("| 90.0 ± 7.1 % |", markdown.Single(l => l.StartsWith("| cond ")));
        Assert.Contains("| – |", markdown.Single(l => l.StartsWith("| plain ")));
        Assert.DoesNotContain("label-to-mode", ComparisonTable.ToMarkdown([runs[2]]));
        var csv = ComparisonTable.ToCsv(runs).Split('\n');
        Assert.EndsWith(",label_to_mode_accuracy,message", csv[0]);
        Assert.EndsWith(",0.95,", csv[1]);
        Assert.EndsWith(",,", csv[3]);
        Assert.DoesNotContain("label_to_mode", ComparisonTable.ToCsv([runs[2]]));
    }

    [Fact]
    public void A_finished_runs_record_keeps_its_label_to_mode_accuracy()
    {
        var dir = Directory.CreateTempSubdirectory("gandsl-label-record-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "samples.npy"), "");
            File.WriteAllText(Path.Combine(dir, "samples.png"), "");
            var metrics = new SampleMetrics(0.01, 0.001, null) { LabelToMode = new LabelModeAccuracy(0.75, [3, 0], [4, 0]) };
            ComparisonRecord.Write(dir, new ComparisonRun("cond", 0, RunStatus.Completed, 10, 1, metrics, null), "key");
            var back = ComparisonRecord.Read(dir, "key")!.Metrics!.LabelToMode!;
            Assert.Equal(0.75, back.Accuracy);
            Assert.Equal([3, 0], back.HitsPerLabel);
            Assert.Equal([4, 0], back.SamplesPerLabel);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
