using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Runtime.Tests;

/// <summary>Tests that touch process-wide state (live-tensor counts, the global generator, RSS) run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialTorchCollection
{
    public const string Name = "Torch process-wide state";
}

/// <summary>Shared helpers: thread count, reference files, float64 tensors from arrays, tolerances.</summary>
internal static class TorchTestSupport
{
    /// <summary>Every test class sets the thread count explicitly (the machine has 2 shared cores).</summary>
    public static void UseTwoThreads() => Libtorch.Configure(2);

    private static readonly Lazy<JsonElement> References = new(() => Load("torch", "references.json",
        "'/usr/bin/python3 tests/reference/torch/make_references.py > tests/reference/torch/references.json'"));

    /// <summary>tests/reference/torch/references.json, written by make_references.py (PyTorch 1.13).</summary>
    public static JsonElement Reference => References.Value;

    public static JsonElement Load(string folder, string name, string regenerate)
    {
        var path = FindFile(folder, name, regenerate);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    }

    public static string FindFile(string folder, string name, string regenerate)
    {
        var local = Path.Combine(AppContext.BaseDirectory, "reference", folder, name);
        if (File.Exists(local)) return local;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "reference", folder, name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"tests/reference/{folder}/{name} not found; regenerate it with {regenerate}.");
    }

    public static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    public static long[] Longs(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt64()).ToArray();

    /// <summary>A float64 tensor from a reference entry {"shape": [...], "values": [...]}.</summary>
    public static Tensor TensorFrom(JsonElement entry) =>
        torch.tensor(Doubles(entry.GetProperty("values")), Longs(entry.GetProperty("shape")), ScalarType.Float64);

    /// <summary>A float64 tensor with these values and shape.</summary>
    public static Tensor F64(double[] values, params long[] shape) => torch.tensor(values, shape, ScalarType.Float64);

    /// <summary>The elements of a float64 tensor (any device, contiguous copy).</summary>
    public static double[] ToDoubles(Tensor t)
    {
        using var host = t.detach().cpu().to(ScalarType.Float64).contiguous();
        return host.data<double>().ToArray();
    }

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
