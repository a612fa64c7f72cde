using GanDsl.Testing;

namespace MyGanLosses.Tests;

/// <summary>
/// The code GanDsl generates for each loss, compared with Snapshots/*.verified.cs. The first run fails and lists
/// every new snapshot (written as *.received.cs): read them, then accept with `GANDSL_ACCEPT=1 dotnet test`.
/// </summary>
public sealed class GeneratedCodeTests
{
    [Fact]
    public void Losses_GenerateVerifiedCode()
    {
        // Paths from this file to the loss sources: add each new loss file here.
        var run = GeneratorTestDriver.RunFiles(["../MyGanLosses/HingeR1.cs"]);
        Assert.Empty(run.Diagnostics);
        run.AssertCompiles();
        run.VerifySnapshots();
    }
}
