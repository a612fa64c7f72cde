using GanDsl.Data;
using GanDsl.Training;
using TorchSharp;
using static GanDsl.Runtime.Tests.Training.RunFolders;
using static TorchSharp.torch;

namespace GanDsl.Runtime.Tests.Training;

/// <summary>
/// The trainer's side of conditional GANs (issue 16): a loss that uses labels gets each real batch with its labels and
/// generator labels yz drawn from the data's class frequencies or uniformly; one that uses none draws exactly as before;
/// missing labels are a setup error that says what to pass. Labelled runs resumed from the command line: GanDsl.Cli.Tests.
/// </summary>
[Collection(SerialTorchCollection.Name)]
public class ConditionalTrainerTests : TempFolderTests
{
    private static TrainOptions Options(string dir, long steps, int batch = 64, string data = "ring") => new()
    {
        Data = data, OutputDirectory = dir, Steps = steps, BatchSize = batch, Threads = 1, SampleEvery = 0, FinalSampleCount = 0, Seed = 5,
    };

    private static List<TestConditional.Seen> Train(TestConditional loss, TrainOptions options, IDataset? data = null)
    {
        using var trainer = Trainer.Create(loss, new TinyTestFamily(), options, data);
        Assert.Equal(TrainOutcome.Completed, trainer.Run(progress: ProgressReporter.Silent).Outcome);
        return loss.Steps;
    }

    [Fact]
    public void Ring_batches_come_with_the_mode_of_each_sample_and_yz_follows_the_uniform_class_frequencies()
    {
        var seen = Train(new TestConditional(), Options(TempDir("ring"), steps: 20));
        var ring = GaussianMixture2D.Ring();
        Assert.Equal(40, seen.Count);   // a critic and a generator step per step
        var yz = new int[8];
        foreach (var step in seen)
        {
            Assert.Equal(8, step.ClassCount);
            Assert.Equal(64, step.RealLabels!.Length);
            for (var i = 0; i < 64; i++)
            {
                var mode = ring.Modes[(int)step.RealLabels[i]];
                var distance = Math.Sqrt(Math.Pow(step.Real[2 * i] - mode.X, 2) + Math.Pow(step.Real[2 * i + 1] - mode.Y, 2));
                Assert.True(distance < 0.15, $"sample ({step.Real[2 * i]}, {step.Real[2 * i + 1]}) labelled {step.RealLabels[i]} is {distance:F3} from that mode's centre");
            }
            foreach (var label in step.NoiseLabels!) yz[label]++;
        }
        // 2,560 draws: each class's share is 1/8 within 5 standard deviations (sqrt(p(1-p)/n) = 0.0065).
        Assert.All(yz, count => Assert.InRange(count / 2560.0, 0.125 - 0.033, 0.125 + 0.033));
    }

    /// <summary>Unbalanced labels (90% class 0): yz follows the data by default and is balanced with NoiseLabels = Uniform.</summary>
    [Fact]
    public void Yz_follows_the_data_frequencies_by_default_and_is_uniform_when_asked()
    {
        var labels = Enumerable.Range(0, 200).Select(i => i % 10 == 9 ? 1L : 0L).ToArray();
        // Each sample carries its index and its label, so the test can check that labels travel with their samples.
        var samples = torch.stack([torch.arange(200, ScalarType.Float32), torch.tensor(labels).to_type(ScalarType.Float32)], dim: 1);
        double ShareOfClass1(LabelDistribution distribution)
        {
            var data = UserData.FromTensor(samples, torch.tensor(labels), "unbalanced");
            Assert.Equal([0.9, 0.1], data.ClassFrequencies.Select(f => Math.Round(f, 12)));
            var seen = Train(new TestConditional(), Options(TempDir("unbalanced"), steps: 25, batch: 40, data: "") with { NoiseLabels = distribution }, data);
            foreach (var step in seen)
            {
                Assert.Equal(2, step.ClassCount);
                for (var i = 0; i < 40; i++)
                {
                    var index = (int)step.Real[2 * i];
                    Assert.Equal(labels[index], step.RealLabels![i]);
                    Assert.Equal(step.Real[2 * i + 1], step.RealLabels[i]);
                }
            }
            return seen.SelectMany(s => s.NoiseLabels!).Average();
        }
        // 2,000 draws: standard deviations 0.0067 (p = 0.1) and 0.011 (p = 0.5).
        Assert.InRange(ShareOfClass1(LabelDistribution.DataFrequencies), 0.1 - 0.035, 0.1 + 0.035);
        Assert.InRange(ShareOfClass1(LabelDistribution.Uniform), 0.5 - 0.055, 0.5 + 0.055);
    }

    /// <summary>
    /// A loss without labels draws exactly what it drew before labels existed, on labelled data too: the data sampler's
    /// batches in order and the noise stream's batches back to back (no yz draw between them); a conditional loss gets
    /// the same real batches, and its yz, drawn right after each noise batch, shifts the next noise batch.
    /// </summary>
    [Fact]
    public void A_loss_without_labels_draws_exactly_as_before_and_a_conditional_one_sees_the_same_real_batches()
    {
        var options = Options(TempDir("plain"), steps: 4, batch: 16);
        var plain = Train(new TestConditional(usesLabels: false), options);
        var conditional = Train(new TestConditional(), options with { OutputDirectory = TempDir("conditional") });

        var sampler = GaussianMixture2D.Ring().CreateSampler(16, Xoshiro256.DeriveSeed(5, 1));
        using var noise = new Generator(Xoshiro256.DeriveSeed(5, 2), torch.CPU);
        for (var s = 0; s < plain.Count; s++)
        {
            Assert.Null(plain[s].RealLabels);
            Assert.Null(plain[s].NoiseLabels);
            Assert.Equal(0, plain[s].ClassCount);
            Assert.Equal(sampler.Next().Data, plain[s].Real);
            Assert.Equal(torch.randn([16, 3], generator: noise).data<float>().ToArray(), plain[s].Noise);
            Assert.Equal(plain[s].Real, conditional[s].Real);
        }
        Assert.Equal(plain[0].Noise, conditional[0].Noise);
        Assert.NotEqual(plain[1].Noise, conditional[1].Noise);
    }

    [Fact]
    public void A_loss_that_uses_labels_on_unlabelled_data_is_a_setup_error_saying_what_to_pass()
    {
        var dir = TempDir("unlabelled");
        var e = Assert.Throws<TrainingSetupException>(() => Trainer.Create(new TestConditional(), new TinyTestFamily(), Options(dir, 1, data: "swissroll")));
        Assert.Contains("Loss 'test-conditional' uses class labels", e.Message);
        Assert.Contains("the data 'swissroll' has none", e.Message);
        Assert.Contains("ring or grid", e.Message);

        e = Assert.Throws<TrainingSetupException>(() => Trainer.Create(new TestConditional(), new TinyTestFamily(), Options(dir, 1, data: ""), UserData.FromTensor(torch.randn(50, 2), "mine")));
        Assert.Contains("the data 'mine' has none", e.Message);
        Assert.Contains("UserData.FromTensor(x, y)", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir));

    }

    /// <summary>A user's labelled dataset: the ring's samples, with a class count, frequencies and labels of the test's choosing.</summary>
    private sealed class UserLabelled(int classCount, double[] frequencies, Func<Tensor, Tensor> labels) : ILabelledDataset
    {
        private readonly GaussianMixture2D _ring = GaussianMixture2D.Ring();
        public string Name => "user-labelled";
        public IReadOnlyList<long> SampleShape => _ring.SampleShape;
        public long? Count => null;
        public int ClassCount => classCount;
        public IReadOnlyList<string> ClassNames => Enumerable.Range(0, classCount).Select(k => $"c{k}").ToArray();
        public IReadOnlyList<double> ClassFrequencies => frequencies;
        public IBatchSampler CreateSampler(int batchSize, ulong seed) => new Sampler(this, (ILabelledBatchSampler)_ring.CreateSampler(batchSize, seed), labels);

        private sealed class Sampler(IDataset dataset, ILabelledBatchSampler ring, Func<Tensor, Tensor> labels) : ILabelledBatchSampler
        {
            public IDataset Dataset => dataset;
            public int BatchSize => ring.BatchSize;
            public long[] BatchShape => ring.BatchShape;
            public long Epoch => 0;
            public long BatchesDrawn => ring.BatchesDrawn;
            public Tensor NextTensor(Device? device = null) => ring.NextTensor(device);
            public (Tensor Samples, Tensor Labels) NextLabelled(Device? device = null)
            {
                var (x, y) = ring.NextLabelled(device);
                return (x, labels(y));
            }
            public byte[] GetState() => ring.GetState();
            public void SetState(byte[] state) => ring.SetState(state);
        }
    }

    [Fact]
    public void A_users_labelled_data_that_breaks_the_contract_is_named()
    {
        var dir = TempDir("user");
        var uniform = Enumerable.Repeat(0.125, 8).ToArray();
        var e = Assert.Throws<TrainingSetupException>(() => Trainer.Create(new TestConditional(), new TinyTestFamily(), Options(dir, 1, data: ""), new UserLabelled(0, [], y => y)));
        Assert.Contains("The data 'user-labelled' (UserLabelled) has ClassCount 0", e.Message);
        e = Assert.Throws<TrainingSetupException>(() => Trainer.Create(new TestConditional(), new TinyTestFamily(), Options(dir, 1, data: ""), new UserLabelled(8, [1, 2], y => y)));
        Assert.Contains("gives 2 class frequencies for 8 classes", e.Message);

        using var trainer = Trainer.Create(new TestConditional(), new TinyTestFamily(), Options(dir, 1, data: ""), new UserLabelled(8, uniform, y => y.to_type(ScalarType.Int32)));
        var thrown = Assert.Throws<UserCodeException>(() => trainer.Run(progress: ProgressReporter.Silent));
        Assert.Contains("NextLabelled", thrown.Message);
        Assert.Contains("must be int64 of shape [64]", thrown.Message);
    }
}
