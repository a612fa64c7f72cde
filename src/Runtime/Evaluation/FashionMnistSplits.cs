using System.Buffers.Binary;
using System.IO.Compression;
using GanDsl.Data;
using GanDsl.Formats;

namespace GanDsl.Evaluation;

/// <summary>Images of one Fashion-MNIST split with their labels (0..9).</summary>
/// <param name="Images">The images, bytes 0..255.</param>
/// <param name="Labels">One class per image.</param>
public sealed record LabelledImages(IdxImages Images, byte[] Labels)
{
    /// <summary>Number of images.</summary>
    public int Count => Images.Count;
}

/// <summary>
/// The training and test splits of Fashion-MNIST with labels, from the IDX files of Debian's
/// <c>dataset-fashion-mnist</c> (or any folder holding the four files under their usual names).
/// </summary>
public static class FashionMnistSplits
{
    /// <summary>Where Debian installs the four files.</summary>
    public const string DefaultFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>The ten class names, in label order.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"];

    /// <summary>The folder to read from: <paramref name="folder"/>, or the folder of a given training-images file, or Debian's.</summary>
    public static string Folder(string? folder = null) => folder ?? DefaultFolder;

    /// <summary>The 60,000 training images and labels.</summary>
    /// <exception cref="DataFileException">A file is missing (the message says how to install it), truncated or corrupt.</exception>
    public static LabelledImages Train(string? folder = null) => Load(Folder(folder), "train");

    /// <summary>The 10,000 test images and labels.</summary>
    /// <exception cref="DataFileException">A file is missing (the message says how to install it), truncated or corrupt.</exception>
    public static LabelledImages Test(string? folder = null) => Load(Folder(folder), "t10k");

    private static readonly Dictionary<string, LabelledImages> s_cache = new();

    private static LabelledImages Load(string folder, string prefix)
    {
        var images = Path.Combine(folder, $"{prefix}-images-idx3-ubyte.gz");
        var labels = Path.Combine(folder, $"{prefix}-labels-idx1-ubyte.gz");
        lock (s_cache)
        {
            if (s_cache.TryGetValue(images, out var cached)) return cached;
            foreach (var f in new[] { images, labels })
                if (!File.Exists(f))
                    throw new DataFileException(f, $"Fashion-MNIST file not found: '{f}'. On Debian/Ubuntu install it with: apt-get install " +
                        "dataset-fashion-mnist.");
            var read = new LabelledImages(IdxFile.ReadImages(images), ReadLabels(labels));
            if (read.Labels.Length != read.Images.Count)
                throw new DataFileException(labels, $"'{labels}' has {read.Labels.Length} labels for {read.Images.Count} images.");
            if (read.Labels.Any(l => l > 9))
                throw new DataFileException(labels, $"'{labels}' has labels outside 0..9.");
            return s_cache[images] = read;
        }
    }

    /// <summary>Reads an IDX1 unsigned-byte label file (magic 0x00000801), gzip-compressed or raw.</summary>
    /// <exception cref="DataFileException">Truncated, or not a label file.</exception>
    public static byte[] ReadLabels(string path)
    {
        using var file = File.OpenRead(path);
        var gzip = file.Length >= 2 && file.ReadByte() == 0x1F && file.ReadByte() == 0x8B;
        file.Position = 0;
        using Stream stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var memory = new MemoryStream();
        try { stream.CopyTo(memory); }
        catch (InvalidDataException e) { throw new DataFileException(path, $"'{path}' is not a valid gzip file: {e.Message}"); }
        var bytes = memory.ToArray();
        if (bytes.Length < 8 || BinaryPrimitives.ReadInt32BigEndian(bytes) != 0x00000801)
            throw new DataFileException(path, $"'{path}' is not an IDX1 label file (magic 0x00000801).");
        var count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        if (count < 0 || bytes.Length - 8 < count)
            throw new DataFileException(path, $"'{path}' is truncated: the header promises {count} labels, {bytes.Length - 8} follow.");
        return bytes.AsSpan(8, count).ToArray();
    }

    /// <summary>Images <paramref name="indices"/> of <paramref name="set"/> as floats in [−1, 1] (v / 127.5 − 1), N × 1 × 28 × 28 row-major.</summary>
    public static float[] ToFloats(IdxImages set, IReadOnlyList<int> indices)
    {
        var per = set.Rows * set.Columns;
        var result = new float[indices.Count * per];
        for (var i = 0; i < indices.Count; i++)
        {
            var source = set.Pixels.AsSpan(indices[i] * per, per);
            var target = result.AsSpan(i * per, per);
            for (var j = 0; j < per; j++) target[j] = source[j] / 127.5f - 1f;
        }
        return result;
    }
}
