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

    /// <summary>
    /// mlp-sn: every linear layer of a discriminator (score, features, class logits, the projection critic's trunk and
    /// output) is spectrally normalised, nothing else is; its networks have mlp's parameters (plus u and v buffers),
    /// and are not shared across batches in one pass.
    /// </summary>
    [Fact]
    public void Mlp_sn_normalises_every_linear_layer_of_the_discriminators_only()
    {
        static long Count(nn.Module m) => m.parameters().Sum(p => p.numel());
        static int Normalised(nn.Module m) => m.modules().Count(x => x is GanDsl.Nn.SpectralNorm);
        static int Linear(nn.Module m) => m.modules().Count(x => x is TorchSharp.Modules.Linear);
        var sn = ModelFactory.Get("mlp-sn");
        var mlp = ModelFactory.Get("mlp");
        NetworkInfo g = new("G", NetworkRole.Generator, NetworkOutput.Sample), d = new("D", NetworkRole.Critic, NetworkOutput.Score);
        NetworkInfo f = new("F", NetworkRole.Critic, NetworkOutput.Features), ae = new("AE", NetworkRole.Critic, NetworkOutput.Reconstruction);
        using (var plainD = mlp.Build(d, [2]))
        using (var snD = sn.Build(d, [2]))
        {
            Assert.Equal(4, Normalised(snD));
            Assert.Equal(0, Normalised(plainD));
            Assert.Equal(Count(plainD), Count(snD));
            Assert.False(BatchIndependence.Holds(snD));   // the power iteration runs once per call
            // The normalised layers run: a training-mode call updates the power-iteration buffers (SpectralNormTests test the layer itself).
            snD.train();
            using var x = torch.randn(16, 2);
            using var output = ((nn.Module<Tensor, Tensor>)snD).call(x);
            Assert.Equal([16L, 1L], output.shape);
        }
        using (var features = sn.Build(f, [2])) Assert.Equal(4, Normalised(features));
        using (var generator = sn.Build(g, [2])) Assert.Equal((0, 4), (Normalised(generator), Linear(generator)));
        using (var autoencoder = sn.Build(ae, [2])) Assert.Equal(0, Normalised(autoencoder));
        // Conditional: the projection critic's trunk (3) and output layer (1); the generator takes labels without normalisation.
        using (var projection = sn.Build(d with { TakesLabels = true }, [2], 8)) Assert.Equal(4, Normalised(projection));
        using (var labelled = sn.Build(g with { TakesLabels = true }, [2], 8)) Assert.Equal(0, Normalised(labelled));
        Assert.Equal("mlp-sn", sn.Name);
        Assert.StartsWith("Model 'mlp-sn' needs flat samples (shape [D]), but the data has samples of shape [1, 28, 28]", sn.CheckSampleShape([1, 28, 28]));
    }

    [Fact]
    public void The_model_registry_finds_the_families_of_an_assembly_by_name()
    {
        var models = new ModelRegistry(typeof(TinyTestFamily).Assembly);
        Assert.Equal(["mlp", "mlp-sn", "dcgan28", "test-tiny", "test-faulty"], models.Names);
        Assert.IsType<TinyTestFamily>(models.Get(" TEST-tiny "));
        Assert.StartsWith("Unknown model 'x'. Use one of: mlp, mlp-sn, dcgan28, test-tiny, test-faulty", Assert.Throws<ArgumentException>(() => models.Get("x")).Message);
        Assert.Equal(["mlp", "mlp-sn", "dcgan28"], new ModelRegistry().Names);
        Assert.Throws<ArgumentNullException>(() => new ModelRegistry(null!));
    }
}
