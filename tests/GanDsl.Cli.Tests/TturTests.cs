using System.Text.Json.Nodes;
using GanDsl;
using GanDsl.Cli;
using static GanDsl.Tests.Cli.CliRunner;

namespace GanDsl.Tests.Cli;

/// <summary>
/// Per-network optimizers, the two-time-scale update rule (Heusel et al. 2017), on the command line: --lr NAME=X and
/// --betas NAME=B1,B2 checked, recorded in config.json and overridable on resume; 'gan list' and 'gan show' show them.
/// That they reach the torch optimizers is tested in GanDsl.Runtime.Tests (Training/PerNetworkOptimizerTests.cs).
/// </summary>
public sealed class TturTests : TempFolderTests
{
    [Theory]
    [InlineData(new[] { "--lr", "X=0.1" }, "--lr names network 'X', which loss 'test-ttur' does not use; its networks: G, D.")]
    [InlineData(new[] { "--betas", "Q=0.1,0.2" }, "--betas names network 'Q', which loss 'test-ttur' does not use; its networks: G, D.")]
    [InlineData(new[] { "--betas", "G=0.1,0.2" }, "--betas sets Adam's betas of network 'G', but loss 'test-ttur' trains 'G' with rmsprop. Leave 'G' out of --betas.")]
    [InlineData(new[] { "--lr", "D=-1" }, "--lr of network 'D' must be a positive number, not -1.")]
    [InlineData(new[] { "--betas", "D=0.5,1" }, "--betas of network 'D' must be two numbers in [0, 1), not 0.5,1.")]
    [InlineData(new[] { "--lr", "0.1" }, "--lr expects NAME=X, a network and its learning rate (e.g. --lr D=4e-4; --lr-d and --lr-g set every critic or generator network), not '0.1'.")]
    [InlineData(new[] { "--lr", "D=1", "--lr", "D=2" }, "--lr D is given twice.")]
    [InlineData(new[] { "--betas", "D=0.5" }, "--betas D expects two numbers separated by a comma")]
    [InlineData(new[] { "--lr", "D=fast" }, "--lr D")]
    public void Bad_per_network_options_are_errors_naming_the_option_and_the_network(string[] given, string expected)
    {
        var dir = Path.Combine(TempDir("ttur-bad"), "out");
        var o = Train(dir, ["--loss", "test-ttur", "--data", "ring", "--steps", "1", .. given]);
        Assert.Equal(ExitCodes.BadInput, o.ExitCode);
        Assert.Contains(expected, o.Stderr);
        Assert.False(Directory.Exists(dir), "nothing is written");
    }

    [Fact]
    public void Per_network_settings_are_recorded_kept_by_a_checkpoint_and_overridable_on_resume()
    {
        var first = TempDir("ttur-first");
        string[] run = ["--loss", "test-ttur", "--data", "ring", "--batch", "16", "--sample-every", "0", "--samples", "10"];
        var o = Train(first, [.. run, "--steps", "2", "--lr", "D=0.003", "--betas", "D=0.2,0.8"]);
        Assert.True(o.ExitCode == 0, o.Stderr);
        Assert.Equal((0.003, 0.2, 0.8), Adam(first, "D"));
        Assert.Equal(1e-4, Optimizer(first, "G")["lr"]!.GetValue<double>());
        Assert.Equal(0.95, Optimizer(first, "G")["alpha"]!.GetValue<double>());

        var plain = TempDir("ttur-plain");
        var changed = TempDir("ttur-changed");
        foreach (var f in Directory.GetFiles(first)) { File.Copy(f, Path.Combine(plain, Path.GetFileName(f))); File.Copy(f, Path.Combine(changed, Path.GetFileName(f))); }
        Assert.Equal(0, Train(plain, [.. run, "--steps", "3", "--resume"]).ExitCode);
        Assert.Equal(0, Train(changed, [.. run, "--steps", "3", "--resume", "--lr", "G=0.02", "--betas", "D=0.3,0.7"]).ExitCode);

        // Without options the checkpoint's per-network settings go on; with them they take effect; config.json says which.
        Assert.Equal((0.003, 0.2, 0.8), Adam(plain, "D"));
        Assert.Equal(1e-4, Optimizer(plain, "G")["lr"]!.GetValue<double>());
        Assert.Equal((0.003, 0.3, 0.7), Adam(changed, "D"));
        Assert.Equal(0.02, Optimizer(changed, "G")["lr"]!.GetValue<double>());

    }

    [Fact]
    public void Gan_list_shows_each_networks_optimizer()
    {
        var list = Run("list", "--assembly", TestAssembly);
        Assert.Equal(0, list.ExitCode);
        var lines = list.Stdout.Split('\n');
        var at = Array.FindIndex(lines, l => l.StartsWith("test-ttur ", StringComparison.Ordinal));
        Assert.True(at >= 0, list.Stdout);
        Assert.Contains("    optimizer: G rmsprop lr 0.0001, alpha 0.95; D adam lr 0.0004, betas (0, 0.9)", lines.Skip(at).TakeWhile((l, i) => i == 0 || l.StartsWith(' ')));
        Assert.Contains("    optimizer: adam lr 0.001, betas (0.5, 0.9)", lines.SkipWhile(l => !l.StartsWith("test-stateful ", StringComparison.Ordinal)).Take(6));
    }

    [Fact]
    public void Gan_show_adds_the_per_network_optimizers_after_the_formula()
    {
        var show = Run("show", "test-ttur", "test-stateful", "--assembly", TestAssembly);
        Assert.Equal(0, show.ExitCode);
        var sections = show.Stdout.Split("## ", StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("\nOptimizers: G rmsprop lr 0.0001, alpha 0.95; D adam lr 0.0004, betas (0, 0.9)\n", Assert.Single(sections, x => x.StartsWith("test-ttur", StringComparison.Ordinal)));
        Assert.DoesNotContain("Optimizers:", Assert.Single(sections, x => x.StartsWith("test-stateful", StringComparison.Ordinal)));
    }

    private static JsonNode Optimizer(string dir, string network) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!["networks"]!.AsArray().Single(n => (string?)n!["name"] == network)!["optimizer"]!;

    private static (double Lr, double Beta1, double Beta2) Adam(string dir, string network)
    {
        var o = Optimizer(dir, network);
        Assert.Equal("adam", (string?)o["kind"]);
        return (o["lr"]!.GetValue<double>(), o["beta1"]!.GetValue<double>(), o["beta2"]!.GetValue<double>());
    }
}
