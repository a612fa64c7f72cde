using System.Text.Json;
using GanDsl.Nn;
using GanDsl.Torch;
using static GanDsl.Runtime.Tests.Nn.NnReference;
using T = GanDsl.Torch.Torch;

namespace GanDsl.Runtime.Tests.Nn;

/// <summary>
/// Torch.ManualSeed(s) + building a model gives bit-identical float32 parameters (and the same
/// names, order and buffers) as torch.manual_seed(s) + building the same model in PyTorch 1.13.1.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class InitTests
{
    public InitTests() => T.SetNumThreads(2);

    public static IEnumerable<object[]> Cases() =>
        CaseNames("init").Where(c => (string)c[0] != "two_in_a_row");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Seeded_default_initialisation_equals_pytorch_bit_for_bit(string name)
    {
        var expected = Section("init").GetProperty(name);
        T.ManualSeed(expected.GetProperty("seed").GetInt64());
        using var model = ReferenceModels.ForInit(name);
        AssertState(expected, model, name);
    }

    [Fact]
    public void Models_built_one_after_another_continue_the_same_random_stream()
    {
        var expected = Section("init").GetProperty("two_in_a_row");
        T.ManualSeed(expected.GetProperty("seed").GetInt64());
        using var first = new Linear(3, 2);
        using var second = new Conv2d(2, 2, 2);
        AssertState(expected.GetProperty("first"), first, "first");
        AssertState(expected.GetProperty("second"), second, "second");
    }

    [Fact]
    public void Spectral_norm_buffers_are_unit_vectors_and_parameters_are_leaves()
    {
        T.ManualSeed(123);
        using var layer = new SpectralNorm(new Conv2d(3, 5, 3));
        var buffers = layer.NamedBuffers().ToDictionary(b => b.Name, b => b.Buffer);
        Assert.Equal(new long[] { 5 }, buffers["weight_u"].Shape);
        Assert.Equal(new long[] { 27 }, buffers["weight_v"].Shape);
        foreach (var b in buffers.Values)
        {
            using var norm = b.Norm();
            Assert.Equal(1.0, norm.Item(), 6);
        }
        foreach (var p in layer.Parameters())
        {
            Assert.True(p.RequiresGrad);
            Assert.True(p.IsLeaf);
        }
    }

    private static void AssertState(JsonElement expected, Module model, string name)
    {
        void Check(IEnumerable<(string Name, Tensor Tensor)> ours, JsonElement theirs, string kind)
        {
            var list = ours.ToList();
            var entries = theirs.EnumerateArray().ToList();
            Assert.Equal(entries.Select(e => e.GetProperty("name").GetString()!), list.Select(p => p.Name));
            foreach (var (entry, (tensorName, tensor)) in entries.Zip(list))
            {
                var what = $"{name} {kind} {tensorName}";
                if (entry.TryGetProperty("values", out _))
                {
                    AssertMatches(entry, tensor, 0, what);
                }
                else
                {
                    Assert.True(Shape(entry).SequenceEqual(tensor.Shape), $"{what}: shape differs");
                    Assert.True(DTypeOf(entry) == tensor.DType, $"{what}: dtype differs");
                    // First elements give a readable message; the hash covers every bit of every element.
                    var first = Doubles(entry.GetProperty("first"));
                    var ours8 = Values(tensor).Take(first.Length).ToArray();
                    Assert.True(first.SequenceEqual(ours8), $"{what}: first elements [{string.Join(", ", ours8)}], PyTorch [{string.Join(", ", first)}]");
                    Assert.True(entry.GetProperty("sha256").GetString() == Sha256(tensor), $"{what}: SHA-256 of the float32 bytes differs from PyTorch's");
                }
            }
        }
        Check(model.NamedParameters(), expected.GetProperty("parameters"), "parameter");
        Check(model.NamedBuffers(), expected.GetProperty("buffers"), "buffer");
    }
}
