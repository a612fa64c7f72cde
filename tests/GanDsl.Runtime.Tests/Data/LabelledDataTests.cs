using System.Buffers.Binary;
using System.Text;
using GanDsl.Data;
using GanDsl.Formats;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Runtime.Tests.Data;

/// <summary>
/// Labelled data (issue 16): the built-in data and the user's come with one class per sample; a labelled sampler draws
/// exactly the batches the unlabelled one would, with the labels of their samples; bad labels are refused by name.
/// </summary>
public class LabelledDataTests
{
    private static long[] Host(Tensor labels)
    {
        Assert.Equal(ScalarType.Int64, labels.dtype);
        return labels.cpu().data<long>().ToArray();
    }

    /// <summary>
    /// Two samplers of one seed, one drawn with NextTensor and one with NextLabelled (mixed with NextTensor), give the
    /// same batches across several chunks, and every sample lies at the centre of the mode its label names.
    /// </summary>
    [Theory]
    [InlineData("ring", 8, 0.02)]
    [InlineData("grid", 25, 0.05)]
    public void Mixture_samples_are_labelled_with_their_mode_and_drawn_as_unlabelled(string name, int modes, double std)
    {
        var data = (GaussianMixture2D)Datasets.Create(name);
        Assert.Equal(modes, data.ClassCount);
        Assert.Equal(Enumerable.Range(0, modes).Select(k => $"mode {k}"), data.ClassNames);
        Assert.All(data.ClassFrequencies, f => Assert.Equal(1.0 / modes, f));
        var plain = data.CreateSampler(100, 9);
        var labelled = Assert.IsAssignableFrom<ILabelledBatchSampler>(data.CreateSampler(100, 9));
        var seen = new int[modes];
        for (var b = 0; b < 150; b++)   // the stream draws chunks of 1, 2, 4, ... batches: several chunk boundaries
        {
            var expected = plain.Next().Data;
            if (b % 5 == 4)
            {
                Assert.Equal(expected, labelled.Next().Data);
                continue;
            }
            var (samples, labels) = labelled.NextLabelled();
            Assert.Equal(expected, samples.data<float>().ToArray());
            var classes = Host(labels);
            Assert.Equal(100, classes.Length);
            for (var i = 0; i < 100; i++)
            {
                var centre = data.Modes[(int)classes[i]];
                Assert.InRange(expected[2 * i] - centre.X, -6 * std, 6 * std);
                Assert.InRange(expected[2 * i + 1] - centre.Y, -6 * std, 6 * std);
                seen[classes[i]]++;
            }
        }
        Assert.All(seen, count => Assert.True(count > 0));
        Assert.Equal(plain.GetState(), labelled.GetState());
    }

    /// <summary>A stream's state taken inside a chunk restores the same samples and labels.</summary>
    [Fact]
    public void A_restored_ring_sampler_continues_with_the_same_labels()
    {
        var sampler = (ILabelledBatchSampler)GaussianMixture2D.Ring().CreateSampler(32, 4);
        for (var b = 0; b < 5; b++) sampler.NextLabelled();   // inside the third chunk (1 + 2 + 4 batches)
        var state = sampler.GetState();
        var (x1, y1) = sampler.NextLabelled();
        var restored = (ILabelledBatchSampler)GaussianMixture2D.Ring().CreateSampler(32, 77);
        restored.SetState(state);
        var (x2, y2) = restored.NextLabelled();
        Assert.Equal(x1.data<float>().ToArray(), x2.data<float>().ToArray());
        Assert.Equal(Host(y1), Host(y2));
    }

    /// <summary>Fashion-MNIST's batches carry the labels the IDX file gives the images drawn (found by their pixels).</summary>
    [FashionMnistFact]
    public void Fashion_mnist_batches_carry_the_label_files_labels_of_their_images()
    {
        var data = Assert.IsType<LabelledFiniteDataset>(Datasets.Create("fashion-mnist"));
        Assert.Equal(FashionMnist.ClassNames, data.ClassNames);
        Assert.Equal("T-shirt/top", data.ClassNames[0]);
        Assert.All(data.ClassFrequencies, f => Assert.Equal(0.1, f, 12));   // 6,000 images per class
        var images = IdxFile.ReadImages(FashionMnist.DefaultTrainImagesPath);
        var fileLabels = IdxFile.ReadLabels(FashionMnist.LabelsPathFor(FashionMnist.DefaultTrainImagesPath)!);
        // Each image's pixels as a key; a label must match one of the images with those pixels (a few are duplicated).
        var labelsOf = new Dictionary<string, HashSet<long>>();
        for (var i = 0; i < images.Count; i++)
        {
            var key = Convert.ToBase64String(images.Pixels, i * 784, 784);
            if (!labelsOf.TryGetValue(key, out var set)) labelsOf[key] = set = new();
            set.Add(fileLabels[i]);
        }
        var sampler = (ILabelledBatchSampler)data.CreateSampler(64, 3);
        for (var b = 0; b < 3; b++)
        {
            var (x, y) = sampler.NextLabelled();
            var pixels = x.add(1f).mul(127.5f).round().to_type(ScalarType.Byte).data<byte>().ToArray();
            var labels = Host(y);
            for (var i = 0; i < 64; i++)
                Assert.Contains(labels[i], labelsOf[Convert.ToBase64String(pixels, i * 784, 784)]);
        }
    }

    private static byte[] IdxLabels(params byte[] labels)
    {
        var bytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x00000801);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), labels.Length);
        labels.CopyTo(bytes, 8);
        return bytes;
    }

    [Fact]
    public void Fashion_mnist_is_labelled_when_its_labels_file_lies_beside_the_images()
    {
        using var dir = new TempDirectory();
        var images = dir.File("train-images-idx3-ubyte.gz");
        File.WriteAllBytes(images, FashionMnistTests.Gzip(FashionMnistTests.IdxBytes(4, 2, 2)));
        Assert.IsNotAssignableFrom<ILabelledDataset>(Datasets.Create("fashion-mnist", images));   // no labels file: unlabelled, still trains

        var labelsPath = dir.File("train-labels-idx1-ubyte.gz");
        File.WriteAllBytes(labelsPath, FashionMnistTests.Gzip(IdxLabels(9, 0, 0, 3)));
        var data = Assert.IsType<LabelledFiniteDataset>(Datasets.Create("fashion-mnist", images));
        Assert.Equal(10, data.ClassCount);
        Assert.Equal([0.5, 0, 0, 0.25, 0, 0, 0, 0, 0, 0.25], data.ClassFrequencies);
        using var indices = torch.tensor(new long[] { 3, 0 });
        Assert.Equal([3L, 9L], Host(data.GetLabels(indices)));

        File.WriteAllBytes(labelsPath, IdxLabels(1, 2, 3));
        var e = Assert.Throws<DataFileException>(() => Datasets.Create("fashion-mnist", images));
        Assert.Equal(labelsPath, e.FilePath);
        Assert.Contains("hold 3 labels for 4 samples", e.Message);
        File.WriteAllBytes(labelsPath, IdxLabels(1, 2, 3, 10));
        Assert.Contains("does not cover label 10", Assert.Throws<DataFileException>(() => Datasets.Create("fashion-mnist", images)).Message);
        Assert.Contains("This is an image file", Assert.Throws<DataFileException>(() => IdxFile.ReadLabels(images)).Message);
    }

    [Fact]
    public void FromTensor_labels_travel_with_their_samples_and_K_is_the_largest_label_plus_one()
    {
        var labels = torch.tensor(new long[] { 0, 2, 2, 0, 2, 0, 0, 0 });
        var samples = torch.arange(8, ScalarType.Float32).unsqueeze(1).repeat(1, 2);   // sample i is (i, i)
        var data = UserData.FromTensor(samples, labels, "mine");
        Assert.Equal(3, data.ClassCount);
        Assert.Equal(["class 0", "class 1", "class 2"], data.ClassNames);
        Assert.Equal([5 / 8.0, 0, 3 / 8.0], data.ClassFrequencies);   // class 1 has no sample: allowed, frequency 0
        var expected = labels.data<long>().ToArray();
        var sampler = (ILabelledBatchSampler)data.CreateSampler(3, 1);
        for (var b = 0; b < 10; b++)   // several epochs
        {
            var (x, y) = sampler.NextLabelled();
            var rows = x.data<float>().ToArray();
            var classes = Host(y);
            for (var i = 0; i < 3; i++) Assert.Equal(expected[(int)rows[2 * i]], classes[i]);
        }
        // Integer dtypes, and floats holding whole numbers, are labels; a class count and names may be given.
        Assert.Equal(3, UserData.FromTensor(samples, labels.to_type(ScalarType.Byte)).ClassCount);
        var named = UserData.FromTensor(samples, labels.to_type(ScalarType.Float32), classCount: 4, classNames: ["a", "b", "c", "d"]);
        Assert.Equal(4, named.ClassCount);
        Assert.Equal("d", named.ClassNames[3]);
    }

    [Fact]
    public void FromTensor_refuses_labels_that_are_not_one_class_index_per_sample()
    {
        var samples = torch.randn(4, 2);
        string Error(Tensor labels, int? classCount = null) =>
            Assert.Throws<ArgumentException>(() => UserData.FromTensor(samples, labels, "mine", classCount)).Message;
        Assert.Contains("The labels of 'mine' are Float32 with label 2 = 0.5, not a whole number", Error(torch.tensor(new[] { 0f, 1f, 0.5f, 1f })));
        Assert.Contains("label 1 is -1; labels are class indices 0, 1, ..., K-1, never negative", Error(torch.tensor(new long[] { 0, -1, 1, 1 })));
        Assert.Contains("hold 3 labels for 4 samples", Error(torch.tensor(new long[] { 0, 1, 1 })));
        Assert.Contains("pass labels.argmax(1)", Error(torch.eye(4)));
        Assert.Contains("flatten them", Error(torch.zeros(4, 1, ScalarType.Int64)));
        Assert.Contains("are Bool", Error(torch.ones(4, ScalarType.Bool)));
        Assert.Contains("the class count 2 does not cover label 3", Error(torch.tensor(new long[] { 0, 3, 1, 1 }), classCount: 2));
        Assert.Contains("2 class names for 3 classes",
            Assert.Throws<ArgumentException>(() => UserData.FromTensor(samples, torch.tensor(new long[] { 0, 2, 1, 1 }), classNames: ["a", "b"])).Message);
    }

    private static void WriteNpy(string path, string descr, int count, byte[] data)
    {
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({count},), }}".PadRight(64 - 10 - 1) + "\n";
        File.WriteAllBytes(path, [0x93, .. "NUMPY"u8, 1, 0, (byte)header.Length, 0, .. Encoding.ASCII.GetBytes(header), .. data]);
    }

    [Fact]
    public void Npy_labels_of_any_integer_dtype_or_whole_floats_label_an_npy_dataset()
    {
        using var dir = new TempDirectory();
        var x = dir.File("x.npy");
        NpyFile.Write(x, new float[] { 0, 0, 1, 1, 2, 2 }, [3, 2]);
        var y = dir.File("y.npy");
        LabelledFiniteDataset Labelled() => Assert.IsType<LabelledFiniteDataset>(Datasets.Create(x, labelsPath: y));
        using var indices = torch.tensor(new long[] { 0, 1, 2 });

        WriteNpy(y, "<i8", 3, [.. BitConverter.GetBytes(2L), .. BitConverter.GetBytes(0L), .. BitConverter.GetBytes(1L)]);
        Assert.Equal([2L, 0L, 1L], Host(Labelled().GetLabels(indices)));
        WriteNpy(y, "|u1", 3, [1, 1, 0]);
        Assert.Equal([1L, 1L, 0L], Host(Labelled().GetLabels(indices)));
        WriteNpy(y, ">i4", 3, [0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1]);
        Assert.Equal([4L, 0L, 1L], Host(Labelled().GetLabels(indices)));
        WriteNpy(y, "<f4", 3, [.. BitConverter.GetBytes(1f), .. BitConverter.GetBytes(0f), .. BitConverter.GetBytes(3f)]);
        Assert.Equal(4, Labelled().ClassCount);

        WriteNpy(y, "<f8", 3, [.. BitConverter.GetBytes(1.0), .. BitConverter.GetBytes(0.25), .. BitConverter.GetBytes(3.0)]);
        Assert.Contains("Label 1 of", Assert.Throws<DataFileException>(() => Datasets.Create(x, labelsPath: y)).Message);
        WriteNpy(y, "|b1", 3, [1, 0, 1]);
        Assert.Contains("has dtype '|b1'; labels are integers", Assert.Throws<DataFileException>(() => Datasets.Create(x, labelsPath: y)).Message);
        WriteNpy(y, "<i2", 3, [1, 0, 255, 255, 0, 0]);
        var negative = Assert.Throws<DataFileException>(() => Datasets.Create(x, labelsPath: y));
        Assert.Equal(y, negative.FilePath);
        Assert.Contains($"The labels file '{y}' (for the data 'x.npy'): label 1 is -1", negative.Message);
        Assert.Contains("does not exist", Assert.Throws<DataFileException>(() => Datasets.Create(x, labelsPath: dir.File("none.npy"))).Message);
        Assert.Contains("comes with its own labels", Assert.Throws<ArgumentException>(() => Datasets.Create("ring", labelsPath: y)).Message);
    }

    /// <summary>A map-style TorchSharp dataset: sample i is (i, -i) under "image", its class i % 3 under "label".</summary>
    private sealed class Points(int count) : torch.utils.data.Dataset
    {
        public override long Count => count;

        public override Dictionary<string, Tensor> GetTensor(long index) =>
            new() { ["image"] = torch.tensor(new float[] { index, -index }), ["label"] = torch.tensor(index % 3) };
    }

    [Fact]
    public void FromDataset_with_a_label_key_reads_every_label_and_batches_carry_them()
    {
        var data = Assert.IsAssignableFrom<ILabelledDataset>(UserData.FromDataset(new Points(10), labelKey: "label"));
        Assert.Equal(3, data.ClassCount);
        Assert.Equal([0.4, 0.3, 0.3], data.ClassFrequencies);
        var (x, y) = ((ILabelledBatchSampler)data.CreateSampler(5, 2)).NextLabelled();
        var rows = x.data<float>().ToArray();
        var classes = Host(y);
        for (var i = 0; i < 5; i++) Assert.Equal((long)rows[2 * i] % 3, classes[i]);
        Assert.IsNotAssignableFrom<ILabelledDataset>(UserData.FromDataset(new Points(10)));
        Assert.Contains("Sample 0 of 'dataset' has no 'class' label; its keys are 'image', 'label'", Assert.Throws<ArgumentException>(() => UserData.FromDataset(new Points(10), labelKey: "class")).Message);
    }

    /// <summary>A loader's labels follow its samples through batches cut across the loader's batches and passes, and after a restore.</summary>
    [Fact]
    public void FromDataLoader_with_a_label_key_cuts_labels_with_their_samples()
    {
        using var loader = new TorchSharp.Modules.DataLoader(new Points(10), 4);   // batches of 4, 4 and 2, in order
        var data = Assert.IsAssignableFrom<ILabelledDataset>(UserData.FromDataLoader(loader, labelKey: "label"));
        Assert.Equal(3, data.ClassCount);
        Assert.Equal([0.4, 0.3, 0.3], data.ClassFrequencies);
        var sampler = (ILabelledBatchSampler)data.CreateSampler(3, 0);
        byte[]? state = null;
        (float[], long[]) Draw(ILabelledBatchSampler s)
        {
            var (x, y) = s.NextLabelled();
            return (x.data<float>().ToArray(), Host(y));
        }
        var afterState = new List<(float[], long[])>();
        for (var b = 0; b < 9; b++)   // 27 samples: across the loader's batches and into its third pass
        {
            if (b == 4) state = sampler.GetState();
            var (rows, classes) = Draw(sampler);
            if (b >= 4) afterState.Add((rows, classes));
            for (var i = 0; i < 3; i++) Assert.Equal((long)rows[2 * i] % 3, classes[i]);
        }
        var restored = (ILabelledBatchSampler)data.CreateSampler(3, 0);
        restored.SetState(state!);
        foreach (var (rows, classes) in afterState)
        {
            var (rows2, classes2) = Draw(restored);
            Assert.Equal(rows, rows2);
            Assert.Equal(classes, classes2);
        }
        Assert.Contains("has no 'class' labels; its keys are 'image', 'label'",
            Assert.Throws<ArgumentException>(() => UserData.FromDataLoader(loader, labelKey: "class")).Message);
    }
}
