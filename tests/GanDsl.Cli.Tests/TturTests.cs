using System.Text.Json.Nodes;
using GanDsl;
using GanDsl.Cli;
using GanDsl.Training;
using TorchSharp;
using static GanDsl.Tests.Cli.CliRunner;

namespace GanDsl.Tests.Cli;

/// <summary>
/// Per-network optimizers, the two-time-scale update rule (Heusel et al. 2017): the loss's settings per network reach
/// the torch optimizers, the options override them by role and by name, checkpoints keep them, and 'gan list' shows them.
/// </summary>
public sealed class TturTests : TempFolderTests
{
    private static readonly LossRegistry Registry = new(typeof(TestTtur).Assembly);

    private static TrainOptions Options(string loss, string dir) => new()
    {
        Loss = loss, Data = "ring", OutputDirectory = dir, Steps = 2, BatchSize = 16, Threads = 1, SampleEvery = 0, FinalSampleCount = 10,
    };

    /// <summary>What a network's torch optimizer holds: kind, learning rate, betas (Adam) or alpha (RMSprop), the same in every param group.</summary>
    private static (string Kind, double Lr, double Beta1, double Beta2, double Alpha) Settings(Trainer trainer, string network)
    {
        var optimizer = trainer.Optimizers[network];
        var groups = ((TorchSharp.Modules.OptimizerHelper)optimizer).ParamGroups.ToList();
        var values = groups.Select(g => g switch
        {
            TorchSharp.Modules.Adam.ParamGroup { Options: var o } => ("adam", g.LearningRate, o.beta1!.Value, o.beta2!.Value, double.NaN),
            TorchSharp.Modules.RMSProp.ParamGroup { Options: var o } => ("rmsprop", g.LearningRate, double.NaN, double.NaN, o.alpha!.Value),
            _ => throw new InvalidOperationException($"unexpected param group {g.GetType()}"),
        }).Distinct().ToList();
        return Assert.Single(values);
    }

    [Fact]
    public void The_losses_per_network_optimizers_reach_the_torch_optimizers()
    {
        using var trainer = Trainer.Create(Options("test-ttur", TempDir("ttur-defaults")), Registry);
        Assert.Equal(("adam", 4e-4, 0.0, 0.9, double.NaN), Settings(trainer, "D"));
        Assert.Equal(("rmsprop", 1e-4, double.NaN, double.NaN, 0.95), Settings(trainer, "G"));
    }

    [Fact]
    public void Options_by_name_override_options_by_role_which_override_the_loss()
    {
        var options = Options("test-stateful", TempDir("ttur-override")) with
        {
            LearningRateD = 0.003,
            LearningRateG = 0.002,
            Betas = (0.1, 0.2),
            NetworkLearningRates = new Dictionary<string, double> { ["G"] = 0.0005 },
            NetworkBetas = new Dictionary<string, (double, double)> { ["D"] = (0.0, 0.99) },
        };
        using var trainer = Trainer.Create(options, Registry);
        Assert.Equal(("adam", 0.003, 0.0, 0.99, double.NaN), Settings(trainer, "D"));
        Assert.Equal(("adam", 0.0005, 0.1, 0.2, double.NaN), Settings(trainer, "G"));
    }

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

        // And the torch optimizers hold them after the resume's load.
        using var trainer = Trainer.Create(Options("test-ttur", plain) with { Resume = true, BatchSize = 16, Steps = 4 }, Registry);
        Assert.Equal(("adam", 0.003, 0.2, 0.8, double.NaN), Settings(trainer, "D"));
        Assert.Equal(("rmsprop", 1e-4, double.NaN, double.NaN, 0.95), Settings(trainer, "G"));
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
