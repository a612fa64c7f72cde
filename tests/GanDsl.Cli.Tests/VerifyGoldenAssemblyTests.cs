using System.Diagnostics;
using System.Text.Json.Nodes;
using GanDsl.Cli;
using static GanDsl.Tests.Cli.CliRunner;

namespace GanDsl.Tests.Cli;

/// <summary><c>gan verify-golden --assembly</c>: a golden file of a user's own loss (issue 21.5).</summary>
public sealed class VerifyGoldenAssemblyTests : TempFolderTests
{
    private static string ZooReference()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Path.Combine(dir.FullName, "tests", "reference", "zoo", "zoo.json") is var p && File.Exists(p)) return p;
        throw new FileNotFoundException("tests/reference/zoo/zoo.json not found");
    }

    /// <summary>
    /// A golden file whose only entry is zoo.json's non-saturating GAN (independent float64 PyTorch values) under the
    /// name of the test assembly's hand-written non-saturating loss; <paramref name="scaleDLoss"/> perturbs the expected d_loss.
    /// </summary>
    private static string UserGoldenFile(double scaleDLoss = 1)
    {
        var root = JsonNode.Parse(File.ReadAllText(ZooReference()))!.AsObject();
        var entry = root["losses"]!["nonsaturating"]!.DeepClone().AsObject();
        entry["d_loss"] = entry["d_loss"]!.GetValue<double>() * scaleDLoss;
        root["losses"] = new JsonObject { ["test-nonsaturating"] = entry };
        var path = Path.Combine(TempDir("golden"), "mine.json");
        File.WriteAllText(path, root.ToJsonString());
        return path;
    }

    /// <summary>zoo.json with only its gradient-penalty entries, the ones that take a gradient with create_graph.</summary>
    private static string PenaltyEntries()
    {
        var root = JsonNode.Parse(File.ReadAllText(ZooReference()))!.AsObject();
        var losses = root["losses"]!.AsObject();
        root["losses"] = new JsonObject(new[] { "wgan-gp", "r1", "dragan", "cramer" }.Select(n => KeyValuePair.Create(n, (JsonNode?)losses[n]!.DeepClone())));
        var path = Path.Combine(TempDir("golden"), "penalties.json");
        File.WriteAllText(path, root.ToJsonString());
        return path;
    }

    [Fact]
    public void A_user_loss_is_checked_with_assembly_and_unknown_without_it()
    {
        var file = UserGoldenFile();
        var withAssembly = Run("verify-golden", "--assembly", TestAssembly, file);
        Assert.True(withAssembly.ExitCode == ExitCodes.Success, withAssembly.Stdout + withAssembly.Stderr);
        Assert.Contains("test-nonsaturating", withAssembly.Stdout);
        Assert.Contains("all within 1e-9", withAssembly.Stdout);

        var without = Run("verify-golden", file);
        Assert.Equal(ExitCodes.Failure, without.ExitCode);
        Assert.Contains("no loss named 'test-nonsaturating'", without.Stdout + without.Stderr);

        var perturbed = Run("verify-golden", "--assembly", TestAssembly, UserGoldenFile(scaleDLoss: 1 + 1e-6));
        Assert.Equal(ExitCodes.Failure, perturbed.ExitCode);
    }

    [Theory]
    [InlineData("verify-golden")]
    [InlineData("check")]
    public async Task The_real_executable_prints_no_libtorch_create_graph_warning(string verb)
    {
        // A fresh process: the warning is printed once per process, the first time a penalty gradient is taken.
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] args = verb == "check" ? ["check", "wgan-gp", "r1"] : ["verify-golden", PenaltyEntries()];
        foreach (var a in (string[])[Path.Combine(AppContext.BaseDirectory, "gan.dll"), .. args]) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdoutTask = p.StandardOutput.ReadToEndAsync();
        var stderrTask = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await p.WaitForExitAsync(timeout.Token);
        var (stdout, stderr) = (await stdoutTask, await stderrTask);
        Assert.Equal(0, p.ExitCode);
        Assert.Contains("wgan-gp", stdout);   // penalty losses ran
        Assert.DoesNotContain("create_graph", stderr);
        Assert.Equal("", stderr.Trim());
    }
}
