using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GanDsl.Torch;

/// <summary>
/// The P/Invoke surface of libgandsl_native.so (src/Native/gandsl_native.cpp; the
/// conventions are described at the top of that file). Plain blittable calls: handles,
/// integers and doubles only, so a call costs little more than libtorch's own dispatch.
/// No SuppressGCTransition: any of these may run long (a matmul, a backward pass).
/// </summary>
internal static unsafe partial class Native
{
    internal const string Lib = "gandsl_native";
    private const string FileName = "libgandsl_native.so";

    // Op codes: keep in step with the enums in gandsl_native.cpp.
    internal enum Unary
    {
        Neg = 0, Exp, Log, Sqrt, Abs, Square, Sigmoid, LogSigmoid, Softplus, Relu, Tanh, T, Detach, Clone,
        Contiguous, PerSampleNorm, Sum, Mean, Max, Min, StdUnbiased, StdBiased, SqueezeAll,
    }

    internal enum Binary { Add = 0, Sub, Mul, Div, Pow, Minimum, Maximum, Eq, Lt, Gt, Matmul }

    internal enum ScalarOp { Add = 0, Sub, Mul, Div, Pow, RSub, RDiv, Eq, Lt, Gt, LeakyRelu }

    internal enum Reduce { Sum = 0, Mean, StdUnbiased, StdBiased }

    /// <summary>
    /// Finds the shim next to this assembly (where the build copies it), else in the
    /// repository's artifacts/native (a test run from an odd working directory).
    /// </summary>
#pragma warning disable CA2255 // a library must register its resolver before its first P/Invoke, whoever calls first
    [ModuleInitializer]
    internal static void RegisterResolver() =>
        NativeLibrary.SetDllImportResolver(typeof(Native).Assembly, Resolve);
#pragma warning restore CA2255

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Lib) return IntPtr.Zero;
        foreach (var candidate in Candidates(assembly))
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var handle))
                return handle;
        return IntPtr.Zero; // fall back to the default probing (LD_LIBRARY_PATH etc.)
    }

    private static IEnumerable<string> Candidates(Assembly assembly)
    {
        var here = Path.GetDirectoryName(assembly.Location);
        if (string.IsNullOrEmpty(here)) here = AppContext.BaseDirectory;
        yield return Path.Combine(here, FileName);
        for (var dir = new DirectoryInfo(here); dir is not null; dir = dir.Parent)
            yield return Path.Combine(dir.FullName, "artifacts", "native", FileName);
    }

    internal static string LastError()
    {
        var p = gd_last_error();
        return p == IntPtr.Zero ? "unknown error" : Marshal.PtrToStringUTF8(p) ?? "unknown error";
    }

    /// <summary>Returns <paramref name="handle"/>, or throws the native error for <paramref name="op"/> when it is null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static IntPtr Check(IntPtr handle, string op) =>
        handle != IntPtr.Zero ? handle : throw TorchException.FromNative(op);

    /// <summary>Throws the native error for <paramref name="op"/> when a status call failed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Check(int status, string op)
    {
        if (status != 0) throw TorchException.FromNative(op);
    }

    [LibraryImport(Lib)] internal static partial IntPtr gd_last_error();
    [LibraryImport(Lib)] internal static partial void gd_free(IntPtr t);

    // creation
    [LibraryImport(Lib)] internal static partial IntPtr gd_zeros(long* shape, int ndim, int dtype, int devType, int devIndex, int requiresGrad);
    [LibraryImport(Lib)] internal static partial IntPtr gd_ones(long* shape, int ndim, int dtype, int devType, int devIndex, int requiresGrad);
    [LibraryImport(Lib)] internal static partial IntPtr gd_full(long* shape, int ndim, double value, int dtype, int devType, int devIndex, int requiresGrad);
    [LibraryImport(Lib)] internal static partial IntPtr gd_scalar(double value, int dtype, int devType, int devIndex);
    [LibraryImport(Lib)] internal static partial IntPtr gd_arange(double start, double end, double step, int dtype, int devType, int devIndex);
    [LibraryImport(Lib)] internal static partial IntPtr gd_rand(long* shape, int ndim, int dtype, int devType, int devIndex, IntPtr gen, int normal);
    [LibraryImport(Lib)] internal static partial IntPtr gd_from_data(void* data, long* shape, int ndim, int dtype, int devType, int devIndex);
    [LibraryImport(Lib)] internal static partial int gd_copy_to_host(TensorHandle t, void* dst, long nbytes, int dtype);

    // metadata
    [LibraryImport(Lib)] internal static partial long gd_dim(TensorHandle t);
    [LibraryImport(Lib)] internal static partial long gd_numel(TensorHandle t);
    [LibraryImport(Lib)] internal static partial void gd_sizes(TensorHandle t, long* sizes);
    [LibraryImport(Lib)] internal static partial int gd_dtype(TensorHandle t);
    [LibraryImport(Lib)] internal static partial void gd_device(TensorHandle t, out int type, out int index);
    [LibraryImport(Lib)] internal static partial int gd_requires_grad(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int gd_is_leaf(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int gd_set_requires_grad(TensorHandle t, int value);
    [LibraryImport(Lib)] internal static partial int gd_grad(TensorHandle t, out IntPtr grad);
    [LibraryImport(Lib)] internal static partial int gd_zero_grad(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int gd_item(TensorHandle t, out double value);
    [LibraryImport(Lib)] internal static partial IntPtr gd_to(TensorHandle t, int dtype, int devType, int devIndex);

    // elementwise, reductions
    [LibraryImport(Lib)] internal static partial IntPtr gd_unary(int op, TensorHandle t);
    [LibraryImport(Lib)] internal static partial IntPtr gd_binary(int op, TensorHandle a, TensorHandle b);
    [LibraryImport(Lib)] internal static partial IntPtr gd_binary_scalar(int op, TensorHandle a, double s);
    [LibraryImport(Lib)] internal static partial IntPtr gd_add_alpha(TensorHandle a, TensorHandle b, double alpha, int subtract);
    [LibraryImport(Lib)] internal static partial IntPtr gd_clamp(TensorHandle t, int hasMin, double min, int hasMax, double max);
    [LibraryImport(Lib)] internal static partial IntPtr gd_reduce_dims(int op, TensorHandle t, long* dims, int ndims, int keepDim);
    [LibraryImport(Lib)] internal static partial int gd_max_min_dim(TensorHandle t, long dim, int keepDim, int isMin, out IntPtr values, out IntPtr indices);
    [LibraryImport(Lib)] internal static partial IntPtr gd_norm(TensorHandle t, double p);
    [LibraryImport(Lib)] internal static partial IntPtr gd_vector_norm(TensorHandle t, double p, long* dims, int ndims, int keepDim);

    // shape
    [LibraryImport(Lib)] internal static partial IntPtr gd_transpose(TensorHandle t, long d0, long d1);
    [LibraryImport(Lib)] internal static partial IntPtr gd_reshape(TensorHandle t, long* shape, int ndim);
    [LibraryImport(Lib)] internal static partial IntPtr gd_view(TensorHandle t, long* shape, int ndim);
    [LibraryImport(Lib)] internal static partial IntPtr gd_flatten(TensorHandle t, long start, long end);
    [LibraryImport(Lib)] internal static partial IntPtr gd_slice(TensorHandle t, long dim, long start, long end, long step);
    [LibraryImport(Lib)] internal static partial IntPtr gd_select(TensorHandle t, long dim, long index);
    [LibraryImport(Lib)] internal static partial IntPtr gd_narrow(TensorHandle t, long dim, long start, long length);
    [LibraryImport(Lib)] internal static partial IntPtr gd_unsqueeze(TensorHandle t, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr gd_squeeze(TensorHandle t, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr gd_cat(IntPtr* list, int n, long dim, int stack);
    [LibraryImport(Lib)] internal static partial IntPtr gd_where(TensorHandle cond, TensorHandle a, TensorHandle b);

    // autograd
    [LibraryImport(Lib)] internal static partial int gd_backward(TensorHandle t, IntPtr gradient, int retainGraph, int createGraph);
    [LibraryImport(Lib)] internal static partial int gd_autograd_grad(IntPtr* outputs, int nOut, IntPtr* inputs, int nIn, IntPtr* gradOutputs, int createGraph, int retainGraph, int allowUnused, IntPtr* result);
    [LibraryImport(Lib)] internal static partial int gd_is_grad_enabled();
    [LibraryImport(Lib)] internal static partial void gd_set_grad_enabled(int enabled);

    // in place
    [LibraryImport(Lib)] internal static partial int gd_add_(TensorHandle self, TensorHandle other, double alpha);
    [LibraryImport(Lib)] internal static partial int gd_sub_(TensorHandle self, TensorHandle other, double alpha);
    [LibraryImport(Lib)] internal static partial int gd_mul_scalar_(TensorHandle self, double s);
    [LibraryImport(Lib)] internal static partial int gd_clamp_(TensorHandle self, int hasMin, double min, int hasMax, double max);
    [LibraryImport(Lib)] internal static partial int gd_zero_(TensorHandle self);
    [LibraryImport(Lib)] internal static partial int gd_fill_(TensorHandle self, double value);
    [LibraryImport(Lib)] internal static partial int gd_copy_(TensorHandle self, TensorHandle src);

    // composite kernels, functional layers
    [LibraryImport(Lib)] internal static partial IntPtr gd_bce_with_logits(TensorHandle logits, TensorHandle target, int reduction);
    [LibraryImport(Lib)] internal static partial IntPtr gd_mse_loss(TensorHandle a, TensorHandle b, int reduction);
    [LibraryImport(Lib)] internal static partial IntPtr gd_pairwise_sqdist(TensorHandle a, TensorHandle b);
    [LibraryImport(Lib)] internal static partial IntPtr gd_linear(TensorHandle x, TensorHandle w, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr gd_conv2d(TensorHandle x, TensorHandle w, IntPtr b, long sh, long sw, long ph, long pw);
    [LibraryImport(Lib)] internal static partial IntPtr gd_conv_transpose2d(TensorHandle x, TensorHandle w, IntPtr b, long sh, long sw, long ph, long pw, long oph, long opw);
    [LibraryImport(Lib)] internal static partial IntPtr gd_batch_norm(TensorHandle x, IntPtr runningMean, IntPtr runningVar, IntPtr w, IntPtr b, int training, double momentum, double eps);
    [LibraryImport(Lib)] internal static partial IntPtr gd_layer_norm(TensorHandle x, long* shape, int ndim, IntPtr w, IntPtr b, double eps);

    // generators, global state
    [LibraryImport(Lib)] internal static partial IntPtr gd_generator_new(ulong seed);
    [LibraryImport(Lib)] internal static partial void gd_generator_free(IntPtr g);
    [LibraryImport(Lib)] internal static partial int gd_generator_get_state(GeneratorHandle g, byte* buf, long capacity, out long length);
    [LibraryImport(Lib)] internal static partial int gd_generator_set_state(GeneratorHandle g, byte* buf, long length);
    [LibraryImport(Lib)] internal static partial int gd_manual_seed(ulong seed);
    [LibraryImport(Lib)] internal static partial int gd_set_num_threads(int n);
    [LibraryImport(Lib)] internal static partial int gd_get_num_threads();
    [LibraryImport(Lib)] internal static partial int gd_cuda_is_available();
    [LibraryImport(Lib)] internal static partial int gd_cuda_device_count();

    // benchmark support: the libtorch floor of a 1-element add, looped in C++
    [LibraryImport(Lib)] internal static partial int gd_bench_add_loop(TensorHandle a, TensorHandle b, long iterations);
}

/// <summary>Owns one native <c>at::Tensor*</c>; frees it exactly once (on dispose or, as a last resort, finalization).</summary>
internal sealed class TensorHandle : SafeHandle
{
    internal TensorHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Native.gd_free(handle);
        Interlocked.Decrement(ref Torch.LiveCount);
        return true;
    }
}

/// <summary>Owns one native <c>at::Generator*</c>.</summary>
internal sealed class GeneratorHandle : SafeHandle
{
    internal GeneratorHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Native.gd_generator_free(handle);
        return true;
    }
}
