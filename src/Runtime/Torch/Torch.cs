namespace GanDsl.Torch;

/// <summary>
/// Tensor factories and global libtorch state: random seeds, grad mode, threads, devices,
/// dispose scopes, autograd and the composite loss kernels. Semantics and defaults are
/// PyTorch's, so results compare with a PyTorch run on the same libtorch.
/// </summary>
public static unsafe partial class Torch
{
    /// <summary>Backing counter of <see cref="LiveTensorCount"/> (raised by each new tensor, lowered when its handle is freed).</summary>
    internal static long LiveCount;

    /// <summary>How many tensor handles are alive (created and not yet disposed or finalized): for leak tests.</summary>
    public static long LiveTensorCount => Interlocked.Read(ref LiveCount);

    /// <summary>Opens a dispose scope on this thread (see <see cref="DisposeScope"/>); use it with <c>using</c>.</summary>
    public static DisposeScope NewScope() => new();

    internal static DType DTypeOf<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? DType.Float32
        : typeof(T) == typeof(double) ? DType.Float64
        : typeof(T) == typeof(long) ? DType.Int64
        : typeof(T) == typeof(bool) ? DType.Bool
        : throw new NotSupportedException($"Tensors hold float, double, long or bool elements, not {typeof(T).Name}.");

    private static Device Dev(Device? device) => device ?? Device.Cpu;

    // ------------------------------------------------------------ factories

    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(long[] shape, DType dtype = DType.Float32, Device? device = null, bool requiresGrad = false)
    {
        var d = Dev(device);
        fixed (long* p = shape)
            return Tensor.Wrap(Native.gd_zeros(p, shape.Length, (int)dtype, (int)d.Type, d.Index, requiresGrad ? 1 : 0), "zeros");
    }

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(long[] shape, DType dtype = DType.Float32, Device? device = null, bool requiresGrad = false)
    {
        var d = Dev(device);
        fixed (long* p = shape)
            return Tensor.Wrap(Native.gd_ones(p, shape.Length, (int)dtype, (int)d.Type, d.Index, requiresGrad ? 1 : 0), "ones");
    }

    /// <summary>A tensor with every element equal to <paramref name="value"/>.</summary>
    public static Tensor Full(long[] shape, double value, DType dtype = DType.Float32, Device? device = null, bool requiresGrad = false)
    {
        var d = Dev(device);
        fixed (long* p = shape)
            return Tensor.Wrap(Native.gd_full(p, shape.Length, value, (int)dtype, (int)d.Type, d.Index, requiresGrad ? 1 : 0), "full");
    }

    /// <summary>A 0-d tensor holding <paramref name="value"/>.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32, Device? device = null)
    {
        var d = Dev(device);
        return Tensor.Wrap(Native.gd_scalar(value, (int)dtype, (int)d.Type, d.Index), "scalar_tensor");
    }

    /// <summary>Values <c>start, start + step, ...</c> below <paramref name="end"/>.</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Float32, Device? device = null)
    {
        var d = Dev(device);
        return Tensor.Wrap(Native.gd_arange(start, end, step, (int)dtype, (int)d.Type, d.Index), "arange");
    }

    /// <summary>Uniform draws from [0, 1), from <paramref name="gen"/> or, when null, the global generator (<see cref="ManualSeed"/>).</summary>
    public static Tensor Rand(long[] shape, DType dtype = DType.Float32, Device? device = null, Generator? gen = null) =>
        Random(shape, dtype, device, gen, normal: false, "rand");

    /// <summary>Standard normal draws, from <paramref name="gen"/> or, when null, the global generator.</summary>
    public static Tensor Randn(long[] shape, DType dtype = DType.Float32, Device? device = null, Generator? gen = null) =>
        Random(shape, dtype, device, gen, normal: true, "randn");

    private static Tensor Random(long[] shape, DType dtype, Device? device, Generator? gen, bool normal, string op)
    {
        var d = Dev(device);
        using var g = new HandleLease(gen?.Handle);
        fixed (long* p = shape)
            return Tensor.Wrap(Native.gd_rand(p, shape.Length, (int)dtype, (int)d.Type, d.Index, g.Pointer, normal ? 1 : 0), op);
    }

    /// <summary>A float32 tensor holding a copy of <paramref name="data"/> (row-major) in <paramref name="shape"/>.</summary>
    public static Tensor FromArray(float[] data, long[] shape, Device? device = null) => FromSpan<float>(data, shape, device);
    /// <summary>A float64 tensor holding a copy of <paramref name="data"/> (row-major) in <paramref name="shape"/>.</summary>
    public static Tensor FromArray(double[] data, long[] shape, Device? device = null) => FromSpan<double>(data, shape, device);
    /// <summary>An int64 tensor holding a copy of <paramref name="data"/> (row-major) in <paramref name="shape"/>.</summary>
    public static Tensor FromArray(long[] data, long[] shape, Device? device = null) => FromSpan<long>(data, shape, device);
    /// <summary>A bool tensor holding a copy of <paramref name="data"/> (row-major) in <paramref name="shape"/>.</summary>
    public static Tensor FromArray(bool[] data, long[] shape, Device? device = null) => FromSpan<bool>(data, shape, device);

    /// <summary>A tensor holding a copy of <paramref name="data"/> (float, double, long or bool; row-major) in <paramref name="shape"/>: one memcpy.</summary>
    /// <exception cref="ArgumentException">The shape's element count differs from the data's length.</exception>
    public static Tensor FromSpan<T>(ReadOnlySpan<T> data, long[] shape, Device? device = null) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(shape);
        var dtype = DTypeOf<T>();
        long count = 1;
        foreach (var s in shape)
        {
            if (s < 0) throw new ArgumentException($"FromArray: negative size in shape [{string.Join(", ", shape)}].", nameof(shape));
            count *= s;
        }
        if (count != data.Length)
            throw new ArgumentException(
                $"FromArray: shape [{string.Join(", ", shape)}] holds {count} elements but the data has {data.Length}.", nameof(shape));
        var d = Dev(device);
        fixed (T* src = data)
        fixed (long* p = shape)
            return Tensor.Wrap(Native.gd_from_data(src, p, shape.Length, (int)dtype, (int)d.Type, d.Index), "from_array");
    }

    // ------------------------------------------------------------ combining

    /// <summary>Concatenates along an existing dimension.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, long dim = 0) => CatOrStack(tensors, dim, stack: false, "cat");

    /// <summary>Stacks along a new dimension.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, long dim = 0) => CatOrStack(tensors, dim, stack: true, "stack");

    private static Tensor CatOrStack(IReadOnlyList<Tensor> tensors, long dim, bool stack, string op)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        using var lease = new HandleListLease(tensors, op);
        fixed (IntPtr* p = lease.Pointers)
            return Tensor.Wrap(Native.gd_cat(p, tensors.Count, dim, stack ? 1 : 0), op);
    }

    /// <summary>Elementwise <c>cond ? a : b</c>, broadcasting.</summary>
    public static Tensor Where(Tensor cond, Tensor a, Tensor b) => Tensor.Wrap(Native.gd_where(cond.H, a.H, b.H), "where");

    /// <summary>Elementwise minimum, broadcasting.</summary>
    public static Tensor Minimum(Tensor a, Tensor b) => Tensor.Wrap(Native.gd_binary((int)Native.Binary.Minimum, a.H, b.H), "minimum");

    /// <summary>Elementwise maximum, broadcasting.</summary>
    public static Tensor Maximum(Tensor a, Tensor b) => Tensor.Wrap(Native.gd_binary((int)Native.Binary.Maximum, a.H, b.H), "maximum");

    // ------------------------------------------------------------ autograd

    /// <summary>
    /// The gradient of scalar <paramref name="output"/> with respect to <paramref name="input"/>
    /// (<c>torch.autograd.grad</c>), without touching any <c>.grad</c>. With
    /// <paramref name="createGraph"/> the result is itself differentiable (gradient penalties).
    /// <paramref name="retainGraph"/> defaults to <paramref name="createGraph"/>, as in PyTorch.
    /// </summary>
    public static Tensor Grad(Tensor output, Tensor input, bool createGraph = false, bool? retainGraph = null) =>
        Grad([output], [input], null, createGraph, retainGraph)[0]!;

    /// <summary>
    /// <c>torch.autograd.grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused)</c>:
    /// one gradient per input, null for an input the outputs do not depend on (only with <paramref name="allowUnused"/>).
    /// </summary>
    public static Tensor?[] Grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor>? gradOutputs,
        bool createGraph = false, bool? retainGraph = null, bool allowUnused = false)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(inputs);
        if (gradOutputs is not null && gradOutputs.Count != outputs.Count)
            throw new ArgumentException($"grad: {outputs.Count} outputs but {gradOutputs.Count} gradOutputs.", nameof(gradOutputs));
        using var outs = new HandleListLease(outputs, "grad");
        using var ins = new HandleListLease(inputs, "grad");
        using var gouts = gradOutputs is null ? null : new HandleListLease(gradOutputs, "grad");
        var result = new IntPtr[inputs.Count];
        fixed (IntPtr* o = outs.Pointers)
        fixed (IntPtr* i = ins.Pointers)
        fixed (IntPtr* g = gouts?.Pointers)
        fixed (IntPtr* r = result)
        {
            var retain = retainGraph ?? createGraph;
            Native.Check(Native.gd_autograd_grad(o, outputs.Count, i, inputs.Count, gouts is null ? null : g,
                createGraph ? 1 : 0, retain ? 1 : 0, allowUnused ? 1 : 0, r), "grad");
        }
        var grads = new Tensor?[result.Length];
        for (var k = 0; k < result.Length; k++)
            grads[k] = result[k] == IntPtr.Zero ? null : new Tensor(result[k]);
        return grads;
    }

    /// <summary>Whether autograd records operations on this thread.</summary>
    public static bool IsGradEnabled => Native.gd_is_grad_enabled() != 0;

    /// <summary>
    /// Stops autograd from recording on this thread until the result is disposed, which restores
    /// the previous mode (so regions nest). Use with <c>using</c> on the same thread.
    /// </summary>
    public static IDisposable NoGrad() => new GradModeScope(enabled: false);

    /// <summary>Turns autograd recording on (or off) on this thread until the result is disposed.</summary>
    public static IDisposable EnableGrad(bool enabled = true) => new GradModeScope(enabled);

    private sealed class GradModeScope : IDisposable
    {
        private readonly bool _previous;
        private bool _disposed;

        internal GradModeScope(bool enabled)
        {
            _previous = Native.gd_is_grad_enabled() != 0;
            Native.gd_set_grad_enabled(enabled ? 1 : 0);
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            Native.gd_set_grad_enabled(_previous ? 1 : 0);
        }
    }

    // ------------------------------------------------------------ global state

    /// <summary>Seeds libtorch's global generators (CPU and CUDA), as <c>torch.manual_seed</c>.</summary>
    public static void ManualSeed(long seed) => Native.Check(Native.gd_manual_seed(unchecked((ulong)seed)), "manual_seed");

    /// <summary>Sets libtorch's intra-op thread count (and, on the first call, its inter-op count).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is not positive.</exception>
    public static void SetNumThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Native.Check(Native.gd_set_num_threads(threads), "set_num_threads");
    }

    /// <summary>libtorch's intra-op thread count.</summary>
    public static int NumThreads => Native.gd_get_num_threads();

    /// <summary>Whether libtorch was built with CUDA and sees a GPU.</summary>
    public static bool CudaIsAvailable => Native.gd_cuda_is_available() != 0;

    /// <summary>How many CUDA devices libtorch sees (0 with a CPU-only build).</summary>
    public static int CudaDeviceCount => Native.gd_cuda_device_count();

    /// <summary>
    /// Benchmark support: adds <paramref name="a"/> and <paramref name="b"/> <paramref name="iterations"/>
    /// times inside the native library (no managed transitions), the libtorch floor that the
    /// binding's per-call overhead is measured against.
    /// </summary>
    public static void NativeAddLoop(Tensor a, Tensor b, long iterations) =>
        Native.Check(Native.gd_bench_add_loop(a.H, b.H, iterations), "bench_add_loop");

    // ------------------------------------------------------------ composite kernels

    /// <summary>
    /// <c>-[t log σ(x) + (1 - t) log(1 - σ(x))]</c>, computed stably from logits (one libtorch kernel).
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor target, Reduction reduction = Reduction.Mean) =>
        Tensor.Wrap(Native.gd_bce_with_logits(logits.H, target.H, (int)reduction), "binary_cross_entropy_with_logits");

    /// <summary>Squared error <c>(a - b)^2</c>, reduced.</summary>
    public static Tensor MseLoss(Tensor a, Tensor b, Reduction reduction = Reduction.Mean) =>
        Tensor.Wrap(Native.gd_mse_loss(a.H, b.H, (int)reduction), "mse_loss");

    /// <summary>
    /// Squared Euclidean distances between the rows of <paramref name="a"/> [N,D] and <paramref name="b"/> [M,D]: [N,M].
    /// Computed as <c>‖a‖² + ‖b‖² − 2abᵀ</c> (one matmul) clamped at 0.
    /// </summary>
    public static Tensor PairwiseSquaredDistances(Tensor a, Tensor b) =>
        Tensor.Wrap(Native.gd_pairwise_sqdist(a.H, b.H), "pairwise_squared_distances");
}
