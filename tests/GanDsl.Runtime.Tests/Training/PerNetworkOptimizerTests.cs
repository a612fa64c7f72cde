using GanDsl.Training;
using static GanDsl.Runtime.Tests.Training.RunFolders;

namespace GanDsl.Runtime.Tests.Training;

/// <summary>
/// Per-network optimizers, the two-time-scale update rule (Heusel et al. 2017): the loss's settings per network reach
/// the torch optimizers, the options override them by role and by name, and checkpoints keep them.
/// The command line's --lr NAME=X and --betas NAME=B1,B2 are tested in GanDsl.Cli.Tests (TturTests.cs).
/// </summary>
[Collection(SerialTorchCollection.Name)]
public sealed class PerNetworkOptimizerTests : TempFolderTests
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

    /// <summary>A checkpoint keeps the per-network settings: resumed without options, the torch optimizers hold them again.</summary>
    [Fact]
    public void Per_network_settings_are_kept_by_a_checkpoint()
    {
        var dir = TempDir("ttur-resume");
        var options = Options("test-ttur", dir) with
        {
            NetworkLearningRates = new Dictionary<string, double> { ["D"] = 0.003 },
            NetworkBetas = new Dictionary<string, (double, double)> { ["D"] = (0.2, 0.8) },
        };
        using (var trainer = Trainer.Create(options, Registry))
            Assert.Equal(TrainOutcome.Completed, trainer.Run(progress: ProgressReporter.Silent).Outcome);

        using var resumed = Trainer.Create(Options("test-ttur", dir) with { Resume = true, Steps = 4 }, Registry);
        Assert.Equal(("adam", 0.003, 0.2, 0.8, double.NaN), Settings(resumed, "D"));
        Assert.Equal(("rmsprop", 1e-4, double.NaN, double.NaN, 0.95), Settings(resumed, "G"));
    }
}
