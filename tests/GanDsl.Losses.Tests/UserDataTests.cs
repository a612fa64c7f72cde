using GanDsl.Data;
using GanDsl.Models;
using GanDsl.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GanDsl.Losses.Tests;

/// <summary>Your own data through the public API: a tensor of samples, an enumerable of batches, a TorchSharp Dataset or DataLoader.</summary>
public sealed class UserDataTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gandsl-user-data-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private TrainOptions Options(long steps, string sub) => new()
    {
        Steps = steps, Seed = 5, BatchSize = 32, OutputDirectory = Path.Combine(_dir, sub), SampleEvery = 0, FinalSampleCount = 50, LogEvery = 1,
    };

    [Fact]
    public void A_tensor_of_samples_trains_and_resumes_exactly()
    {
        using var samples = torch.randn([200, 2], generator: new Generator(1)) * 0.5 + 1.0;
        var data = UserData.FromTensor(samples, "my-points");
        Assert.Equal([2L], data.SampleShape);
        Assert.Equal(200, data.Count);

        // 4 steps in one go, and 2 + 2 with a resume, give the same generator.
        float[] Weights(Trainer t) => t.SampleNetwork.parameters().SelectMany(p => p.detach().data<float>().ToArray()).ToArray();
        float[] straight;
        using (var t = Trainer.Create(new NonSaturating(), ModelFactory.Get("mlp"), Options(4, "straight"), data))
        {
            Assert.Equal(TrainOutcome.Completed, t.Run().Outcome);
            straight = Weights(t);
        }
        using (var t = Trainer.Create(new NonSaturating(), ModelFactory.Get("mlp"), Options(2, "resumed"), data)) t.Run();
        using (var t = Trainer.Create(new NonSaturating(), ModelFactory.Get("mlp"), Options(4, "resumed") with { Resume = true }, data))
        {
            Assert.Equal(TrainOutcome.Completed, t.Run().Outcome);
            Assert.Equal(straight, Weights(t));
        }
    }

    [Fact]
    public void A_tensor_with_nan_is_refused()
    {
        using var samples = torch.tensor(new float[] { 1, float.NaN, 0, 0 }, [2, 2]);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => UserData.FromTensor(samples)).Message);
    }

    /// <summary>Three batches per pass: the trainer sees the end of each pass after its third batch.</summary>
    [Fact]
    public void Batches_you_produce_are_cycled_by_epochs_and_resume_by_skipping()
    {
        IEnumerable<Tensor> Batches()
        {
            for (var i = 0; i < 3; i++) yield return torch.full([4, 2], (float)i);
        }
        var data = UserData.FromBatches(Batches(), [2], "three-batches");
        var sampler = data.CreateSampler(4, seed: 0);
        var firsts = new List<float>();
        var epochEnds = new List<long>();
        for (var i = 0; i < 7; i++)
        {
            var buffer = new float[8];
            var epoch = sampler.NextInto(buffer);
            firsts.Add(buffer[0]);
            if (sampler.Epoch > epoch) epochEnds.Add(sampler.BatchesDrawn);
        }
        Assert.Equal([0f, 1, 2, 0, 1, 2, 0], firsts);
        Assert.Equal([3L, 6], epochEnds);

        var state = sampler.GetState();
        var resumed = data.CreateSampler(4, seed: 0);
        resumed.SetState(state);
        Assert.Equal(7, resumed.BatchesDrawn);
        Assert.Equal(2, resumed.Epoch);
        Assert.Equal(1f, resumed.Next().Data[0]);
    }

    [Fact]
    public void A_batch_of_the_wrong_shape_names_both_shapes()
    {
        var data = UserData.FromBatches([torch.zeros(4, 3)], [2]);
        var sampler = data.CreateSampler(4, seed: 0);
        var e = Assert.Throws<InvalidOperationException>(() => sampler.Next());
        Assert.Contains("[4, 3]", e.Message);
        Assert.Contains("[4, 2]", e.Message);
    }

    /// <summary>A researcher's map-style TorchSharp dataset: 2D points under "image", labels beside them.</summary>
    private sealed class PointDataset(Tensor points) : torch.utils.data.Dataset
    {
        public override long Count => points.shape[0];

        public override Dictionary<string, Tensor> GetTensor(long index) => new() { ["image"] = points[index], ["label"] = torch.tensor(index % 3) };
    }

    /// <summary>A TorchSharp dataset of plain tensors.</summary>
    private sealed class TensorItems(Func<long, Tensor> item, long count) : torch.utils.data.Dataset<Tensor>
    {
        public override long Count => count;

        public override Tensor GetTensor(long index) => item(index);
    }

    /// <summary>A critic that keeps a host copy of every input, so a test sees the real batches the trainer feeds it.</summary>
    private sealed class RecordingCritic : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> layers = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1));

        public List<(long[] Shape, float[] Values)> Inputs { get; } = new();

        public RecordingCritic() : base(nameof(RecordingCritic)) => RegisterComponents();

        public override Tensor forward(Tensor x)
        {
            Inputs.Add((x.shape, x.detach().cpu().data<float>().ToArray()));
            return layers.call(x);
        }
    }

    /// <summary>Distinct points (row i = [i / 64, 1 - i / 32]): every value is exact in float32, every row identifies its sample.</summary>
    private static Tensor DistinctPoints(int n) => torch.stack([torch.arange(n, dtype: ScalarType.Float32) / 64, 1 - torch.arange(n, dtype: ScalarType.Float32) / 32], dim: 1);

    /// <summary>Trains NonSaturating (one critic call on the real batch per step) and returns the critic's inputs whose rows are all samples of <paramref name="points"/>: the real batches, in order.</summary>
    private List<float[]> RealBatchesSeen(IDataset data, Tensor points, TrainOptions options)
    {
        RecordingCritic? critic = null;
        var family = ModelFamily.Custom("recording", noiseShape: [2], build: (network, shape) =>
            network.Role == NetworkRole.Critic ? critic = new RecordingCritic() : nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, shape[0])));
        using (var trainer = Trainer.Create(new NonSaturating(), family, options, data))
            Assert.Equal(TrainOutcome.Completed, trainer.Run().Outcome);
        var rows = points.data<float>().ToArray().Chunk(2).Select(r => (r[0], r[1])).ToHashSet();
        var real = critic!.Inputs.Where(i => i.Values.Chunk(2).All(r => rows.Contains((r[0], r[1])))).ToList();
        Assert.All(real, i => Assert.Equal([options.BatchSize!.Value, 2L], i.Shape));
        return real.Select(i => i.Values).ToList();
    }

    [Fact]
    public void A_TorchSharp_dataset_feeds_the_trainer_its_samples_drawn_and_resumed_as_a_tensor_would_be()
    {
        using var points = DistinctPoints(100);
        var data = UserData.FromDataset(new PointDataset(points), key: "image", name: "my-points");
        Assert.Equal([2L], data.SampleShape);
        Assert.Equal(100, data.Count);

        var straight = RealBatchesSeen(data, points, Options(4, "straight"));
        Assert.Equal(4, straight.Count);   // one real batch per critic step, every row a sample of the dataset
        Assert.All(straight, b => Assert.Equal(32, b.Chunk(2).Select(r => (r[0], r[1])).Distinct().Count()));   // an epoch's permutation: no repeats

        // The same samples as a tensor: the trainer draws the same batches (its own seeded epochs).
        Assert.Equal(straight, RealBatchesSeen(UserData.FromTensor(points, "my-points"), points, Options(4, "as-tensor")));

        // 2 steps, then a resume to 4: steps 3 and 4 see the batches of the straight run (the sampler position is in the checkpoint).
        RealBatchesSeen(data, points, Options(2, "resumed"));
        Assert.Equal(straight[2..], RealBatchesSeen(data, points, Options(4, "resumed") with { Resume = true }));
        Assert.True(File.Exists(Path.Combine(_dir, "resumed", "samples.npy")));
    }

    [Fact]
    public void A_TorchSharp_dataset_of_image_tensors_gives_its_values()
    {
        var data = UserData.FromDataset(new TensorItems(i => torch.full([1, 4, 4], (float)i), 10), "images");
        Assert.Equal([1L, 4, 4], data.SampleShape);
        var batch = data.CreateSampler(5, seed: 3).Next();
        Assert.Equal([5L, 1, 4, 4], batch.Shape);
        var firsts = batch.Data.Chunk(16).Select(sample => Assert.Single(sample.Distinct())).ToList();   // each sample is one dataset item whole
        Assert.Equal(5, firsts.Distinct().Count());
        Assert.All(firsts, v => Assert.InRange(v, 0, 9));
    }

    [Fact]
    public void Bad_TorchSharp_datasets_are_refused_saying_what_is_wrong()
    {
        using var points = DistinctPoints(10);
        var wrongKey = Assert.Throws<ArgumentException>(() => UserData.FromDataset(new PointDataset(points), key: "img"));
        Assert.Contains("no key 'img'", wrongKey.Message);
        Assert.Contains("'image', 'label'", wrongKey.Message);

        var integers = Assert.Throws<ArgumentException>(() => UserData.FromDataset(new TensorItems(_ => torch.zeros([1, 4, 4], ScalarType.Byte), 10)));
        Assert.Contains("Byte", integers.Message);
        Assert.Contains("floating-point", integers.Message);

        var empty = Assert.Throws<ArgumentException>(() => UserData.FromDataset(new PointDataset(torch.zeros(0, 2))));
        Assert.Contains("empty", empty.Message);

        var matrix = Assert.Throws<ArgumentException>(() => UserData.FromDataset(new TensorItems(_ => torch.zeros(1, 2), 10)));
        Assert.Contains("[1, 2]", matrix.Message);

        var emptyLoader = Assert.Throws<ArgumentException>(() => UserData.FromDataLoader(new DataLoader(new PointDataset(torch.zeros(0, 2)), 4)));
        Assert.Contains("no batch", emptyLoader.Message);
    }

    [Fact]
    public void A_seeded_DataLoader_feeds_its_own_batches_and_resumes_by_replaying_its_order()
    {
        using var points = DistinctPoints(100);
        // 100 samples, batches of 32, the last 4 dropped: 3 batches per epoch, the same permutation every epoch (seeded).
        DataLoader Loader() => new(new PointDataset(points), 32, shuffle: true, seed: 7, drop_last: true);
        var expected = Loader().Select(b => b["image"].data<float>().ToArray()).ToList();
        Assert.Equal(3, expected.Count);

        var straight = RealBatchesSeen(UserData.FromDataLoader(Loader(), name: "loader"), points, Options(5, "loader"));
        // The trainer draws a batch for every step, the generator's included; with one critic step per generator step
        // the critic sees draws 0, 2, 4, ...: the loader's batches in its order, every other one.
        Assert.Equal(Enumerable.Range(0, 5).Select(i => expected[2 * i % 3]), straight);

        RealBatchesSeen(UserData.FromDataLoader(Loader(), name: "loader"), points, Options(2, "loader-resumed"));
        Assert.Equal(straight[2..], RealBatchesSeen(UserData.FromDataLoader(Loader(), name: "loader"), points, Options(5, "loader-resumed") with { Resume = true }));
    }

    /// <summary>10 samples in loader batches of 4, 4 and 2: the trainer's batches of 4 run on into the next pass.</summary>
    [Fact]
    public void A_DataLoaders_short_last_batch_continues_into_the_next_pass()
    {
        using var points = DistinctPoints(10);
        var rows = points.data<float>().ToArray().Chunk(2).ToList();
        var sampler = UserData.FromDataLoader(new DataLoader(new PointDataset(points), 4)).CreateSampler(4, seed: 0);
        var drawn = Enumerable.Range(0, 4).Select(_ => sampler.Next()).ToList();
        int[][] expected = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1], [2, 3, 4, 5]];
        Assert.Equal(expected.Select(b => b.SelectMany(i => rows[i]).ToArray()), drawn.Select(b => b.Data));
        Assert.Equal([0L, 0, 0, 1], drawn.Select(b => b.Epoch));
    }
}
