using GanDsl.Nn;
using GanDsl.Torch;
using static GanDsl.Runtime.Tests.Nn.NnReference;
using T = GanDsl.Torch.Torch;

namespace GanDsl.Runtime.Tests.Nn;

/// <summary>
/// Layer forwards on fixed inputs and parameters equal PyTorch's: 1e-12 relative in float64,
/// 1e-6 in float32; batch norm in training mode (batch statistics, running statistics updated with
/// momentum 0.1 and the unbiased variance) and then in evaluation mode (running statistics).
/// </summary>
public sealed class ForwardTests
{
    public ForwardTests() => T.SetNumThreads(2);

    public static IEnumerable<object[]> Cases() => CaseNames("forward");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_equals_pytorch(string name)
    {
        var c = Section("forward").GetProperty(name);
        var dtype = DTypeOf(c);
        var tol = dtype == DType.Float64 ? 1e-12 : 1e-6;
        using var scope = T.NewScope();
        using var module = ReferenceModels.ForForward(name);
        module.ToDType(dtype);
        LoadState(module, c);
        var inputs = c.GetProperty("inputs").EnumerateArray().Select(TensorFrom).ToList();
        var call = 0;
        foreach (var expected in c.GetProperty("calls").EnumerateArray())
        {
            var mode = expected.GetProperty("mode").GetString();
            module.Train(mode == "train");
            using var noGrad = T.NoGrad();
            var output = module.Forward(inputs[expected.GetProperty("input").GetInt32()]);
            AssertMatches(expected.GetProperty("output"), output, tol, $"{name} call {call} ({mode}) output");
            var buffers = module.NamedBuffers().ToList();
            var expectedBuffers = expected.GetProperty("buffers").EnumerateArray().ToList();
            Assert.Equal(expectedBuffers.Count, buffers.Count);
            foreach (var (entry, (bufferName, buffer)) in expectedBuffers.Zip(buffers))
                AssertMatches(entry, buffer, buffer.DType == DType.Int64 ? 0 : tol, $"{name} call {call} buffer {bufferName}");
            call++;
        }
        Assert.True(call > 0);
    }
}
