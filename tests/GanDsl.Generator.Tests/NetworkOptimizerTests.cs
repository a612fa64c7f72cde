using GanDsl.Generator.Tests.Training;
using GanDsl.Testing;
using GanDsl.Training;
using TorchSharp;

namespace GanDsl.Generator.Tests;

/// <summary>
/// Per-network optimizers (<c>[Adam(..., Network = "D")]</c>, the two-time-scale update rule of Heusel et al. 2017): what
/// GAN0046 refuses, and a valid declaration's settings from the attributes through LossInfo to the trainer's torch optimizers.
/// </summary>
public sealed class NetworkOptimizerTests
{
    private const string DLoss = "[DiscriminatorLoss] static Loss Dl => Mean(Softplus(-D(x))) + Mean(Softplus(D(G(z))));";
    private const string GLoss = "[GeneratorLoss] static Loss Gl => Mean(Softplus(-D(G(z))));";

    private static void Expect(string attributes, params (string Id, string Span, string Message)[] expected)
    {
        var run = GeneratorTestDriver.Run(TestSupport.Prelude + $$"""[GanLoss("t"), {{attributes}}] public partial class T { {{DLoss}} {{GLoss}} }""");
        Assert.Null(run.Exception);
        Assert.Equal(expected.Select(e => (e.Id, e.Message, e.Span)).ToList(), TestSupport.Describe(run));
    }

    [Fact]
    public void GAN0046_NetworkTheLossDoesNotUse() => Expect("""Adam(4e-4, 0, 0.9, Network = "AE")""",
        ("GAN0046", "Network = \"AE\"", "[Adam(..., Network = \"AE\")] names no network the loss uses: write Network = one of \"G\", \"D\""));

    [Fact]
    public void GAN0046_SameNetworkTwice() => Expect("""Adam(4e-4, 0, 0.9, Network = "D"), RMSprop(1e-4, Network = "D")""",
        ("GAN0046", "Network = \"D\"", "[RMSprop(..., Network = \"D\")] is the second optimizer for 'D': keep one [Adam(..., Network = \"D\")] or [RMSprop(..., Network = \"D\")]"));

    [Fact]
    public void GAN0046_TwoOptimizersForEveryNetwork() => Expect("Adam(1e-4, 0.5, 0.9), RMSprop(5e-5)",
        ("GAN0046", "RMSprop(5e-5)", "[RMSprop] is a second optimizer for every network: keep one without Network, and give the others their network, e.g. [RMSprop(..., Network = \"D\")]"));

    [Fact]
    public void GAN0044_PerNetworkLearningRateAndBeta() => Expect("""Adam(-4e-4, 0, 1, Network = "D")""",
        ("GAN0044", "-4e-4", "The learning rate of [Adam] is -0.0004: use a positive finite learning rate, e.g. [Adam(2e-4, 0.5, 0.999)]"),
        ("GAN0044", "1", "The beta2 of [Adam] is 1: use a value in [0, 1), e.g. [Adam(2e-4, 0.5, 0.999)]"));

    /// <summary>
    /// SAGAN's TTUR beside a network with its own RMSprop: no diagnostics, LossInfo holds the default and each network's
    /// own settings, and the trainer builds each network's torch optimizer from them.
    /// </summary>
    [Fact]
    public void Valid_per_network_optimizers_reach_LossInfo_and_the_trainers_torch_optimizers()
    {
        var run = TestSupport.RunAndCheck(TestSupport.Prelude + $$"""
            [GanLoss("t"), Adam(1e-3, 0.5, 0.99), Adam(4e-4, 0, 0.9, Network = "D"), RMSprop(1e-4, 0.95, Network = "G")]
            public partial class T { {{DLoss}} {{GLoss}} }
            [GanLoss("u"), Adam(4e-4, 0, 0.9, Network = "D")]
            public partial class U { {{DLoss}} {{GLoss}} }
            """);
        Assert.Empty(run.Diagnostics);
        var dir = Directory.CreateTempSubdirectory("gandsl-ttur-").FullName;
        try
        {
            TwoStepHarness.InContext(run.OutputCompilation, assembly =>
            {
                var t = (IGanLoss)Activator.CreateInstance(assembly.GetType("Samples.T")!)!;
                Assert.Equal(new OptimizerDefaults("adam", 1e-3, 0.5, 0.99, 0.99), t.Info.Optimizer);
                Assert.Equal(["G", "D"], t.Info.NetworkOptimizers.Keys);
                Assert.Equal(new OptimizerDefaults("adam", 4e-4, 0, 0.9, 0.99), t.Info.NetworkOptimizers["D"]);
                Assert.Equal(new OptimizerDefaults("rmsprop", 1e-4, 0.9, 0.999, 0.95), t.Info.NetworkOptimizers["G"]);

                // U: D has its own, G trains with the standard default (no class-level optimizer).
                var u = (IGanLoss)Activator.CreateInstance(assembly.GetType("Samples.U")!)!;
                Assert.Equal(OptimizerDefaults.Standard, u.Info.OptimizerOf("G"));
                Assert.Equal(4e-4, u.Info.OptimizerOf("D").LearningRate);

                using var trainer = Trainer.Create(t, GanDsl.Models.ModelFactory.Get("mlp"),
                    new TrainOptions { Data = "ring", OutputDirectory = dir, BatchSize = 8, Threads = 1, Steps = 0 });
                var d = Assert.IsType<TorchSharp.Modules.Adam.ParamGroup>(Assert.Single(((TorchSharp.Modules.OptimizerHelper)trainer.Optimizers["D"]).ParamGroups));
                Assert.Equal((4e-4, 0.0, 0.9), (d.LearningRate, d.Options.beta1!.Value, d.Options.beta2!.Value));
                var g = Assert.IsType<TorchSharp.Modules.RMSProp.ParamGroup>(Assert.Single(((TorchSharp.Modules.OptimizerHelper)trainer.Optimizers["G"]).ParamGroups));
                Assert.Equal((1e-4, 0.95), (g.LearningRate, g.Options.alpha!.Value));
                return 0;
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
