using GanDsl.Training;
using static GanDsl.Runtime.Tests.Training.RunFolders;

namespace GanDsl.Runtime.Tests.Training;

/// <summary>The progress a run reports: to the event and the IProgress, every tenth of the run, a final report; the default reporter.</summary>
[Collection(SerialTorchCollection.Name)]
public sealed class ProgressTests : TempFolderTests
{
    [Fact]
    public void Trainer_raises_progress_reports_with_losses_and_a_final_one()
    {
        var dir = TempDir("progress");
        var options = new TrainOptions
        {
            Loss = "test-nonsaturating", Data = "ring", OutputDirectory = dir, Steps = 20, BatchSize = 16, Threads = 1,
            SampleEvery = 0, FinalSampleCount = 10,
        };
        using var trainer = Trainer.Create(options, new LossRegistry(typeof(TestNonSaturating).Assembly));
        var events = new List<TrainingProgress>();
        var reported = new List<TrainingProgress>();
        trainer.Progress += events.Add;
        Assert.Equal(TrainOutcome.Completed, trainer.Run(default, new Collect(reported)).Outcome);

        Assert.Equal(events, reported); // the event and the IProgress see the same reports
        Assert.True(events.Count <= 21, $"{events.Count} reports for 20 steps");
        // Every tenth of the run is reported (plain progress lines rely on it), in order, with losses.
        Assert.Superset(Enumerable.Range(1, 10).Select(k => 2L * k).ToHashSet(), events.Select(e => e.Step).ToHashSet());
        Assert.Equal(events.Select(e => e.Step).Order(), events.Select(e => e.Step));
        Assert.All(events, e => Assert.True(e.GeneratorLoss is { } g && double.IsFinite(g) && e.DiscriminatorLoss is not null));
        var last = events[^1];
        Assert.True(last.IsFinal);
        Assert.Equal(20, last.Step);
        Assert.Equal(TimeSpan.Zero, last.TimeLeft);
        Assert.Equal(1.0, last.Fraction);
        Assert.Single(events, e => e.IsFinal);
    }

    [Fact]
    public void Comparison_progress_estimates_the_time_left_from_the_runs_done()
    {
        var training = new TrainingProgress(50, 0, 100, TimeSpan.FromSeconds(10), null, 1, false);
        // Run 2 of 4, half done: 1.5 of 4 runs in 30 s, so 2.5 runs (50 s) are left.
        var p = new ComparisonProgress(2, 4, "lsgan", 1, TimeSpan.FromSeconds(30), training);
        Assert.Equal(1.5 / 4, p.Fraction, 12);
        Assert.Equal(50, p.TimeLeft!.Value.TotalSeconds, 9);
        Assert.Null(new ComparisonProgress(1, 4, "lsgan", 0, TimeSpan.FromSeconds(1), null).TimeLeft);
    }

    /// <summary><c>trainer.Run()</c> without a reporter shows progress when stderr is a terminal (issue 21.5).</summary>
    [Fact]
    public void Run_without_a_reporter_reports_to_a_terminal_and_stays_quiet_when_redirected()
    {
        Assert.IsType<ProgressReporter>(ProgressReporter.Default(stderrIsTerminal: true));
        Assert.Null(ProgressReporter.Default(stderrIsTerminal: false));
        ProgressReporter.Silent.Report(new TrainingProgress(1, 0, 2, TimeSpan.FromSeconds(1), 0.5, 0.5, false));   // a no-op, not a throw
    }

    private sealed class Collect(List<TrainingProgress> into) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => into.Add(value);
    }
}
