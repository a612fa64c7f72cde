using System.Buffers.Binary;
using System.IO.Compression;
using GanDsl.Data;
using GanDsl.Formats;

namespace GanDsl.Runtime.Tests.Data;

/// <summary>A fact that is reported as skipped (not passed) where Debian's dataset-fashion-mnist is not installed.</summary>
public sealed class FashionMnistFactAttribute : FactAttribute
{
    public FashionMnistFactAttribute()
    {
        if (!File.Exists(FashionMnist.DefaultTrainImagesPath))
            Skip = $"{FashionMnist.DefaultTrainImagesPath} is missing: apt-get install dataset-fashion-mnist";
    }
}

public class FashionMnistTests
{
    [FashionMnistFact]
    public void DebianTrainingSet_Has60000ImagesScaledToMinusOneOne()
    {
        ByteImageDataset dataset = FashionMnist.Load();
        Assert.Equal(60000, dataset.Count);
        Assert.Equal(new long[] { 1, 28, 28 }, dataset.SampleShape);

        // Mean and std over the whole training set; published values in [0, 1] are 0.2860 and 0.3530
        // (Xiao et al. 2017's data, as commonly used for normalisation), i.e. −0.428 and 0.706 in [−1, 1].
        var pixel = new float[784];
        double sum = 0, sumSq = 0;
        float min = float.MaxValue, max = float.MinValue;
        for (int i = 0; i < 60000; i++)
        {
            dataset.CopySample(i, pixel);
            foreach (float v in pixel) { sum += v; sumSq += v * v; min = Math.Min(min, v); max = Math.Max(max, v); }
        }
        double n = 60000.0 * 784, mean = sum / n, std = Math.Sqrt(sumSq / n - mean * mean);
        Assert.Equal(-1f, min);
        Assert.Equal(1f, max);
        Assert.InRange(mean, 2 * 0.2860 - 1 - 0.002, 2 * 0.2860 - 1 + 0.002);
        Assert.InRange(std, 2 * 0.3530 - 0.002, 2 * 0.3530 + 0.002);

        Batch batch = dataset.CreateSampler(64, 1).Next();
        Assert.Equal(new long[] { 64, 1, 28, 28 }, batch.Shape);
        Assert.Equal(64 * 784, batch.Data.Length);
    }

    [FashionMnistFact]
    public void Factory_LoadsFashionMnistByName() =>
        Assert.Equal(new long[] { 1, 28, 28 }, Datasets.Create("fashion-mnist").SampleShape);

    /// <summary>Writes an IDX3 file of <paramref name="count"/> images; pixel (i, r, c) = (i * 31 + r * 7 + c) % 256.</summary>
    internal static byte[] IdxBytes(int count, int rows, int columns, int magic = 0x00000803, int? keepPixels = null)
    {
        int pixels = count * rows * columns;
        var bytes = new byte[16 + (keepPixels ?? pixels)];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), columns);
        for (int p = 0; p < (keepPixels ?? pixels); p++)
        {
            int i = p / (rows * columns), r = p / columns % rows, c = p % columns;
            bytes[16 + p] = (byte)((i * 31 + r * 7 + c) % 256);
        }
        return bytes;
    }

    internal static byte[] Gzip(byte[] raw)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest)) gz.Write(raw);
        return output.ToArray();
    }

    [Fact]
    public void SyntheticGzipFile_IsReadWithExactPixelValues()
    {
        using var dir = new TempDirectory();
        string path = dir.File("tiny-images-idx3-ubyte.gz");
        File.WriteAllBytes(path, Gzip(IdxBytes(5, 3, 4)));

        ByteImageDataset dataset = FashionMnist.Load(path);
        Assert.Equal(5, dataset.Count);
        Assert.Equal(new long[] { 1, 3, 4 }, dataset.SampleShape);
        var sample = new float[12];
        dataset.CopySample(4, sample);
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++)
            {
                int raw = (4 * 31 + r * 7 + c) % 256;
                Assert.Equal(raw / 127.5f - 1f, sample[r * 4 + c]);
            }
    }

    [Fact]
    public void UncompressedIdxFile_IsAlsoAccepted()
    {
        using var dir = new TempDirectory();
        string path = dir.File("raw-idx3-ubyte");
        byte[] raw = IdxBytes(2, 2, 2);
        raw[16] = 0; raw[17] = 255;
        File.WriteAllBytes(path, raw);
        IdxImages images = IdxFile.ReadImages(path);
        Assert.Equal((2, 2, 2), (images.Count, images.Rows, images.Columns));
        var sample = new float[4];
        new ByteImageDataset("raw", images).CopySample(0, sample);
        Assert.Equal(-1f, sample[0]);
        Assert.Equal(1f, sample[1]);
    }

    [Fact]
    public void MissingFile_SaysHowToInstallIt()
    {
        string path = "/nonexistent/fashion/train-images-idx3-ubyte.gz";
        var error = Assert.Throws<DataFileException>(() => FashionMnist.Load(path));
        Assert.Contains("install it with: apt-get install dataset-fashion-mnist", error.Message);
        Assert.Contains(path, error.Message);
        Assert.Equal(path, error.FilePath);
        Assert.Contains("apt-get install dataset-fashion-mnist", Assert.Throws<DataFileException>(() => Datasets.Create("fashion-mnist", path)).Message);
    }

    [Fact]
    public void TruncatedPixelData_NamesTheFileAndTheShortfall()
    {
        using var dir = new TempDirectory();
        string path = dir.File("short.gz");
        File.WriteAllBytes(path, Gzip(IdxBytes(10, 28, 28, keepPixels: 5 * 784)));
        var error = Assert.Throws<DataFileException>(() => FashionMnist.Load(path));
        Assert.Contains("truncated", error.Message);
        Assert.Contains(path, error.Message);
        Assert.Contains("7840", error.Message);
        Assert.Contains("3920", error.Message);
    }

    [Fact]
    public void TruncatedGzipStream_IsReportedNotCrashed()
    {
        using var dir = new TempDirectory();
        string path = dir.File("cut.gz");
        byte[] gz = Gzip(IdxBytes(50, 28, 28));
        File.WriteAllBytes(path, gz[..(gz.Length / 2)]);
        var error = Assert.Throws<DataFileException>(() => FashionMnist.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Matches("truncated|corrupt", error.Message);
    }

    [Fact]
    public void TruncatedHeader_IsReported()
    {
        using var dir = new TempDirectory();
        string path = dir.File("header.gz");
        File.WriteAllBytes(path, Gzip(IdxBytes(1, 1, 1)[..10]));
        var error = Assert.Throws<DataFileException>(() => FashionMnist.Load(path));
        Assert.Contains("header needs 16 bytes, found 10", error.Message);
    }

    [Fact]
    public void BadMagic_IsReportedAndALabelFileGetsAHint()
    {
        using var dir = new TempDirectory();
        string bad = dir.File("bad.gz");
        File.WriteAllBytes(bad, Gzip(IdxBytes(2, 2, 2, magic: 0x12345678)));
        var error = Assert.Throws<DataFileException>(() => FashionMnist.Load(bad));
        Assert.Contains("magic number 0x12345678", error.Message);
        Assert.Contains(bad, error.Message);

        string labels = dir.File("labels.gz");
        File.WriteAllBytes(labels, Gzip(IdxBytes(2, 2, 2, magic: 0x00000801)));
        Assert.Contains("label file", Assert.Throws<DataFileException>(() => FashionMnist.Load(labels)).Message);
    }

    [Fact]
    public void CorruptGzip_IsReportedAsCorrupt()
    {
        using var dir = new TempDirectory();
        string path = dir.File("corrupt.gz");
        byte[] gz = Gzip(IdxBytes(20, 28, 28));
        // Keep the gzip header (10 bytes), scramble the deflate stream.
        var random = new Xoshiro256(3);
        for (int i = 10; i < gz.Length; i++) gz[i] = (byte)random.NextUInt64();
        File.WriteAllBytes(path, gz);
        var error = Assert.Throws<DataFileException>(() => FashionMnist.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Matches("corrupt|truncated|magic|invalid shape", error.Message);
    }

    [Fact]
    public void ImpossibleShape_IsReported()
    {
        using var dir = new TempDirectory();
        string path = dir.File("shape.gz");
        byte[] raw = IdxBytes(1, 1, 1);
        BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(4), -3);
        File.WriteAllBytes(path, Gzip(raw));
        Assert.Contains("invalid shape", Assert.Throws<DataFileException>(() => FashionMnist.Load(path)).Message);
    }
}
