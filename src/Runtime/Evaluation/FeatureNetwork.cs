using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using GanDsl.Data;
using GanDsl.Formats;
using GanDsl.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Evaluation;

/// <summary>A feature network file that is missing, corrupt, or not the pinned one.</summary>
public sealed class FeatureNetworkException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>
/// The Fashion-MNIST classifier whose penultimate activations are the features of FID, KID and precision/recall
/// (the role Inception-v3 plays for ImageNet-like data):
/// Conv2d(1,32,3,pad 1)-ReLU-MaxPool(2)-Conv2d(32,64,3,pad 1)-ReLU-MaxPool(2)-flatten-Linear(3136,128)-ReLU
/// (<see cref="FeatureDimension"/> features) -Linear(128,10) (class logits). 421,642 parameters, 1.7 MB as float32.
/// </summary>
/// <remarks>
/// GanDsl trains it itself (<see cref="Train"/>; <c>gan eval --train-feature-network FILE</c>): seed
/// <see cref="TrainingSeed"/>, one libtorch thread, the 60,000 training images in an order drawn from
/// <see cref="Xoshiro256"/>, Adam (lr 1e-3), batch 64, 2 epochs. The weights it produced are shipped inside
/// GanDsl.Runtime (embedded resource <see cref="ResourceName"/>), and every load checks the file's SHA-256
/// against <see cref="PinnedSha256"/> before using it, so every FID GanDsl prints is over the same features.
/// </remarks>
public sealed class FeatureNetwork : nn.Module<Tensor, Tensor>
{
    /// <summary>Width of the feature vector (the penultimate layer).</summary>
    public const int FeatureDimension = 128;

    /// <summary>Number of classes.</summary>
    public const int ClassCount = 10;

    /// <summary>The seed of the shipped weights.</summary>
    public const ulong TrainingSeed = 20240610;

    /// <summary>Epochs of the shipped weights.</summary>
    public const int TrainingEpochs = 2;

    /// <summary>Batch size of the shipped weights.</summary>
    public const int TrainingBatch = 64;

    /// <summary>Adam learning rate of the shipped weights.</summary>
    public const double TrainingLearningRate = 1e-3;

    /// <summary>SHA-256 (hex) of the shipped weights file; any other file is refused.</summary>
    public const string PinnedSha256 = "5d9622738325814073694d23997f260ce523970c0218eea718961d30c1d2f863";

    /// <summary>The embedded resource holding the shipped weights.</summary>
    public const string ResourceName = "GanDsl.Evaluation.fashion-mnist-features.bin";

    private readonly nn.Module<Tensor, Tensor> trunk;
    private readonly nn.Module<Tensor, Tensor> head;

    /// <summary>A network with fresh (libtorch-seeded) weights.</summary>
    public FeatureNetwork() : base("FeatureNetwork")
    {
        trunk = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, FeatureDimension), nn.ReLU());
        head = nn.Linear(FeatureDimension, ClassCount);
        RegisterComponents();
    }

    /// <summary>Class logits of images N × 1 × 28 × 28 in [−1, 1].</summary>
    public override Tensor forward(Tensor input) => head.forward(trunk.forward(input));

    /// <summary>The penultimate activations (N × <see cref="FeatureDimension"/>) of images N × 1 × 28 × 28 in [−1, 1].</summary>
    public Tensor Features(Tensor input) => trunk.forward(input);

    /// <summary>Class logits from features.</summary>
    public Tensor Classify(Tensor features) => head.forward(features);

    // ------------------------------------------------------------------ loading

    /// <summary>SHA-256 of <paramref name="bytes"/> as lower-case hex.</summary>
    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>
    /// The shipped network, or the one in <paramref name="path"/> when given; the file's SHA-256 must be
    /// <see cref="PinnedSha256"/> (checked before anything is parsed).
    /// </summary>
    /// <exception cref="FeatureNetworkException">Missing, corrupt, or another network's weights; the message is one line.</exception>
    public static FeatureNetwork Load(string? path = null)
    {
        byte[] bytes;
        string source;
        if (path is null)
        {
            using var stream = typeof(FeatureNetwork).Assembly.GetManifestResourceStream(ResourceName)
                ?? throw new FeatureNetworkException(
                    $"This build of GanDsl.Runtime has no feature network embedded ({ResourceName}). " +
                    "Train one (FeatureNetwork.Train) and load it from its file (FeatureNetwork.Load(path)).");
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            bytes = memory.ToArray();
            source = "the embedded feature network";
        }
        else
        {
            try { bytes = File.ReadAllBytes(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new FeatureNetworkException($"Cannot read the feature network '{path}': {e.Message}", e);
            }
            source = $"'{Path.GetFullPath(path)}'";
        }
        var hash = Sha256(bytes);
        if (!string.Equals(hash, PinnedSha256, StringComparison.OrdinalIgnoreCase))
            throw new FeatureNetworkException(
                $"The feature network {source} has SHA-256 {hash}, not the pinned {PinnedSha256}: " +
                "it is corrupt or another network's weights, and FIDs over it would not be comparable. " +
                "Use the shipped one (FeatureNetwork.Load() without a path) or train one (FeatureNetwork.Train).");
        return FromBytes(bytes, source);
    }

    /// <summary>Builds the network from a weights file's bytes without the pinned-hash check (for a freshly trained file).</summary>
    /// <exception cref="FeatureNetworkException">The bytes are not a valid parameter file of this network.</exception>
    public static FeatureNetwork FromBytes(byte[] bytes, string source)
    {
        var network = new FeatureNetwork();
        try
        {
            var records = TensorFile.Parse(bytes, source);
            ParameterFile.Apply(network, records, "", source);
        }
        catch (TensorFileException e)
        {
            network.Dispose();
            throw new FeatureNetworkException($"The feature network {source} cannot be loaded: {e.Message}", e);
        }
        network.eval();
        return network;
    }

    // ------------------------------------------------------------------ inference

    /// <summary>Images per forward pass.</summary>
    public const int Chunk = 500;

    /// <summary>
    /// Features (float64, row-major N × <see cref="FeatureDimension"/>) and predicted classes of
    /// <paramref name="count"/> images N × 1 × 28 × 28 in [−1, 1], in evaluation mode without autograd.
    /// </summary>
    public (double[] Features, int[] Classes) Extract(ReadOnlySpan<float> images, int count, Device? device = null)
    {
        const int per = 28 * 28;
        if (images.Length < (long)count * per) throw new ArgumentException($"{count} images need {count * per} values, got {images.Length}.", nameof(images));
        eval();
        var features = new double[(long)count * FeatureDimension];
        var classes = new int[count];
        using var noGrad = torch.no_grad();
        for (var start = 0; start < count; start += Chunk)
        {
            using var scope = torch.NewDisposeScope();
            var n = Math.Min(Chunk, count - start);
            var batch = torch.tensor(images.Slice(start * per, n * per).ToArray(), [n, 1, 28, 28], device: device);
            var f = Features(batch);
            var predicted = Classify(f).argmax(1).to(ScalarType.Int64).cpu();
            f.to(ScalarType.Float64).cpu().data<double>().CopyTo(features.AsSpan(start * FeatureDimension, n * FeatureDimension));
            var p = predicted.data<long>();
            for (var i = 0; i < n; i++) classes[start + i] = (int)p[i];
        }
        return (features, classes);
    }

    /// <summary>Fraction of <paramref name="set"/> classified correctly.</summary>
    public double Accuracy(LabelledImages set)
    {
        var all = Enumerable.Range(0, set.Count).ToArray();
        var (_, classes) = Extract(FashionMnistSplits.ToFloats(set.Images, all), set.Count);
        var right = 0;
        for (var i = 0; i < classes.Length; i++) if (classes[i] == set.Labels[i]) right++;
        return (double)right / set.Count;
    }

    // ------------------------------------------------------------------ training

    /// <summary>What <see cref="Train"/> produced.</summary>
    /// <param name="Path">The weights file.</param>
    /// <param name="Sha256">Its SHA-256 (hex).</param>
    /// <param name="TestAccuracy">Accuracy on the 10,000 test images.</param>
    /// <param name="Seconds">Wall clock of the training (test evaluation excluded).</param>
    /// <param name="MatchesPinned">Whether the file is bit for bit the shipped one.</param>
    public sealed record TrainingReport(string Path, string Sha256, double TestAccuracy, double Seconds, bool MatchesPinned);

    /// <summary>
    /// Trains the network from scratch exactly as the shipped weights were trained (seed, one thread, data order,
    /// optimizer, epochs) and writes it to <paramref name="path"/>. Bit-identical to the shipped file with the
    /// same libtorch build on a CPU with the same vector instructions.
    /// </summary>
    /// <param name="path">The weights file to write (atomically).</param>
    /// <param name="progress">A progress line per 10% of each epoch, or null.</param>
    /// <param name="folder">Folder of the Fashion-MNIST files (Debian's by default).</param>
    /// <param name="epochs">Epochs (the shipped weights: <see cref="TrainingEpochs"/>).</param>
    /// <param name="limit">Use only the first this-many images of each epoch's order (tests); null for all.</param>
    public static TrainingReport Train(string path, TextWriter? progress = null, string? folder = null, int epochs = TrainingEpochs, int? limit = null)
    {
        var train = FashionMnistSplits.Train(folder);
        var test = FashionMnistSplits.Test(folder);
        var threads = torch.get_num_threads();
        torch.set_num_threads(1);
        try
        {
            torch.manual_seed((long)(TrainingSeed & long.MaxValue));
            using var network = new FeatureNetwork();
            using var optimizer = optim.Adam(network.parameters(), TrainingLearningRate);
            var clock = Stopwatch.StartNew();
            var n = train.Count;
            var used = Math.Min(limit ?? n, n);
            var batches = (used + TrainingBatch - 1) / TrainingBatch;
            var order = Enumerable.Range(0, n).ToArray();
            for (var epoch = 0; epoch < epochs; epoch++)
            {
                var random = new Xoshiro256(Xoshiro256.DeriveSeed(TrainingSeed, (ulong)epoch));
                for (var i = n - 1; i > 0; i--)
                {
                    var j = random.NextInt(i + 1);
                    (order[i], order[j]) = (order[j], order[i]);
                }
                network.train();
                var lossSum = 0.0;
                var lastReport = 0;
                for (var b = 0; b < batches; b++)
                {
                    using var scope = torch.NewDisposeScope();
                    var indices = order.AsSpan(b * TrainingBatch, Math.Min(TrainingBatch, used - b * TrainingBatch)).ToArray();
                    var x = torch.tensor(FashionMnistSplits.ToFloats(train.Images, indices), [indices.Length, 1, 28, 28]);
                    var y = torch.tensor(indices.Select(k => (long)train.Labels[k]).ToArray(), [indices.Length]);
                    optimizer.zero_grad();
                    var loss = nn.functional.cross_entropy(network.forward(x), y);
                    loss.backward();
                    optimizer.step();
                    if (progress is not null)
                    {
                        lossSum += loss.item<float>();
                        var percent = (b + 1) * 100 / batches;
                        if (percent / 10 > lastReport / 10 || b + 1 == batches)
                        {
                            lastReport = percent;
                            var elapsed = clock.Elapsed.TotalSeconds;
                            var doneBatches = epoch * batches + b + 1;
                            var left = elapsed / doneBatches * (epochs * batches - doneBatches);
                            progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                                $"  epoch {epoch + 1}/{epochs} {percent,3}%  loss {lossSum / (b + 1):F4}  {elapsed:F0} s, about {left:F0} s left"));
                            progress.Flush();
                        }
                    }
                }
            }
            var seconds = clock.Elapsed.TotalSeconds;
            network.eval();
            var accuracy = network.Accuracy(test);
            ParameterFile.Save(network, path);
            var hash = Sha256(File.ReadAllBytes(path));
            return new TrainingReport(Path.GetFullPath(path), hash, accuracy, seconds,
                string.Equals(hash, PinnedSha256, StringComparison.OrdinalIgnoreCase));
        }
        finally
        {
            torch.set_num_threads(threads);
        }
    }
}
