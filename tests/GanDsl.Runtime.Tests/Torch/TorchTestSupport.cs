using System.Text.Json;
using GanDsl.Torch;

namespace GanDsl.Runtime.Tests.Torch;

/// <summary>Tests that touch process-wide state (live-tensor count, global seed, RSS) run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialTorchCollection
{
    public const string Name = "Torch process-wide state";
}

internal static class TorchTestSupport
{
    /// <summary>Every Torch test class sets the thread count explicitly (Debian's libtorch defaults to 1).</summary>
    public static void UseTwoThreads() => GanDsl.Torch.Torch.SetNumThreads(2);

    private static readonly Lazy<JsonElement> References = new(() =>
    {
        var path = FindReferenceFile();
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    });

    /// <summary>tests/reference/torch/references.json, written by make_references.py (PyTorch 1.13.1).</summary>
    public static JsonElement Reference => References.Value;

    private static string FindReferenceFile()
    {
        const string name = "references.json";
        var local = Path.Combine(AppContext.BaseDirectory, "reference", "torch", name);
        if (File.Exists(local)) return local;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "reference", "torch", name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException(
            "tests/reference/torch/references.json not found; regenerate it with " +
            "'/usr/bin/python3 tests/reference/torch/make_references.py > tests/reference/torch/references.json'.");
    }

    public static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    public static long[] Longs(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt64()).ToArray();

    /// <summary>A float64 tensor from a reference entry {"shape": [...], "values": [...]}.</summary>
    public static Tensor TensorFrom(JsonElement entry) =>
        GanDsl.Torch.Torch.FromArray(Doubles(entry.GetProperty("values")), Longs(entry.GetProperty("shape")));

    public static void AssertClose(double expected, double actual, double relTol, string what)
    {
        var scale = Math.Max(Math.Abs(expected), 1e-300);
        var rel = Math.Abs(expected - actual) / scale;
        Assert.True(rel <= relTol || Math.Abs(expected - actual) <= relTol * 1e-3,
            $"{what}: expected {expected:R}, got {actual:R} (relative error {rel:E2} > {relTol:E0})");
    }

    public static void AssertAllClose(double[] expected, double[] actual, double relTol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++) AssertClose(expected[i], actual[i], relTol, $"{what}[{i}]");
    }
}
