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

    /// <summary>A user's loss whose constructor throws (registered in a dynamic assembly, so no test assembly lists it).</summary>
    public sealed class ThrowsInConstructor : IGanLoss
    {
        public ThrowsInConstructor() => throw new IndexOutOfRangeException("my table is empty");
        public LossInfo Info => throw new NotSupportedException();
        public Hyperparameters Hyper => throw new NotSupportedException();
        public LossState State => throw new NotSupportedException();
        public StepResult DiscriminatorStep(StepContext c) => throw new NotSupportedException();
        public StepResult GeneratorStep(StepContext c) => throw new NotSupportedException();
        public void EndOfEpoch(StepContext c) { }
    }

    [Fact]
    public void A_loss_whose_constructor_throws_is_a_UserCodeException_naming_it()
    {
        var assembly = System.Reflection.Emit.AssemblyBuilder.DefineDynamicAssembly(new("UserLosses"), System.Reflection.Emit.AssemblyBuilderAccess.Run);
        assembly.SetCustomAttribute(new System.Reflection.Emit.CustomAttributeBuilder(
            typeof(GeneratedGanLossAttribute).GetConstructor([typeof(string), typeof(Type)])!, ["throws-in-constructor", typeof(ThrowsInConstructor)]));
        var registry = new LossRegistry(assembly);
        var e = Assert.Throws<UserCodeException>(() => Trainer.Create(new TrainOptions { Loss = "throws-in-constructor", Data = "ring", OutputDirectory = Path.GetTempPath() }, registry));
        Assert.Equal($"{typeof(ThrowsInConstructor).FullName}.constructor threw IndexOutOfRangeException: my table is empty", e.Message);
    }
}
