using System.Text;
using GanDsl.Data;
using GanDsl.Formats;

namespace GanDsl.Runtime.Tests.Formats;

public class NpyTests
{
    // numpy 1.24: np.save(buf, np.arange(6, dtype='<f4').reshape(2, 3) * 0.5 - 1)
    private const string NumpyWrittenHex =
        "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000080bf000000bf000000000000003f0000803f0000c03f";

    [Fact]
    public void ReadsAFileWrittenByNumpy()
    {
        NpyArray array = NpyFile.Decode(Convert.FromHexString(NumpyWrittenHex));
        Assert.Equal(new long[] { 2, 3 }, array.Shape);
        Assert.Equal(new[] { -1f, -0.5f, 0f, 0.5f, 1f, 1.5f }, array.Data);
    }

    [Fact]
    public void WritesTheSameBytesAsNumpy()
    {
        byte[] ours = NpyFile.Encode(new[] { -1f, -0.5f, 0f, 0.5f, 1f, 1.5f }, [2, 3]);
        Assert.Equal(NumpyWrittenHex, Convert.ToHexString(ours).ToLowerInvariant());
    }

    [Theory]
    [InlineData(new long[0])]
    [InlineData(new long[] { 7 })]
    [InlineData(new long[] { 3, 5 })]
    [InlineData(new long[] { 2, 1, 4, 3 })]
    [InlineData(new long[] { 0, 2 })]
    [InlineData(new long[] { 2, 2, 2, 2, 2 })]
    public void RoundTripsAnyShapeThroughAFile(long[] shape)
    {
        using var dir = new TempDirectory();
        string path = dir.File("a.npy");
        int count = (int)shape.Aggregate(1L, (a, b) => a * b);
        float[] data = Enumerable.Range(0, count).Select(i => i * 0.37f - 2f).ToArray();
        if (count > 1) { data[0] = float.NaN; data[1] = float.NegativeInfinity; }
        NpyFile.Write(path, data, shape);

        byte[] bytes = File.ReadAllBytes(path);
        int headerEnd = 10 + BitConverter.ToUInt16(bytes, 8);
        Assert.Equal(0, headerEnd % 64);           // data aligned as the format asks
        Assert.Equal((byte)'\n', bytes[headerEnd - 1]);

        NpyArray back = NpyFile.Read(path);
        Assert.Equal(shape, back.Shape);
        Assert.Equal(data, back.Data);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Write_RejectsAShapeThatDisagreesWithTheData()
    {
        using var dir = new TempDirectory();
        var error = Assert.Throws<ArgumentException>(() => NpyFile.Write(dir.File("x.npy"), new float[5], [2, 3]));
        Assert.Contains("holds 6 values but 5", error.Message);
        Assert.False(File.Exists(dir.File("x.npy")));
    }

    private static byte[] WithHeader(string dict, int dataBytes, byte major = 1)
    {
        int prefix = major == 1 ? 10 : 12;
        string header = dict.PadRight((prefix + dict.Length + 1 + 63) / 64 * 64 - prefix - 1) + "\n";
        var bytes = new byte[prefix + header.Length + dataBytes];
        new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', major, 0 }.CopyTo(bytes, 0);
        if (major == 1) BitConverter.GetBytes((ushort)header.Length).CopyTo(bytes, 8);
        else BitConverter.GetBytes((uint)header.Length).CopyTo(bytes, 8);
        Encoding.ASCII.GetBytes(header).CopyTo(bytes, prefix);
        return bytes;
    }

    [Fact]
    public void AcceptsVersion2AndOtherKeyOrders()
    {
        NpyArray a = NpyFile.Decode(WithHeader("{'shape': (2,), 'fortran_order': False, 'descr': '<f4'}", 8, major: 2));
        Assert.Equal(new long[] { 2 }, a.Shape);
    }

    [Theory]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 16, "float64")]
    [InlineData("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8, "big-endian")]
    [InlineData("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", 8, "'<i4'")]
    [InlineData("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16, "Fortran")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 20, "truncated")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 12, "bytes after")]
    [InlineData("{'descr': '<f4', 'fortran_order': False }", 8, "no 'shape'")]
    [InlineData("{'fortran_order': False, 'shape': (2,) }", 8, "no 'descr'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", 8, "not a non-negative integer")]
    [InlineData("['descr', '<f4']", 8, "not a Python dict")]
    public void RejectsUnsupportedOrMalformedFilesWithAClearMessage(string dict, int dataBytes, string expected)
    {
        var error = Assert.Throws<DataFileException>(() => NpyFile.Decode(WithHeader(dict, dataBytes), "user.npy"));
        Assert.Contains(expected, error.Message);
        Assert.Contains("user.npy", error.Message);
    }

    [Fact]
    public void RejectsNonNpyBytesBadVersionsAndTruncatedHeaders()
    {
        Assert.Contains("not a .npy file", Assert.Throws<DataFileException>(() => NpyFile.Decode("PK\x03\x04 not numpy"u8)).Message);
        byte[] v4 = WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 4);
        v4[6] = 4;
        Assert.Contains("version 4.0", Assert.Throws<DataFileException>(() => NpyFile.Decode(v4)).Message);
        byte[] cut = WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 4)[..40];
        Assert.Contains("truncated", Assert.Throws<DataFileException>(() => NpyFile.Decode(cut)).Message);
    }

    [Fact]
    public void Fortran_HintSaysHowToConvert()
    {
        var error = Assert.Throws<DataFileException>(() => NpyFile.Decode(WithHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16)));
        Assert.Contains("ascontiguousarray", error.Message);
    }

    [Fact]
    public void NpyDataset_AcceptsVectorsAndImagesAndRejectsOtherRanks()
    {
        using var dir = new TempDirectory();
        string vectors = dir.File("v.npy"), images = dir.File("i.npy"), flat = dir.File("f.npy"), empty = dir.File("e.npy");
        NpyFile.Write(vectors, Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), [4, 3]);
        NpyFile.Write(images, new float[2 * 3 * 4 * 5], [2, 3, 4, 5]);
        NpyFile.Write(flat, new float[6], [6]);
        NpyFile.Write(empty, [], [0, 3]);

        IDataset v = Datasets.Create(vectors);
        Assert.Equal(4L, v.Count);
        Assert.Equal(new long[] { 3 }, v.SampleShape);
        Assert.Equal("v.npy", v.Name);
        var sample = new float[3];
        ((NpyDataset)v).CopySample(2, sample);
        Assert.Equal(new[] { 6f, 7f, 8f }, sample);

        IDataset i = Datasets.Create(images);
        Assert.Equal(new long[] { 3, 4, 5 }, i.SampleShape);
        Assert.Equal(new long[] { 2, 3, 4, 5 }, i.CreateSampler(2, 0).Next().Shape);

        var error = Assert.Throws<DataFileException>(() => Datasets.Create(flat));
        Assert.Contains("N × D", error.Message);
        Assert.Contains(flat, error.Message);
        Assert.Contains("no samples", Assert.Throws<DataFileException>(() => Datasets.Create(empty)).Message);
        Assert.Contains("does not exist", Assert.Throws<DataFileException>(() => Datasets.Create(dir.File("missing.npy"))).Message);
    }

    [Fact]
    public void Factory_RejectsUnknownNamesListingTheValidOnes()
    {
        var error = Assert.Throws<ArgumentException>(() => Datasets.Create("cifar"));
        Assert.Contains("ring, grid, swissroll, fashion-mnist", error.Message);
        Assert.IsType<GaussianMixture2D>(Datasets.Create("RING"));
    }
}

public class AtomicFileTests
{
    [Fact]
    public void AFailedWriteLeavesTheOldFileAndNoTemporaryFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("keep.bin");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write([9, 9, 9, 9]);
            throw new InvalidOperationException("simulated crash mid-write");
        }));
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void ASuccessfulWriteReplacesTheFileAndCreatesDirectories()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "sub", "out.bin");
        AtomicFile.WriteAllBytes(path, [4, 5]);
        AtomicFile.WriteAllBytes(path, [6]);
        Assert.Equal(new byte[] { 6 }, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }
}
