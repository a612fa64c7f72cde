using System.Security.Cryptography;
using System.Runtime.InteropServices;
using System.Text.Json;
using GanDsl.Nn;
using TorchSharp;
using static TorchSharp.torch;

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

    public static ScalarType DTypeOf(JsonElement entry) => entry.GetProperty("dtype").GetString() switch
    {
        "float32" => ScalarType.Float32,
        "float64" => ScalarType.Float64,
        "int64" => ScalarType.Int64,
        var other => throw new InvalidDataException($"unexpected dtype {other}"),
    };

    /// <summary>A tensor of the entry's dtype and shape with its values.</summary>
    public static Tensor TensorFrom(JsonElement entry)
    {
        var values = Doubles(entry.GetProperty("values"));
        var shape = Shape(entry);
        return DTypeOf(entry) switch
        {
            ScalarType.Float32 => torch.tensor(values.Select(v => (float)v).ToArray(), shape),
            ScalarType.Int64 => torch.tensor(values.Select(v => (long)v).ToArray(), shape),
            _ => torch.tensor(values, shape, ScalarType.Float64),
        };
    }

    /// <summary>The values of a tensor as doubles (float32 widened exactly).</summary>
    public static double[] Values(Tensor t)
    {
        using var host = t.detach().cpu().contiguous();
        return host.dtype switch
        {
            ScalarType.Float32 => host.data<float>().ToArray().Select(v => (double)v).ToArray(),
            ScalarType.Int64 => host.data<long>().ToArray().Select(v => (double)v).ToArray(),
            ScalarType.Float64 => host.data<double>().ToArray(),
            var other => throw new NotSupportedException(other.ToString()),
        };
    }

    /// <summary>SHA-256 of the tensor's raw little-endian bytes, as the reference script hashes them.</summary>
    public static string Sha256(Tensor t)
    {
        using var host = t.detach().cpu().contiguous();
        return Convert.ToHexString(SHA256.HashData(host.bytes.ToArray())).ToLowerInvariant();
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
        Assert.True(Shape(entry).SequenceEqual(actual.shape),
            $"{what}: shape [{string.Join(", ", actual.shape)}], PyTorch [{string.Join(", ", Shape(entry))}]");
        Assert.True(DTypeOf(entry) == actual.dtype, $"{what}: dtype {actual.dtype}, PyTorch {DTypeOf(entry)}");
        var expected = Doubles(entry.GetProperty("values"));
        if (tol == 0)
        {
            var got = Values(actual);
            Assert.Equal(expected.Length, got.Length);
            for (var i = 0; i < expected.Length; i++)
                Assert.True(expected[i].Equals(got[i]), $"{what}[{i}]: expected exactly {expected[i]:R}, got {got[i]:R}");
        }
        else
        {
            AssertClose(expected, Values(actual), tol, what);
        }
    }

    /// <summary>Parameters then buffers, as named_parameters() and named_buffers() list them.</summary>
    public static List<(string Name, Tensor Tensor)> Parameters(nn.Module module) =>
        module.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToList();

    public static List<(string Name, Tensor Tensor)> Buffers(nn.Module module) =>
        module.named_buffers().Select(b => (b.name, b.buffer)).ToList();

    public static Tensor Buffer(nn.Module module, string name) => module.named_buffers().Single(b => b.name == name).buffer;

    /// <summary>
    /// Copies the reference's parameters and buffers into the module by name, checking that the
    /// module has exactly PyTorch's names in PyTorch's order.
    /// </summary>
    public static void LoadState(nn.Module module, JsonElement state)
    {
        using var noGrad = torch.no_grad();
        void Copy(List<(string Name, Tensor Tensor)> list, JsonElement theirs, string kind)
        {
            var expected = theirs.EnumerateArray().ToList();
            Assert.Equal(expected.Select(e => e.GetProperty("name").GetString()!), list.Select(p => p.Name));
            foreach (var (entry, (name, tensor)) in expected.Zip(list))
            {
                Assert.True(Shape(entry).SequenceEqual(tensor.shape), $"{kind} {name}: shape differs from PyTorch's");
                using var value = TensorFrom(entry);
                tensor.copy_(value);
            }
        }
        Copy(Parameters(module), state.GetProperty("parameters"), "parameter");
        Copy(Buffers(module), state.GetProperty("buffers"), "buffer");
    }

    /// <summary>Copies of every named parameter and buffer's values (for "the module is unchanged" checks).</summary>
    public static Dictionary<string, double[]> Snapshot(nn.Module module) =>
        Parameters(module).Concat(Buffers(module)).ToDictionary(p => p.Name, p => Values(p.Tensor));

    public static void AssertSameState(Dictionary<string, double[]> expected, nn.Module module)
    {
        var actual = Snapshot(module);
        Assert.Equal(expected.Keys.OrderBy(k => k), actual.Keys.OrderBy(k => k));
        foreach (var (name, values) in expected)
            Assert.True(values.SequenceEqual(actual[name]), $"{name} changed");
    }
}

/// <summary>The models the reference script builds, by its names, from TorchSharp's layers and our SpectralNorm.</summary>
internal static class ReferenceModels
{
    public static nn.Module<Tensor, Tensor> MlpSmall() =>
        nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1));

    /// <summary>The issue's <c>mlp</c> model: 2 → 512 → 512 → 512 → out with ReLU.</summary>
    public static nn.Module<Tensor, Tensor> MlpIssue5(long outFeatures) =>
        nn.Sequential(nn.Linear(2, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, outFeatures));

    /// <summary>The issue's <c>dcgan28</c> generator.</summary>
    public static nn.Module<Tensor, Tensor> Dcgan28G() =>
        nn.Sequential(nn.Linear(64, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU(), nn.Unflatten(1, [128, 7, 7]),
            nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh());

    /// <summary>The issue's <c>dcgan28</c> discriminator.</summary>
    public static nn.Module<Tensor, Tensor> Dcgan28D() =>
        nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(64, 128, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(128 * 7 * 7, 1));

    public static nn.Module<Tensor, Tensor> DcganSmallG(ScalarType? dtype = null) =>
        nn.Sequential(nn.Linear(8, 4 * 3 * 3, dtype: dtype), nn.BatchNorm1d(4 * 3 * 3, dtype: dtype), nn.ReLU(), nn.Unflatten(1, [4, 3, 3]),
            nn.ConvTranspose2d(4, 3, 4, 2, 1, dtype: dtype), nn.BatchNorm2d(3, dtype: dtype), nn.ReLU(),
            nn.ConvTranspose2d(3, 1, 4, 2, 1, dtype: dtype), nn.Tanh());

    public static nn.Module<Tensor, Tensor> DcganSmallD(ScalarType? dtype = null) =>
        nn.Sequential(nn.Conv2d(1, 4, 4, 2, 1, dtype: dtype), nn.LeakyReLU(0.2), nn.Conv2d(4, 8, 4, 2, 1, dtype: dtype), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(8 * 3 * 3, 1, dtype: dtype));

    public static nn.Module ForInit(string name) => name switch
    {
        "linear_5_3" => nn.Linear(5, 3),
        "linear_nobias_4_2" => nn.Linear(4, 2, hasBias: false),
        "conv2d_3_4_k3" => nn.Conv2d(3, 4, 3),
        "convtranspose2d_4_2_k4" => nn.ConvTranspose2d(4, 2, 4, 2, 1),
        "mlp_small" => MlpSmall(),
        "batchnorm2d_3" => nn.BatchNorm2d(3),
        "layernorm_4" => nn.LayerNorm(4),
        "mlp_g" => MlpIssue5(2),
        "mlp_d" => MlpIssue5(1),
        "dcgan28_g" => Dcgan28G(),
        "dcgan28_d" => Dcgan28D(),
        "spectral_linear_5_4" => new SpectralNorm(nn.Linear(5, 4)),
        "spectral_convtranspose2d_3_2_k3" => new SpectralNorm(nn.ConvTranspose2d(3, 2, 3)),
        _ => throw new ArgumentException($"no C# builder for init case '{name}'"),
    };

    /// <summary>
    /// The forward case's module, built in float32 and converted with <c>Module.to(dtype)</c> (building with
    /// <c>dtype:</c> would make TorchSharp's batch-norm counter num_batches_tracked a floating tensor instead of int64).
    /// </summary>
    public static nn.Module<Tensor, Tensor> ForForward(string caseName, ScalarType dtype) => ForForward(caseName).to(dtype);

    private static nn.Module<Tensor, Tensor> ForForward(string caseName) => caseName[..caseName.LastIndexOf('_')] switch
    {
        "linear" => nn.Linear(5, 3),
        "conv2d" => nn.Conv2d(3, 4, 3, stride: 2, padding: 1),
        "convtranspose2d" => nn.ConvTranspose2d(4, 2, 4, stride: 2, padding: 1),
        "convtranspose2d_outpad" => nn.ConvTranspose2d(3, 2, 3, stride: 2, padding: 1, output_padding: 1),
        "batchnorm1d" => nn.BatchNorm1d(6),
        "batchnorm2d" => nn.BatchNorm2d(3),
        "layernorm_last" => nn.LayerNorm(4),
        "layernorm_chw" => nn.LayerNorm([2, 3, 3]),
        "relu" => nn.ReLU(),
        "leakyrelu" => nn.LeakyReLU(0.2),
        "tanh" => nn.Tanh(),
        "sigmoid" => nn.Sigmoid(),
        "dcgan_small_g" => DcganSmallG(),
        "dcgan_small_d" => DcganSmallD(),
        var other => throw new ArgumentException($"no C# builder for forward case '{other}'"),
    };

    /// <summary>The spectral case's layer, built in float32 and converted with <c>Module.to(dtype)</c>.</summary>
    public static SpectralNorm ForSpectral(string caseName, ScalarType dtype) => (caseName[..caseName.LastIndexOf('_')] switch
    {
        "linear" => new SpectralNorm(nn.Linear(5, 4)),
        "conv2d" => new SpectralNorm(nn.Conv2d(3, 4, 3, padding: 1)),
        "convtranspose2d" => new SpectralNorm(nn.ConvTranspose2d(3, 2, 4, 2, 1)),
        var other => throw new ArgumentException($"no C# builder for spectral case '{other}'"),
    }).to(dtype);
}
