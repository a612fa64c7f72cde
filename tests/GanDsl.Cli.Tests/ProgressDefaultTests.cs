using GanDsl.Training;

namespace GanDsl.Tests.Cli;

/// <summary><c>trainer.Run()</c> without a reporter shows progress when stderr is a terminal (issue 21.5).</summary>
public sealed class ProgressDefaultTests
{
    [Fact]
    public void Run_without_a_reporter_reports_to_a_terminal_and_stays_quiet_when_redirected()
    {
        Assert.IsType<ProgressReporter>(ProgressReporter.Default(stderrIsTerminal: true));
        Assert.Null(ProgressReporter.Default(stderrIsTerminal: false));
        ProgressReporter.Silent.Report(new TrainingProgress(1, 0, 2, TimeSpan.FromSeconds(1), 0.5, 0.5, false));   // a no-op, not a throw
    }
}
