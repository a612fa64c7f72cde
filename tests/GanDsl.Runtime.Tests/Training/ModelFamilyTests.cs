using GanDsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Runtime.Tests.Training;

/// <summary>The built-in model families and the registry that finds a user's families in an assembly.</summary>
[Collection(SerialTorchCollection.Name)]
public class ModelFamilyTests
{
    /// <summary>The mlp and dcgan28 families build the architectures of the issue (parameter counts as in PyTorch).</summary>
    [Fact]
    public void Model_families_match_the_reference_architectures()
    {
        static long Count(nn.Module m) => m.parameters().Sum(p => p.numel());
        var mlp = ModelFactory.Get("mlp");
        using (var g = mlp.Build(new NetworkInfo("G", NetworkRole.Generator, NetworkOutput.Sample), [2]))
        using (var d = mlp.Build(new NetworkInfo("D", NetworkRole.Critic, NetworkOutput.Score), [2]))
        {
            Assert.Equal(2 * 512 + 512 + 2 * (512 * 512 + 512) + 512 * 2 + 2, Count(g));
            Assert.Equal(2 * 512 + 512 + 2 * (512 * 512 + 512) + 512 + 1, Count(d));
        }
        var dc = ModelFactory.Get("dcgan28");
        using (var g = dc.Build(new NetworkInfo("G", NetworkRole.Generator, NetworkOutput.Sample), [1, 28, 28]))
        using (var d = dc.Build(new NetworkInfo("D", NetworkRole.Critic, NetworkOutput.Score), [1, 28, 28]))
        {
            // Linear(64,6272) + BN1d(6272) + ConvT(128,64,4) + BN2d(64) + ConvT(64,1,4)
            Assert.Equal(64 * 6272 + 6272 + 2 * 6272 + 128 * 64 * 16 + 64 + 2 * 64 + 64 * 16 + 1, Count(g));
            // Conv(1,64,4) + Conv(64,128,4) + Linear(6272,1)
            Assert.Equal(16 * 64 + 64 + 64 * 128 * 16 + 128 + 6272 + 1, Count(d));
        }
    }

    [Fact]
    public void The_model_registry_finds_the_families_of_an_assembly_by_name()
    {
        var models = new ModelRegistry(typeof(TinyTestFamily).Assembly);
        Assert.Equal(["mlp", "dcgan28", "test-tiny", "test-faulty"], models.Names);
        Assert.IsType<TinyTestFamily>(models.Get(" TEST-tiny "));
        Assert.StartsWith("Unknown model 'x'. Use one of: mlp, dcgan28, test-tiny, test-faulty", Assert.Throws<ArgumentException>(() => models.Get("x")).Message);
        Assert.Equal(["mlp", "dcgan28"], new ModelRegistry().Names);
        Assert.Throws<ArgumentNullException>(() => new ModelRegistry(null!));
    }
}
