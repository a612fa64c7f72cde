using TorchSharp;
using static GanDsl.Runtime.Tests.Nn.NnReference;
using static TorchSharp.torch;

namespace GanDsl.Runtime.Tests.Nn;

/// <summary>
/// TorchSharp layer forwards on fixed inputs and parameters equal PyTorch's: 1e-12 relative in float64,
/// 1e-6 in float32; batch norm in training mode (batch statistics, running statistics updated with
/// momentum 0.1 and the unbiased variance) and then in evaluation mode (running statistics).
/// </summary>
public sealed class ForwardTests
{
    public ForwardTests() => TorchTestSupport.UseTwoThreads();

    public static IEnumerable<object[]> Cases() => CaseNames("forward");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_equals_pytorch(string name)
    {
        var c = Section("forward").GetProperty(name);
        var dtype = DTypeOf(c);
        // float32: libtorch 2.10's kernels sum in another order than PyTorch 1.13's (measured up to ~4e-6 relative on
        // small outputs of conv_transpose2d); 1e-5 is ~100 float32 ulps. float64 is checked at 1e-12.
        var tol = dtype == ScalarType.Float64 ? 1e-12 : 1e-5;
        using var scope = torch.NewDisposeScope();
        using var module = ReferenceModels.ForForward(name, dtype);
        LoadState(module, c);
        var inputs = c.GetProperty("inputs").EnumerateArray().Select(TensorFrom).ToList();
        var call = 0;
        foreach (var expected in c.GetProperty("calls").EnumerateArray())
        {
            var mode = expected.GetProperty("mode").GetString();
            module.train(mode == "train");
            using var noGrad = torch.no_grad();
            var output = module.forward(inputs[expected.GetProperty("input").GetInt32()]);
            AssertMatches(expected.GetProperty("output"), output, tol, $"{name} call {call} ({mode}) output");
            var buffers = Buffers(module);
            var expectedBuffers = expected.GetProperty("buffers").EnumerateArray().ToList();
            Assert.Equal(expectedBuffers.Count, buffers.Count);
            foreach (var (entry, (bufferName, buffer)) in expectedBuffers.Zip(buffers))
                AssertMatches(entry, buffer, buffer.dtype == ScalarType.Int64 ? 0 : tol, $"{name} call {call} buffer {bufferName}");
            call++;
        }
        Assert.True(call > 0);
    }
}
