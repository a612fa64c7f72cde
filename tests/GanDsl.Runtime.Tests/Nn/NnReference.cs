using System.Security.Cryptography;
using System.Runtime.InteropServices;
using System.Text.Json;
using GanDsl.Nn;
using GanDsl.Torch;
using T = GanDsl.Torch.Torch;

namespace GanDsl.Runtime.Tests.Nn;

/// <summary>Tests that draw from libtorch's global generator run alone, so nothing draws between a seed and the model it seeds.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalGeneratorCollection
{
    public const string Name = "Nn global generator";
}

/// <summary>Reads tests/reference/nn/nn_reference.json (written by make_nn_references.py with PyTorch 1.13.1).</summary>
internal static class NnReference
{
    private static readonly Lazy<JsonElement> Root = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(FindFile()));
        return doc.RootElement.Clone();
    });

    public static JsonElement Section(string name) => Root.Value.GetProperty(name);

    public static IEnumerable<object[]> CaseNames(string section) =>
        Section(section).EnumerateObject().Select(p => new object[] { p.Name });

    private static string FindFile()
    {
        const string name = "nn_reference.json";
        var local = Path.Combine(AppContext.BaseDirectory, "reference", "nn", name);
        if (File.Exists(local)) return local;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "reference", "nn", name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException(
            "tests/reference/nn/nn_reference.json not found; regenerate it with '/usr/bin/python3 tests/reference/nn/make_nn_references.py'.");
    }

    public static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    public static long[] Shape(JsonElement entry) => entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();

    public static DType DTypeOf(JsonElement entry) => entry.GetProperty("dtype").GetString() switch
    {
        "float32" => DType.Float32,
        "float64" => DType.Float64,
        "int64" => DType.Int64,
        var other => throw new InvalidDataException($"unexpected dtype {other}"),
    };

    /// <summary>A tensor of the entry's dtype and shape with its values.</summary>
    public static Tensor TensorFrom(JsonElement entry)
    {
        var values = Doubles(entry.GetProperty("values"));
        var shape = Shape(entry);
        return DTypeOf(entry) switch
        {
            DType.Float32 => T.FromArray(values.Select(v => (float)v).ToArray(), shape),
            DType.Int64 => T.FromArray(values.Select(v => (long)v).ToArray(), shape),
            _ => T.FromArray(values, shape),
        };
    }

    /// <summary>The values of a tensor as doubles (float32 widened exactly).</summary>
    public static double[] Values(Tensor t) => t.DType switch
    {
        DType.Float32 => t.ToArray<float>().Select(v => (double)v).ToArray(),
        DType.Int64 => t.ToArray<long>().Select(v => (double)v).ToArray(),
        _ => t.ToArray<double>(),
    };

    /// <summary>SHA-256 of the tensor's raw little-endian bytes, as the reference script hashes them.</summary>
    public static string Sha256(Tensor t)
    {
        byte[] bytes = t.DType switch
        {
            DType.Float32 => MemoryMarshal.AsBytes(t.ToArray<float>().AsSpan()).ToArray(),
            DType.Float64 => MemoryMarshal.AsBytes(t.ToArray<double>().AsSpan()).ToArray(),
            DType.Int64 => MemoryMarshal.AsBytes(t.ToArray<long>().AsSpan()).ToArray(),
            _ => throw new NotSupportedException(t.DType.ToString()),
        };
        return Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
    }

    /// <summary>|expected − actual| ≤ tol·max(|expected|, 1e-3) for every element (relative, with a small floor near zero).</summary>
    public static void AssertClose(double[] expected, double[] actual, double tol, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        for (var i = 0; i < expected.Length; i++)
        {
            var err = Math.Abs(expected[i] - actual[i]);
            Assert.True(err <= tol * Math.Max(Math.Abs(expected[i]), 1e-3),
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (error {err:E2}, tolerance {tol:E0} relative)");
        }
    }

    /// <summary>Checks a tensor against a reference entry: shape, dtype and values within <paramref name="tol"/> (0: exact).</summary>
    public static void AssertMatches(JsonElement entry, Tensor actual, double tol, string what)
    {
        Assert.True(Shape(entry).SequenceEqual(actual.Shape),
            $"{what}: shape [{string.Join(", ", actual.Shape)}], PyTorch [{string.Join(", ", Shape(entry))}]");
        Assert.True(DTypeOf(entry) == actual.DType, $"{what}: dtype {actual.DType}, PyTorch {DTypeOf(entry)}");
        var expected = Doubles(entry.GetProperty("values"));
        if (tol == 0)
        {
            var got = Values(actual);
            for (var i = 0; i < expected.Length; i++)
                Assert.True(expected[i].Equals(got[i]), $"{what}[{i}]: expected exactly {expected[i]:R}, got {got[i]:R}");
            Assert.Equal(expected.Length, got.Length);
        }
        else
        {
            AssertClose(expected, Values(actual), tol, what);
        }
    }

    /// <summary>
    /// Copies the reference's parameters and buffers into the module by name, checking that the
    /// module has exactly PyTorch's names in PyTorch's order.
    /// </summary>
    public static void LoadState(Module module, JsonElement state)
    {
        using var noGrad = T.NoGrad();
        void Copy(IEnumerable<(string Name, Tensor Tensor)> ours, JsonElement theirs, string kind)
        {
            var list = ours.ToList();
            var expected = theirs.EnumerateArray().ToList();
            Assert.Equal(expected.Select(e => e.GetProperty("name").GetString()!), list.Select(p => p.Name));
            foreach (var (entry, (name, tensor)) in expected.Zip(list))
            {
                Assert.True(Shape(entry).SequenceEqual(tensor.Shape), $"{kind} {name}: shape differs from PyTorch's");
                using var value = TensorFrom(entry);
                tensor.CopyFrom_(value);
            }
        }
        Copy(module.NamedParameters(), state.GetProperty("parameters"), "parameter");
        Copy(module.NamedBuffers(), state.GetProperty("buffers"), "buffer");
    }

    /// <summary>Copies of every named parameter and buffer's values (for "the module is unchanged" checks).</summary>
    public static Dictionary<string, double[]> Snapshot(Module module) =>
        module.NamedParameters().Concat(module.NamedBuffers()).ToDictionary(p => p.Item1, p => Values(p.Item2));

    public static void AssertSameState(Dictionary<string, double[]> expected, Module module)
    {
        var actual = Snapshot(module);
        Assert.Equal(expected.Keys.OrderBy(k => k), actual.Keys.OrderBy(k => k));
        foreach (var (name, values) in expected)
            Assert.True(values.SequenceEqual(actual[name]), $"{name} changed");
    }
}

/// <summary>The models the reference script builds, by its names.</summary>
internal static class ReferenceModels
{
    public static Sequential MlpSmall() =>
        new(new Linear(2, 16), new ReLU(), new Linear(16, 16), new ReLU(), new Linear(16, 1));

    /// <summary>The issue's <c>mlp</c> model: 2 → 512 → 512 → 512 → out with ReLU.</summary>
    public static Sequential MlpIssue5(long outFeatures) =>
        new(new Linear(2, 512), new ReLU(), new Linear(512, 512), new ReLU(), new Linear(512, 512), new ReLU(), new Linear(512, outFeatures));

    /// <summary>The issue's <c>dcgan28</c> generator.</summary>
    public static Sequential Dcgan28G() =>
        new(new Linear(64, 128 * 7 * 7), new BatchNorm1d(128 * 7 * 7), new ReLU(), new Unflatten(1, 128, 7, 7),
            new ConvTranspose2d(128, 64, 4, 2, 1), new BatchNorm2d(64), new ReLU(),
            new ConvTranspose2d(64, 1, 4, 2, 1), new Tanh());

    /// <summary>The issue's <c>dcgan28</c> discriminator.</summary>
    public static Sequential Dcgan28D() =>
        new(new Conv2d(1, 64, 4, 2, 1), new LeakyReLU(0.2), new Conv2d(64, 128, 4, 2, 1), new LeakyReLU(0.2),
            new Flatten(), new Linear(128 * 7 * 7, 1));

    public static Sequential DcganSmallG() =>
        new(new Linear(8, 4 * 3 * 3), new BatchNorm1d(4 * 3 * 3), new ReLU(), new Unflatten(1, 4, 3, 3),
            new ConvTranspose2d(4, 3, 4, 2, 1), new BatchNorm2d(3), new ReLU(),
            new ConvTranspose2d(3, 1, 4, 2, 1), new Tanh());

    public static Sequential DcganSmallD() =>
        new(new Conv2d(1, 4, 4, 2, 1), new LeakyReLU(0.2), new Conv2d(4, 8, 4, 2, 1), new LeakyReLU(0.2),
            new Flatten(), new Linear(8 * 3 * 3, 1));

    public static Module ForInit(string name) => name switch
    {
        "linear_5_3" => new Linear(5, 3),
        "linear_nobias_4_2" => new Linear(4, 2, bias: false),
        "conv2d_3_4_k3" => new Conv2d(3, 4, 3),
        "convtranspose2d_4_2_k4" => new ConvTranspose2d(4, 2, 4, 2, 1),
        "mlp_small" => MlpSmall(),
        "batchnorm2d_3" => new BatchNorm2d(3),
        "layernorm_4" => new LayerNorm(4),
        "mlp_g" => MlpIssue5(2),
        "mlp_d" => MlpIssue5(1),
        "dcgan28_g" => Dcgan28G(),
        "dcgan28_d" => Dcgan28D(),
        "spectral_linear_5_4" => new SpectralNorm(new Linear(5, 4)),
        "spectral_convtranspose2d_3_2_k3" => new SpectralNorm(new ConvTranspose2d(3, 2, 3)),
        _ => throw new ArgumentException($"no C# builder for init case '{name}'"),
    };

    /// <summary>The forward case's module; the name carries a dtype suffix (_f32, _f64).</summary>
    public static Module ForForward(string caseName) => caseName[..caseName.LastIndexOf('_')] switch
    {
        "linear" => new Linear(5, 3),
        "conv2d" => new Conv2d(3, 4, 3, stride: 2, padding: 1),
        "convtranspose2d" => new ConvTranspose2d(4, 2, 4, stride: 2, padding: 1),
        "convtranspose2d_outpad" => new ConvTranspose2d(3, 2, 3, stride: 2, padding: 1, outputPadding: 1),
        "batchnorm1d" => new BatchNorm1d(6),
        "batchnorm2d" => new BatchNorm2d(3),
        "layernorm_last" => new LayerNorm(4),
        "layernorm_chw" => new LayerNorm([2, 3, 3]),
        "relu" => new ReLU(),
        "leakyrelu" => new LeakyReLU(0.2),
        "tanh" => new Tanh(),
        "sigmoid" => new Sigmoid(),
        "dcgan_small_g" => DcganSmallG(),
        "dcgan_small_d" => DcganSmallD(),
        var other => throw new ArgumentException($"no C# builder for forward case '{other}'"),
    };

    public static SpectralNorm ForSpectral(string caseName) => caseName[..caseName.LastIndexOf('_')] switch
    {
        "linear" => new SpectralNorm(new Linear(5, 4)),
        "conv2d" => new SpectralNorm(new Conv2d(3, 4, 3, padding: 1)),
        "convtranspose2d" => new SpectralNorm(new ConvTranspose2d(3, 2, 4, 2, 1)),
        var other => throw new ArgumentException($"no C# builder for spectral case '{other}'"),
    };
}
