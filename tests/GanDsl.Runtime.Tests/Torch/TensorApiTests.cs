using GanDsl.Torch;
using T = GanDsl.Torch.Torch;

namespace GanDsl.Runtime.Tests.Torch;

/// <summary>Values (not gradients) of the Tensor API: conversions, devices, dtypes, reductions, shapes.</summary>
public sealed class TensorApiTests
{
    public TensorApiTests() => TorchTestSupport.UseTwoThreads();

    [Fact]
    public void SetNumThreads_sets_libtorchs_thread_count()
    {
        T.SetNumThreads(2);
        Assert.Equal(2, T.NumThreads);
        Assert.Throws<ArgumentOutOfRangeException>(() => T.SetNumThreads(0));
    }

    [Fact]
    public void Arrays_round_trip_in_every_dtype()
    {
        using var scope = T.NewScope();
        var f = T.FromArray(new[] { 1.5f, -2f, 3.25f, 0f, 5f, 6f }, [2, 3]);
        Assert.Equal(DType.Float32, f.DType);
        Assert.Equal(new long[] { 2, 3 }, f.Shape);
        Assert.Equal(2, f.Dim);
        Assert.Equal(6, f.NumEl);
        Assert.Equal(new[] { 1.5f, -2f, 3.25f, 0f, 5f, 6f }, f.ToArray<float>());
        Assert.Equal(new[] { 1.5, -2, 3.25, 0, 5, 6 }, f.ToArray<double>());
        Assert.Equal(new long[] { 1, -2, 3, 0, 5, 6 }, f.ToArray<long>());
        Assert.Equal(new long[] { 1, 2, 3 }, T.FromArray(new long[] { 1, 2, 3 }, [3]).ToArray<long>());
        Assert.Equal(new[] { true, false }, T.FromArray(new[] { true, false }, [2]).ToArray<bool>());
        Assert.Equal(DType.Bool, T.FromArray(new[] { true }, [1]).DType);
        Assert.Equal(0.1, T.FromArray(new[] { 0.1 }, [1]).ToArray<double>()[0]); // float64 exact
        Assert.Throws<NotSupportedException>(() => f.ToArray<int>());
    }

    [Fact]
    public void Factories_produce_the_requested_values()
    {
        using var scope = T.NewScope();
        Assert.Equal(new[] { 0.0, 0.0 }, T.Zeros([2], DType.Float64).ToArray<double>());
        Assert.Equal(new[] { 1.0, 1.0 }, T.Ones([2], DType.Float64).ToArray<double>());
        Assert.Equal(new[] { 2.5, 2.5 }, T.Full([2], 2.5, DType.Float64).ToArray<double>());
        var s = T.Scalar(4, DType.Int64);
        Assert.Equal(0, s.Dim);
        Assert.Equal(4.0, s.Item());
        Assert.Equal(new long[] { 0, 2, 4 }, T.Arange(0, 5, 2, DType.Int64).ToArray<long>());
        Assert.True(T.Zeros([1], requiresGrad: true).RequiresGrad);
        Assert.Equal(Device.Cpu, T.Ones([1]).Device);
    }

    [Fact]
    public void Device_parses_and_prints_pytorch_spelling()
    {
        Assert.Equal(Device.Cpu, Device.Parse("cpu"));
        Assert.Equal(Device.Cuda(1), Device.Parse("cuda:1"));
        Assert.Equal(Device.Cuda(0), Device.Parse("CUDA"));
        Assert.Equal("cuda:3", Device.Cuda(3).ToString());
        Assert.Equal("cpu", Device.Cpu.ToString());
        Assert.Throws<FormatException>(() => Device.Parse("gpu0"));
        Assert.Throws<FormatException>(() => Device.Parse("cuda:x"));
        Assert.True(T.CudaDeviceCount >= 0);
        Assert.Equal(T.CudaDeviceCount > 0, T.CudaIsAvailable);
    }

    [Fact]
    public void Cuda_tensors_when_a_gpu_is_present_else_a_clear_error()
    {
        using var scope = T.NewScope();
        if (T.CudaIsAvailable)
        {
            var x = T.FromArray(new[] { 1.0f, 2.0f }, [2], Device.Cuda(0));
            Assert.Equal(DeviceType.Cuda, x.Device.Type);
            Assert.Equal(new[] { 2.0f, 4.0f }, (x * 2.0).ToArray<float>());
            using var gen = new Generator(3);
            Assert.Equal(DeviceType.Cuda, T.Rand([3], DType.Float32, Device.Cuda(0), gen).Device.Type);
        }
        else
        {
            var ex = Assert.Throws<TorchException>(() => T.Zeros([2], DType.Float32, Device.Cuda(0)));
            Assert.StartsWith("zeros: ", ex.Message);
        }
    }

    [Fact]
    public void Reductions_and_comparisons()
    {
        using var scope = T.NewScope();
        var x = T.FromArray(new[] { 1.0, 5.0, 3.0, 4.0, 2.0, 6.0 }, [2, 3]);
        Assert.Equal(21.0, x.Sum().Item());
        Assert.Equal(3.5, x.Mean().Item());
        Assert.Equal(new[] { 5.0, 7.0, 9.0 }, x.Sum([0]).ToArray<double>());
        Assert.Equal(new long[] { 2, 1 }, x.Mean([1], keepDim: true).Shape);
        Assert.Equal(6.0, x.Max().Item());
        Assert.Equal(1.0, x.Min().Item());
        var (values, indices) = x.Max(1);
        Assert.Equal(new[] { 5.0, 6.0 }, values.ToArray<double>());
        Assert.Equal(new long[] { 1, 2 }, indices.ToArray<long>());
        Assert.Equal(DType.Int64, indices.DType);
        Assert.Equal(new[] { 1.0, 2.0 }, x.Min(1).Values.ToArray<double>());
        Assert.Equal(Math.Sqrt(3.5), x.Std().Item(), 12);                    // unbiased: 17.5 / 5
        Assert.Equal(Math.Sqrt(17.5 / 6), x.Std(unbiased: false).Item(), 12);
        Assert.Equal(Math.Sqrt(91.0), x.Norm().Item(), 12);
        Assert.Equal(new[] { Math.Sqrt(35.0), Math.Sqrt(56.0) }, x.PerSampleNorm().ToArray<double>());
        Assert.Equal(new[] { 9.0, 12.0 }, x.VectorNorm(1, [1]).ToArray<double>());
        Assert.Equal(new[] { false, true, false, false, false, true }, x.Gt(4.5).ToArray<bool>());
        Assert.Equal(new[] { true, false, false, false, true, false }, x.Lt(2.5).ToArray<bool>());
        Assert.Equal(new[] { false, false, true, false, false, false }, x.Eq(3).ToArray<bool>());
        Assert.Equal(new[] { true, true, true, true, true, true }, x.Eq(x.Clone()).ToArray<bool>());
    }

    [Fact]
    public void Shapes_and_combinations()
    {
        using var scope = T.NewScope();
        var x = T.Arange(0, 6, 1, DType.Float64).Reshape(2, 3);
        Assert.Equal(new[] { 0.0, 3, 1, 4, 2, 5 }, x.T().Contiguous().ToArray<double>());
        Assert.Equal(new long[] { 3, 2 }, x.Transpose(0, 1).Shape);
        Assert.Equal(new long[] { 6 }, x.Flatten().Shape);
        Assert.Equal(new long[] { 1, 2, 3 }, x.Unsqueeze(0).Shape);
        Assert.Equal(new long[] { 2, 3 }, x.Unsqueeze(0).Squeeze(0).Shape);
        Assert.Equal(new[] { 3.0, 4, 5 }, x.Select(0, 1).ToArray<double>());
        Assert.Equal(new[] { 0.0, 2, 3, 5 }, x.Slice(1, 0, 3, 2).ToArray<double>());
        Assert.Equal(new[] { 1.0, 2, 4, 5 }, x.Narrow(1, 1, 2).ToArray<double>());
        Assert.Equal(new long[] { 4, 3 }, T.Cat([x, x], 0).Shape);
        Assert.Equal(new long[] { 2, 2, 3 }, T.Stack([x, x], 1).Shape);
        var y = T.Full([2, 3], 2.5, DType.Float64);
        Assert.Equal(new[] { 0.0, 1, 2, 2.5, 2.5, 2.5 }, T.Minimum(x, y).ToArray<double>());
        Assert.Equal(new[] { 2.5, 2.5, 2.5, 3, 4, 5 }, T.Maximum(x, y).ToArray<double>());
        Assert.Equal(new[] { 2.5, 2.5, 2.5, 3, 4, 5 }, T.Where(x.Gt(y), x, y).ToArray<double>());
        Assert.Equal(new[] { 0.0, 1, 2, 2.5, 2.5, 2.5 }, x.Clamp(max: 2.5).ToArray<double>());
        Assert.Equal(DType.Float32, x.ToDType(DType.Float32).DType);
        Assert.Equal(Device.Cpu, x.ToDevice(Device.Cpu).Device);
        Assert.Equal("Tensor[2, 3] Float64 cpu", x.ToString());
    }

    [Fact]
    public void Composite_kernels_match_their_definitions()
    {
        using var scope = T.NewScope();
        var logits = T.FromArray(new[] { -30.0, 0.0, 2.0, 40.0 }, [4]);
        var target = T.FromArray(new[] { 1.0, 0.5, 0.0, 0.0 }, [4]);
        // Stable: softplus(x) - t·x, exact even where σ(x) under/overflows.
        double Bce(double x, double t) => Math.Max(x, 0) - t * x + Math.Log(1 + Math.Exp(-Math.Abs(x)));
        var expected = new[] { Bce(-30, 1), Bce(0, 0.5), Bce(2, 0), Bce(40, 0) };
        TorchTestSupport.AssertAllClose(expected, T.BinaryCrossEntropyWithLogits(logits, target, Reduction.None).ToArray<double>(), 1e-12, "bce");
        TorchTestSupport.AssertClose(expected.Average(), T.BinaryCrossEntropyWithLogits(logits, target).Item(), 1e-12, "bce mean");
        TorchTestSupport.AssertClose(expected.Sum(), T.BinaryCrossEntropyWithLogits(logits, target, Reduction.Sum).Item(), 1e-12, "bce sum");
        Assert.Equal(30.0, (-logits).Softplus().ToArray<double>()[0], 12);
        Assert.Equal(-40.0, (-logits).LogSigmoid().ToArray<double>()[3], 12);

        var a = T.FromArray(new[] { 0.0, 0, 3, 4 }, [2, 2]);
        var b = T.FromArray(new[] { 0.0, 0, 1, 1, 3, 4 }, [3, 2]);
        Assert.Equal(new[] { 0.0, 2, 25, 25, 13, 0 }, T.PairwiseSquaredDistances(a, b).ToArray<double>());
        Assert.Equal((9 + 16) / 4.0, T.MseLoss(a, T.Zeros([2, 2], DType.Float64)).Item());
    }
}
