using GanDsl.Training;

namespace GanDsl.Losses.Tests;

/// <summary>A [GanLoss] class declared where the generator does not run (this test project has no generator attached).</summary>
[GanLoss("declared-without-generator")]
public partial class DeclaredWithoutGenerator;

/// <summary>What the registry says when a loss is missing: never a silent "(none registered)".</summary>
public sealed class RegistryTests
{
    [Fact]
    public void A_loss_declared_where_the_generator_did_not_run_is_named_with_what_to_do()
    {
        var registry = new LossRegistry(typeof(RegistryTests).Assembly);
        Assert.Empty(registry.Names);
        Assert.Equal(typeof(DeclaredWithoutGenerator), registry.Ungenerated["declared-without-generator"]);
        var e = Assert.Throws<TrainingSetupException>(() => Trainer.Create(
            new TrainOptions { Loss = "declared-without-generator", Data = "ring", OutputDirectory = Path.GetTempPath() }, registry));
        Assert.Contains("no code was generated", e.Message);
        Assert.Contains("#:package GanDsl", e.Message);
    }

    [Fact]
    public void An_unknown_name_lists_the_known_losses()
    {
        var message = Zoo.CreateRegistry().Missing("no-such-loss");
        Assert.Contains("Unknown loss 'no-such-loss'", message);
        Assert.Contains("wgan-gp", message);
    }
}
