using GanDsl.Data;
using GanDsl.Formats;
using GanDsl.Models;
using GanDsl.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GanDsl.Losses.Tests;

/// <summary>
/// Conditional networks at run time (issue 16, item 3): the built-in families' conditional architectures (mlp: label
/// embedding concatenated; dcgan28: embedding concatenated to z, projection discriminator), class heads, the families'
/// and the dry run's messages, and a user's two-input modules through <see cref="ModelFamily.Custom(string, IReadOnlyList{long}, Func{NetworkInfo, IReadOnlyList{long}, int, nn.Module}, int, Func{IReadOnlyList{long}, string}?)"/>
/// trained by the trainer.
/// </summary>
public sealed class ConditionalNetworkTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gandsl-cond-nets-").FullName;

    public ConditionalNetworkTests() => torch.set_num_threads(1);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static NetworkInfo G(bool labels = true) => new("G", NetworkRole.Generator, NetworkOutput.Sample, TakesLabels: labels);
    private static NetworkInfo D(bool labels = true, int heads = 0) => new("D", NetworkRole.Critic, NetworkOutput.Score, TakesLabels: labels, ClassHeads: heads);
    private static NetworkInfo Classifier() => new("C", NetworkRole.Critic, NetworkOutput.ClassLogits);

    private static Tensor Call(nn.Module module, Tensor input, Tensor? labels) => module switch
    {
        nn.Module<Tensor, Tensor, Tensor> m when labels is not null => m.call(input, labels),
        nn.Module<Tensor, Tensor> m when labels is null => m.call(input),
        _ => throw new InvalidOperationException($"{module.GetType().Name} does not take {(labels is null ? "a batch alone" : "labels")}."),
    };

    [Fact]
    public void Conditional_mlp_networks_take_labels_and_return_the_documented_shapes()
    {
        const int K = 8;
        var mlp = new MlpFamily();
        torch.manual_seed(1);
        var labels = torch.tensor(new long[] { 0, 3, 7, 1 });
        using var g = mlp.Build(G(), [2], K);
        using var d = mlp.Build(D(), [2], K);
        using var dHeads = mlp.Build(D(labels: false, heads: 1), [2], K);
        using var dBoth = mlp.Build(D(labels: true, heads: 2), [2], K);
        using var c = mlp.Build(Classifier(), [2], K);
        Assert.IsAssignableFrom<nn.Module<Tensor, Tensor, Tensor>>(g);
        Assert.IsAssignableFrom<nn.Module<Tensor, Tensor, Tensor>>(d);
        Assert.IsAssignableFrom<nn.Module<Tensor, Tensor>>(dHeads);   // class heads alone need no labels as input
        Assert.IsAssignableFrom<nn.Module<Tensor, Tensor>>(c);

        var x = torch.randn(4, 2);
        Assert.Equal([4L, 2], Call(g, torch.randn(4, MlpFamily.NoiseDimension), labels).shape);
        Assert.Equal([4L, 1], Call(d, x, labels).shape);
        Assert.Equal([4L, 1 + K], Call(dHeads, x, null).shape);
        Assert.Equal([4L, 1 + 2 * K], Call(dBoth, x, labels).shape);
        Assert.Equal([4L, K], Call(c, x, null).shape);

        // The label is an input: another label changes the output, and the embedding gets a gradient. G embeds its label
        // (K × 16, concatenated with z); the critic projects: a K × 512 class embedding against its 512 trunk features.
        var other = (labels + 1).remainder(K);
        Assert.False(Call(d, x, labels).allclose(Call(d, x, other)));
        Assert.False(Call(g, x.new_zeros(4, MlpFamily.NoiseDimension), labels).allclose(Call(g, x.new_zeros(4, MlpFamily.NoiseDimension), other)));
        foreach (var (network, width) in new[] { (g, (long)MlpFamily.LabelEmbeddingSize), (d, 512L) })
        {
            var output = network == g ? Call(g, torch.randn(4, MlpFamily.NoiseDimension), labels) : Call(d, x, labels);
            output.sum().backward();
            var embedding = network.named_parameters().Single(p => p.name.Contains("embed")).parameter;
            Assert.Equal([(long)K, width], embedding.shape);
            Assert.True(embedding.grad is { } grad && grad.abs().sum().item<float>() > 0);
        }
    }

    [Fact]
    public void Conditional_dcgan28_networks_take_labels_and_return_the_documented_shapes()
    {
        const int K = 10;
        var dc = new Dcgan28Family();
        torch.manual_seed(2);
        var labels = torch.tensor(new long[] { 9, 0, 4 });
        using var g = dc.Build(G(), [1, 28, 28], K);
        using var d = dc.Build(D(), [1, 28, 28], K);
        using var ac = dc.Build(D(labels: false, heads: 1), [1, 28, 28], K);
        using var c = dc.Build(Classifier(), [1, 28, 28], K);
        var x = torch.randn(3, 1, 28, 28);
        Assert.Equal([3L, 1, 28, 28], Call(g, torch.randn(3, Dcgan28Family.NoiseDimension), labels).shape);
        Assert.Equal([3L, 1], Call(d, x, labels).shape);
        Assert.Equal([3L, 1 + K], Call(ac, x, null).shape);
        Assert.Equal([3L, K], Call(c, x, null).shape);
        Assert.Equal([(long)K, Dcgan28Family.LabelEmbeddingSize], g.named_parameters().Single(p => p.name.Contains("embed")).parameter.shape);
        Assert.False(Call(g, torch.zeros(3, Dcgan28Family.NoiseDimension), labels).allclose(Call(g, torch.zeros(3, Dcgan28Family.NoiseDimension), (labels + 1).remainder(K))));
    }

    /// <summary>Miyato &amp; Koyama 2018, eq. 3: D(x, y) = ψ(φ(x)) + ⟨embed(y), φ(x)⟩, recomputed from the module's parameters in float64.</summary>
    [Fact]
    public void The_projection_head_is_psi_of_phi_plus_the_inner_product_of_the_class_embedding_with_phi()
    {
        const int K = 10, H = 1;
        torch.manual_seed(3);
        using var d = new Dcgan28Family().Build(D(labels: true, heads: H), [1, 28, 28], K);
        d.to(ScalarType.Float64);
        var p = d.named_parameters().ToDictionary(n => n.name, n => n.parameter.detach());
        Assert.Equal(["embed.weight", "phi.0.bias", "phi.0.weight", "phi.2.bias", "phi.2.weight", "psi.bias", "psi.weight"], p.Keys.Order(StringComparer.Ordinal));
        var x = torch.randn([4, 1, 28, 28], ScalarType.Float64);
        var y = torch.tensor(new long[] { 2, 9, 0, 2 });

        var phi = F.leaky_relu(F.conv2d(F.leaky_relu(F.conv2d(x, p["phi.0.weight"], p["phi.0.bias"], strides: [2, 2], padding: [1, 1]), 0.2),
            p["phi.2.weight"], p["phi.2.bias"], strides: [2, 2], padding: [1, 1]), 0.2).flatten(1);
        var psi = phi.matmul(p["psi.weight"].t()) + p["psi.bias"];
        var projection = (p["embed.weight"].index_select(0, y) * phi).sum(1);
        var output = ((nn.Module<Tensor, Tensor, Tensor>)d).call(x, y).detach();

        Assert.Equal([4L, 1 + H * K], output.shape);
        Assert.True((output[.., 0] - (psi[.., 0] + projection)).abs().max().item<double>() < 1e-12);
        // The class head is ψ's other columns, the same for every label: it never sees the label it predicts.
        Assert.True((output[.., 1..] - psi[.., 1..]).abs().max().item<double>() < 1e-12);
        var relabelled = ((nn.Module<Tensor, Tensor, Tensor>)d).call(x, (y + 3).remainder(K)).detach();
        Assert.True(relabelled[.., 1..].allclose(output[.., 1..], rtol: 0, atol: 0));
        Assert.False(relabelled[.., 0].allclose(output[.., 0]));
        // The embedding is initialised Glorot-uniform (bound √(6 / (K + F))), not N(0, 1).
        Assert.True(p["embed.weight"].abs().max().item<double>() <= Math.Sqrt(6.0 / (K + 128 * 7 * 7)));
    }

    [Fact]
    public void Class_heads_are_extra_columns_of_the_last_layer_on_one_trunk()
    {
        const int K = 3, H = 2;
        torch.manual_seed(4);
        using var d = (nn.Module<Tensor, Tensor>)new MlpFamily().Build(D(labels: false, heads: H), [2], K);
        var layers = d.named_parameters().ToDictionary(n => n.name, n => n.parameter.detach());
        Assert.Equal([1L + H * K, MlpFamily.Hidden], layers["6.weight"].shape);   // Linear(512, 1 + H·K): one trunk, one last layer
        var x = torch.randn(5, 2);
        Assert.Equal([5L, 1 + H * K], d.call(x).shape);
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("dcgan28")]
    public void Unconditional_networks_are_built_bit_identically_through_the_class_count_member(string name)
    {
        IModelFamily family = ModelFactory.Get(name);
        long[] shape = name == "mlp" ? [2] : [1, 28, 28];
        NetworkInfo[] networks =
        [
            new("G", NetworkRole.Generator, NetworkOutput.Sample), new("D", NetworkRole.Critic, NetworkOutput.Score),
            new("F", NetworkRole.Critic, NetworkOutput.Features), new("A", NetworkRole.Critic, NetworkOutput.Reconstruction),
        ];
        torch.manual_seed(11);
        var before = networks.Select(n => family.Build(n, shape)).ToArray();
        torch.manual_seed(11);
        var through = ModelFactory.BuildAll(family, networks, shape, classCount: 10);
        for (var i = 0; i < networks.Length; i++)
        {
            Assert.Equal(before[i].GetType(), through[networks[i].Name].GetType());
            foreach (var (a, b) in before[i].parameters().Zip(through[networks[i].Name].parameters()))
                Assert.True(a.allclose(b, rtol: 0, atol: 0), $"{name} {networks[i].Name}: a parameter differs when built with the class count");
        }
    }

    /// <summary>A family written before conditional GANs: only the old Build.</summary>
    public sealed class OldFamily : IModelFamily
    {
        public string Name => "old-family";
        public string Description => "test";
        public int DefaultBatchSize => 8;
        public IReadOnlyList<long> NoiseShape => [2];
        public string? CheckSampleShape(IReadOnlyList<long> sampleShape) => null;
        public nn.Module<Tensor, Tensor> Build(NetworkInfo network, IReadOnlyList<long> sampleShape) => nn.Linear(2, network.Role == NetworkRole.Critic ? 1 : 2);
    }

    [Fact]
    public void A_family_without_conditional_networks_builds_unconditional_ones_and_says_what_it_lacks_for_the_others()
    {
        IModelFamily old = new OldFamily();
        using var plain = old.Build(new NetworkInfo("D", NetworkRole.Critic, NetworkOutput.Score), [2], 10);
        Assert.IsType<TorchSharp.Modules.Linear>(plain);
        var e = Assert.Throws<NotSupportedException>(() => old.Build(D(), [2], 10));
        Assert.Contains("'old-family'", e.Message);
        Assert.Contains("network 'D' takes class labels (the loss calls D(v, y))", e.Message);
        Assert.Contains("IModelFamily.Build(network, sampleShape, classCount)", e.Message);
        e = Assert.Throws<NotSupportedException>(() => old.Build(D(labels: false, heads: 1), [2], 10));
        Assert.Contains("has 1 class head", e.Message);

        // The first Custom overload builds no conditional networks either, and points to the one that does.
        var custom = ModelFamily.Custom("plain-custom", [2], (network, _) => nn.Linear(2, 1));
        e = Assert.Throws<NotSupportedException>(() => custom.Build(Classifier(), [2], 10));
        Assert.Contains("'plain-custom'", e.Message);
        Assert.Contains("outputs class logits", e.Message);
        Assert.Contains("(network, sampleShape, classes) => ...", e.Message);

        // A built-in family asked for a conditional network through the old member points to the new one.
        e = Assert.Throws<NotSupportedException>(() => new MlpFamily().Build(D(), [2]));
        Assert.Contains("Build(network, sampleShape, classCount)", e.Message);
        // ... and names what it has no conditional architecture for.
        e = Assert.Throws<NotSupportedException>(() => new Dcgan28Family().Build(new NetworkInfo("E", NetworkRole.Critic, NetworkOutput.Reconstruction, TakesLabels: true), [1, 28, 28], 10));
        Assert.Contains("no conditional architecture for network 'E' with role Critic and output Reconstruction that takes class labels", e.Message);
    }

    [Fact]
    public void Networks_that_need_classes_are_refused_on_data_without_labels_naming_the_network()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelFactory.BuildAll(new MlpFamily(), [G(labels: false), D(labels: false, heads: 1)], [2], classCount: 0));
        Assert.StartsWith("Network 'D' has 1 class head", e.Message);
        Assert.Contains("the data has no class labels", e.Message);

        // Through the trainer: setup fails with a message about labels, not a crash at step 1.
        using var x = torch.randn(64, 2);
        var setup = Assert.Throws<TrainingSetupException>(() => Trainer.Create(new ConditionalTestLoss(), CustomConditional(), Options(), UserData.FromTensor(x, "unlabelled")));
        Assert.Contains("label", setup.Message);
    }

    /// <summary>A user module whose class head is missing: D returns [B, 1] where the loss reads 1 + 1·K columns.</summary>
    [Fact]
    public void The_dry_run_names_a_class_output_of_the_wrong_width_with_the_expected_shape_and_K()
    {
        var info = ConditionalTestLoss.MakeInfo(D(labels: true, heads: 1));
        using var g = new ConditionalMlp(2, 2, 3);
        using var narrow = new ConditionalMlp(2, 1, 10);
        var e = Assert.Throws<ArgumentException>(() => Validate(info, g, narrow, classCount: 10));
        Assert.Contains("D (ConditionalMlp) returned [2, 1]", e.Message);
        Assert.Contains("but the loss reads 1 class head from it: it needs [2, 1 + 1·10] for 10 classes", e.Message);

        // A classifier: [B, K].
        var classifierInfo = ConditionalTestLoss.MakeInfo(new NetworkInfo("D", NetworkRole.Critic, NetworkOutput.ClassLogits, TakesLabels: true));
        e = Assert.Throws<ArgumentException>(() => Validate(classifierInfo, g, narrow, classCount: 10));
        Assert.Contains("the loss needs one logit per class per sample: [2, 10] for 10 classes", e.Message);

        // A label table with too few rows fails on the dry run's labels 0, 1 (mod K), named with them.
        using var tooFewClasses = new ConditionalMlp(2, 1, classCount: 1);
        e = Assert.Throws<ArgumentException>(() => Validate(ConditionalTestLoss.MakeInfo(D()), g, tooFewClasses, classCount: 10));
        Assert.Contains("and int64 labels [0, 1] of 10 classes", e.Message);

        // The right widths pass.
        using var right = new ConditionalMlp(2, 1 + 10, 10);
        Validate(info, g, right, classCount: 10);
        // ... but not without K: a step context used directly must say how many classes there are.
        e = Assert.Throws<ArgumentException>(() => Validate(info, g, right, classCount: 0));
        Assert.Contains("reads class logits from network D (takes class labels (the loss calls D(v, y)) and has 1 class head", e.Message);
        Assert.Contains("the number of classes is 0", e.Message);
    }

    private static void Validate(LossInfo info, nn.Module g, nn.Module d, int classCount)
    {
        using var real = torch.zeros(4, 2);
        using var noise = torch.zeros(4, 2);
        var networks = new Dictionary<string, nn.Module> { ["G"] = g, ["D"] = d };
        using var random = new torch.Generator(1);
        new StepContext(real, noise, networks, new GeneratorStepRandom(random)) { ClassCount = classCount }.Validate(info);
    }

    [Fact]
    public void Conditional_built_in_critics_are_batch_independent_so_shared_forward_passes_stay_exact()
    {
        const int K = 4;
        torch.manual_seed(5);
        using var mlp = (nn.Module<Tensor, Tensor, Tensor>)new MlpFamily().Build(D(), [2], K);
        using var projection = (nn.Module<Tensor, Tensor, Tensor>)new Dcgan28Family().Build(D(heads: 1), [1, 28, 28], K);
        Assert.True(BatchIndependence.Holds(mlp));
        Assert.True(BatchIndependence.Holds(projection));
        Assert.True(BatchIndependence.Holds(nn.Embedding(3, 2)));
        // What a shared forward pass does with a conditional D: batches and their labels concatenated, one call.
        var (x1, y1, x2, y2) = (torch.randn(3, 2), torch.tensor(new long[] { 0, 1, 3 }), torch.randn(2, 2), torch.tensor(new long[] { 2, 2 }));
        var shared = mlp.call(torch.cat([x1, x2]), torch.cat([y1, y2]));
        Assert.True(shared.allclose(torch.cat([mlp.call(x1, y1), mlp.call(x2, y2)]), rtol: 1e-6, atol: 1e-6));
    }

    [Fact]
    public void A_per_class_grid_has_one_row_per_class_in_label_order()
    {
        // 3 classes cycling, 1-value "images" whose value is their index: rows gather each class's first samples.
        var labels = Sampling.ClassCycle(30, 3);
        Assert.Equal([0L, 1, 2, 0, 1, 2], labels.Take(6));
        var samples = Enumerable.Range(0, 30).Select(i => (float)i).ToArray();
        var (images, columns, classes) = Sampling.ClassRows(samples, 1, labels);
        Assert.Equal(Sampling.GridColumns, columns);
        Assert.Equal([0L, 1, 2], classes);
        Assert.Equal([0f, 3, 6, 9, 12, 15, 18, 21], images.Take(8));
        Assert.Equal([1f, 4, 7, 10, 13, 16, 19, 22], images.Skip(8).Take(8));
        Assert.Equal(3 * 8, images.Length);
        Assert.Equal([0L, 0, 1, 1, 2, 2], Sampling.ClassCycle(6, 3, cycle: false));

        // On images: a grid of 3 rows of 8 (the picture of a plain 24-image grid with 8 columns).
        var path = Path.Combine(_dir, "grid.png");
        var pixels = new float[30 * 28 * 28];
        Assert.True(Sampling.SavePicture(path, pixels, [30, 1, 28, 28], null, "t", labels: labels));
        using var saved = SkiaSharp.SKBitmap.Decode(path);
        var expected = Imaging.ImageGrid.Render(new float[24 * 28 * 28], [24, 1, 28, 28], columns: 8, title: "t, one row per class (0 to 2)");
        Assert.Equal((expected.Width, expected.Height), (saved.Width, saved.Height));
    }

    [Fact]
    public void A_user_conditional_family_trains_with_labels_keeps_a_conditional_EMA_and_writes_labelled_samples()
    {
        var options = Options() with { Ema = 0.9, SampleEvery = 2 };
        using (var trainer = Trainer.Create(new ConditionalTestLoss(), CustomConditional(), options, Labelled()))
        {
            Assert.IsType<ConditionalMlp>(trainer.Networks["D"]);
            Assert.IsType<ConditionalMlp>(trainer.AverageNetwork);   // the EMA copy of G is built for K classes too
            var before = trainer.Networks["D"].parameters().Select(p => p.detach().clone()).ToList();
            Assert.Equal(TrainOutcome.Completed, trainer.Run().Outcome);
            Assert.Contains(before.Zip(trainer.Networks["D"].parameters()), pair => !pair.First.allclose(pair.Second, rtol: 0, atol: 0));
        }
        var samples = NpyFile.Read(Path.Combine(_dir, "samples.npy"));
        Assert.Equal([30L, 2], samples.Shape);
        // samples_labels.npy: int64, the classes cycling 0, 1, 2, 0, ...
        var bytes = File.ReadAllBytes(Path.Combine(_dir, "samples_labels.npy"));
        Assert.Contains("'descr': '<i8'", System.Text.Encoding.ASCII.GetString(bytes, 0, 128));
        Assert.Contains("'shape': (30,)", System.Text.Encoding.ASCII.GetString(bytes, 0, 128));
        var labels = Enumerable.Range(0, 30).Select(i => BitConverter.ToInt64(bytes, bytes.Length - 8 * (30 - i))).ToArray();
        Assert.Equal(Sampling.ClassCycle(30, 3), labels);
        Assert.True(File.Exists(Path.Combine(_dir, "samples.png")));
        Assert.True(File.Exists(Path.Combine(_dir, "samples_000002.png")));

        using var resumed = Trainer.Create(new ConditionalTestLoss(), CustomConditional(), options with { Steps = 6, Resume = true }, Labelled());
        Assert.Equal(4, resumed.Step);
        Assert.Equal(TrainOutcome.Completed, resumed.Run().Outcome);
    }

    [Fact]
    public void A_conditional_image_generator_is_pictured_with_one_row_of_eight_per_class()
    {
        // Tiny image networks: G(z, y) -> 1×28×28, D(x, y) -> score; 3 classes of labelled images.
        var family = ModelFamily.Custom("tiny-images", [2], (network, _, classes) => network.Role == NetworkRole.Generator
            ? new ConditionalMlp(2, 28 * 28, classes, then: nn.Sequential(nn.Tanh(), nn.Unflatten(1, [1, 28, 28])))
            : new ConditionalMlp(28 * 28, 1, classes, first: nn.Flatten()));
        torch.manual_seed(12);
        var images = new LabelledPoints(UserData.FromTensor(torch.rand(12, 1, 28, 28) * 2 - 1, "labelled-images"), classes: 3);
        var options = Options() with { Steps = 1, SampleEvery = 1, BatchSize = 4 };
        using (var trainer = Trainer.Create(new ConditionalTestLoss(), family, options, images))
            Assert.Equal(TrainOutcome.Completed, trainer.Run().Outcome);
        var grid = Imaging.ImageGrid.Render(new float[24 * 28 * 28], [24, 1, 28, 28], columns: 8, title: "test-conditional step 1, one row per class (0 to 2)");
        foreach (var file in new[] { "samples_000001.png", "samples.png" })
        {
            using var picture = SkiaSharp.SKBitmap.Decode(Path.Combine(_dir, file));
            Assert.Equal((grid.Width, grid.Height), (picture.Width, picture.Height));   // 3 rows of 8, not the 8×8 grid of 64
        }
        Assert.Equal([30L, 1, 28, 28], NpyFile.Read(Path.Combine(_dir, "samples.npy")).Shape);
    }

    private TrainOptions Options() => new() { Steps = 4, Seed = 7, BatchSize = 16, OutputDirectory = _dir, SampleEvery = 0, FinalSampleCount = 30, LogEvery = 1 };

    /// <summary>The user's family: conditional MLPs for the networks that take labels, plain ones otherwise.</summary>
    private static IModelFamily CustomConditional() => ModelFamily.Custom("my-cgan", [2], (network, sampleShape, classes) => network.TakesLabels
        ? new ConditionalMlp(network.Role == NetworkRole.Generator ? 2 : sampleShape[0], network.Role == NetworkRole.Generator ? sampleShape[0] : 1 + network.ClassHeads * classes, classes)
        : nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 1)));

    /// <summary>
    /// Labelled data written in the test: samples whose class is the number of positive values among their first two (0, 1 or 2),
    /// a function of the sample, so a batch's labels follow from its samples.
    /// </summary>
    private static ILabelledDataset Labelled()
    {
        torch.manual_seed(9);
        return new LabelledPoints(UserData.FromTensor(torch.randn(64, 2), "labelled-points"), classes: 3);
    }

    private sealed class LabelledPoints(IDataset inner, int classes) : ILabelledDataset
    {
        public string Name => inner.Name;
        public IReadOnlyList<long> SampleShape => inner.SampleShape;
        public long? Count => inner.Count;
        public IBatchSampler CreateSampler(int batchSize, ulong seed) => new Sampler(this, inner.CreateSampler(batchSize, seed));
        public int ClassCount => classes;
        public IReadOnlyList<string> ClassNames => Enumerable.Range(0, classes).Select(i => $"class {i}").ToArray();
        public IReadOnlyList<double> ClassFrequencies => [0.25, 0.5, 0.25];

        private sealed class Sampler(IDataset dataset, IBatchSampler inner) : ILabelledBatchSampler
        {
            public IDataset Dataset => dataset;
            public int BatchSize => inner.BatchSize;
            public long[] BatchShape => inner.BatchShape;
            public long Epoch => inner.Epoch;
            public long BatchesDrawn => inner.BatchesDrawn;
            public Tensor NextTensor(Device? device = null) => inner.NextTensor(device);
            public byte[] GetState() => inner.GetState();
            public void SetState(byte[] state) => inner.SetState(state);

            public (Tensor Samples, Tensor Labels) NextLabelled(Device? device = null)
            {
                var samples = inner.NextTensor(device);
                return (samples, samples.flatten(1)[.., ..2].gt(0).sum(1).to_type(ScalarType.Int64));
            }
        }
    }
}

/// <summary>A user's conditional network, the TorchSharp idiom: a two-input module (batch, int64 labels [B]).</summary>
public sealed class ConditionalMlp : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Embedding embed;
    private readonly nn.Module<Tensor, Tensor> layers;

    private readonly nn.Module<Tensor, Tensor> first, then;

    /// <param name="first">Applied to the input before the label is concatenated (a Flatten for images); identity by default.</param>
    /// <param name="then">Applied to the output (a reshape to images); identity by default.</param>
    public ConditionalMlp(long inputs, long outputs, long classCount, nn.Module<Tensor, Tensor>? first = null, nn.Module<Tensor, Tensor>? then = null) : base(nameof(ConditionalMlp))
    {
        embed = nn.Embedding(classCount, 4);
        layers = nn.Sequential(nn.Linear(inputs + 4, 32), nn.ReLU(), nn.Linear(32, outputs));
        this.first = first ?? nn.Identity();
        this.then = then ?? nn.Identity();
        RegisterComponents();
    }

    public override Tensor forward(Tensor input, Tensor labels) => then.call(layers.call(torch.cat([first.call(input), embed.call(labels)], 1)));
}

/// <summary>
/// A hand-written conditional non-saturating loss (Mirza &amp; Osindero 2014) over label-taking G and D. It reads the
/// trainer's labels (StepContext.RealLabels/NoiseLabels) when given and otherwise labels the batch 0, 1, ... mod K
/// itself: on this branch the trainer does not draw labels yet (another change of issue 16 does).
/// </summary>
public sealed class ConditionalTestLoss : IGanLoss
{
    public static LossInfo MakeInfo(NetworkInfo d) => new("test-conditional", typeof(ConditionalTestLoss).FullName!, "conditional test loss", "critic", "generator",
        [new NetworkInfo("G", NetworkRole.Generator, NetworkOutput.Sample, TakesLabels: true), d], [], [], 1, [], OptimizerDefaults.Standard, false)
    { UsesLabels = true };

    public LossInfo Info { get; } = MakeInfo(new NetworkInfo("D", NetworkRole.Critic, NetworkOutput.Score, TakesLabels: true));
    public Hyperparameters Hyper { get; } = new("test-conditional", Array.Empty<HyperInfo>());
    public LossState State { get; } = new(Array.Empty<StateInfo>());

    private static Tensor Labels(Tensor? given, Tensor batch, int classCount) =>
        given ?? torch.arange(batch.shape[0], ScalarType.Int64, batch.device).remainder(classCount > 0 ? classCount : 3);

    public StepResult DiscriminatorStep(StepContext c)
    {
        var (y, yz) = (Labels(c.RealLabels, c.Real, c.ClassCount), Labels(c.NoiseLabels, c.Noise, c.ClassCount));
        var d = c.ConditionalNetwork("D");
        Tensor fake;
        using (torch.no_grad()) fake = c.ConditionalNetwork("G").call(c.Noise, yz);
        var loss = F.softplus(-d.call(c.Real, y)).mean() + F.softplus(d.call(fake, yz)).mean();
        loss.backward();
        return new StepResult(loss);
    }

    public StepResult GeneratorStep(StepContext c)
    {
        var yz = Labels(c.NoiseLabels, c.Noise, c.ClassCount);
        var fake = c.ConditionalNetwork("G").call(c.Noise, yz);
        using var frozen = c.Freeze("D");
        var loss = F.softplus(-c.ConditionalNetwork("D").call(fake, yz)).mean();
        loss.backward();
        return new StepResult(loss);
    }
}
