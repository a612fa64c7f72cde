using System.Buffers.Binary;
using GanDsl.Cli;

// Training tests seed libtorch's global generator and set its thread count: they must not interleave.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace GanDsl.Tests.Cli;

/// <summary>Runs the CLI in-process with captured writers, and helpers for the files a run writes.</summary>
public static class CliRunner
{
    /// <summary>The path of this test assembly, which registers the hand-written test losses.</summary>
    public static string TestAssembly => typeof(TestNonSaturating).Assembly.Location;

    public sealed record Outcome(int ExitCode, string Stdout, string Stderr);

    public static Outcome Run(params string[] args) => Run(args, default);

    public static Outcome Run(string[] args, CancellationToken interrupt)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = GanCli.Run(args, stdout, stderr, interrupt);
        return new Outcome(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary><c>gan train</c> with the test assembly loaded, one thread (robust when other processes load the machine) and the given options.</summary>
    public static Outcome Train(string outDir, params string[] options) =>
        Run(["train", "--assembly", TestAssembly, "--threads", "1", "--out", outDir, .. options]);

    /// <summary>Checks a PNG's signature and IHDR chunk, decodes it (SkiaSharp) and returns its width and height.</summary>
    public static (int Width, int Height) PngSize(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 33, $"{path} is too short for a PNG");
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.Equal(13, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8)));
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal("IEND", System.Text.Encoding.ASCII.GetString(bytes, bytes.Length - 8, 4));
        var size = (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
        using var decoded = SkiaSharp.SKBitmap.Decode(bytes);
        Assert.True(decoded is not null, $"{path} does not decode");
        Assert.Equal(size, (decoded.Width, decoded.Height));
        return size;
    }
}
