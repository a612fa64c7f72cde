using System.Runtime.CompilerServices;

namespace GanDsl.Torch;

/// <summary>
/// A libtorch tensor. Owns its native handle: dispose it (directly or through a
/// <see cref="DisposeScope"/>) to free the memory at once; using it after that throws
/// <see cref="ObjectDisposedException"/>. Operations follow PyTorch's semantics (broadcasting,
/// type promotion, autograd); every failure inside libtorch is a <see cref="TorchException"/>
/// named after the operation. Every method that returns a tensor other than <c>this</c>
/// returns a new handle the caller owns (or the innermost scope, when there is one).
/// </summary>
public sealed unsafe class Tensor : IDisposable
{
    private readonly TensorHandle _handle;

    /// <summary>Takes ownership of a native handle (non-null) and registers with the innermost scope.</summary>
    internal Tensor(IntPtr handle)
    {
        _handle = new TensorHandle(handle);
        Interlocked.Increment(ref Torch.LiveCount);
        DisposeScope.Current?.Add(this);
    }

    /// <summary>The scope that will dispose this tensor, if any.</summary>
    internal DisposeScope? Scope { get; set; }

    /// <summary>The native handle; throws <see cref="ObjectDisposedException"/> once disposed.</summary>
    internal TensorHandle H
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _handle.IsClosed ? throw Disposed() : _handle;
    }

    internal TensorHandle GetHandle(string op) => _handle.IsClosed ? throw Disposed(op) : _handle;

    private static ObjectDisposedException Disposed(string? op = null) => new(
        nameof(Tensor),
        (op is null ? "" : $"{op}: ") + "this tensor has been disposed (directly or by its dispose scope); " +
        "keep it alive with MoveToOuterScope()/DetachFromScope() or Clone() it before the scope ends.");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Tensor Wrap(IntPtr handle, string op) => new(Native.Check(handle, op));

    /// <summary>Whether this tensor has been disposed.</summary>
    public bool IsDisposed => _handle.IsClosed;

    /// <summary>Frees the native tensor (idempotent). Views of it and graphs through it stay valid.</summary>
    public void Dispose() => _handle.Dispose();

    // ------------------------------------------------------------ metadata

    /// <summary>The size of each dimension.</summary>
    public long[] Shape
    {
        get
        {
            var h = H;
            var shape = new long[Native.gd_dim(h)];
            fixed (long* p = shape) Native.gd_sizes(h, p);
            return shape;
        }
    }

    /// <summary>The number of dimensions.</summary>
    public long Dim => Native.gd_dim(H);

    /// <summary>The number of elements.</summary>
    public long NumEl => Native.gd_numel(H);

    /// <summary>The element type.</summary>
    public DType DType => (DType)Native.gd_dtype(H);

    /// <summary>The device the tensor lives on.</summary>
    public Device Device
    {
        get
        {
            Native.gd_device(H, out var type, out var index);
            return new Device((DeviceType)type, index);
        }
    }

    /// <summary>Whether autograd records operations on this tensor. Setting it is allowed on leaves only (libtorch's rule).</summary>
    public bool RequiresGrad
    {
        get => Native.gd_requires_grad(H) != 0;
        set => Native.Check(Native.gd_set_requires_grad(H, value ? 1 : 0), "requires_grad_");
    }

    /// <summary>Whether this is a leaf of the autograd graph (created by the user, not by a recorded operation).</summary>
    public bool IsLeaf => Native.gd_is_leaf(H) != 0;

    /// <summary>
    /// The gradient accumulated by <see cref="Backward"/>, or null when there is none. Each read
    /// returns a new handle onto the same storage (dispose it; in-place updates on it change the gradient).
    /// </summary>
    public Tensor? Grad
    {
        get
        {
            Native.Check(Native.gd_grad(H, out var g), "grad");
            return g == IntPtr.Zero ? null : new Tensor(g);
        }
    }

    /// <summary>A short description: shape, dtype and device (not the values).</summary>
    public override string ToString() =>
        IsDisposed ? "Tensor(disposed)" : $"Tensor[{string.Join(", ", Shape)}] {DType} {Device}";

    // ------------------------------------------------------------ data

    /// <summary>Copies the values, converted to <typeparamref name="T"/> (float, double, long or bool), into a new row-major array.</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        var dtype = Torch.DTypeOf<T>();
        var h = H;
        var values = new T[Native.gd_numel(h)];
        fixed (T* p = values)
            Native.Check(Native.gd_copy_to_host(h, p, (long)values.Length * sizeof(T), (int)dtype), "to_array");
        return values;
    }

    /// <summary>The value of a one-element tensor, as a double.</summary>
    public double Item()
    {
        Native.Check(Native.gd_item(H, out var value), "item");
        return value;
    }

    /// <summary>This tensor on <paramref name="device"/> (a new handle even when it is already there).</summary>
    public Tensor ToDevice(Device device) => Wrap(Native.gd_to(H, (int)DType, (int)device.Type, device.Index), "to");

    /// <summary>This tensor converted to <paramref name="dtype"/> (differentiable between float types).</summary>
    public Tensor ToDType(DType dtype)
    {
        var d = Device;
        return Wrap(Native.gd_to(H, (int)dtype, (int)d.Type, d.Index), "to");
    }

    // ------------------------------------------------------------ arithmetic

    private Tensor Unary(Native.Unary op, string name) => Wrap(Native.gd_unary((int)op, H), name);
    private Tensor Binary(Native.Binary op, Tensor other, string name) => Wrap(Native.gd_binary((int)op, H, other.H), name);
    private Tensor WithScalar(Native.ScalarOp op, double s, string name) => Wrap(Native.gd_binary_scalar((int)op, H, s), name);

    /// <summary><c>a + b</c>, broadcasting.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => a.Binary(Native.Binary.Add, b, "add");
    /// <summary><c>a + s</c>.</summary>
    public static Tensor operator +(Tensor a, double s) => a.WithScalar(Native.ScalarOp.Add, s, "add");
    /// <summary><c>s + a</c>.</summary>
    public static Tensor operator +(double s, Tensor a) => a.WithScalar(Native.ScalarOp.Add, s, "add");
    /// <summary><c>a - b</c>, broadcasting.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => a.Binary(Native.Binary.Sub, b, "sub");
    /// <summary><c>a - s</c>.</summary>
    public static Tensor operator -(Tensor a, double s) => a.WithScalar(Native.ScalarOp.Sub, s, "sub");
    /// <summary><c>s - a</c>.</summary>
    public static Tensor operator -(double s, Tensor a) => a.WithScalar(Native.ScalarOp.RSub, s, "rsub");
    /// <summary><c>a * b</c> elementwise, broadcasting.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => a.Binary(Native.Binary.Mul, b, "mul");
    /// <summary><c>a * s</c>.</summary>
    public static Tensor operator *(Tensor a, double s) => a.WithScalar(Native.ScalarOp.Mul, s, "mul");
    /// <summary><c>s * a</c>.</summary>
    public static Tensor operator *(double s, Tensor a) => a.WithScalar(Native.ScalarOp.Mul, s, "mul");
    /// <summary><c>a / b</c> elementwise (true division), broadcasting.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => a.Binary(Native.Binary.Div, b, "div");
    /// <summary><c>a / s</c>.</summary>
    public static Tensor operator /(Tensor a, double s) => a.WithScalar(Native.ScalarOp.Div, s, "div");
    /// <summary><c>s / a</c>.</summary>
    public static Tensor operator /(double s, Tensor a) => a.WithScalar(Native.ScalarOp.RDiv, s, "rdiv");
    /// <summary><c>-a</c>.</summary>
    public static Tensor operator -(Tensor a) => a.Unary(Native.Unary.Neg, "neg");

    /// <summary><c>this + alpha * other</c>.</summary>
    public Tensor Add(Tensor other, double alpha = 1) => Wrap(Native.gd_add_alpha(H, other.H, alpha, 0), "add");
    /// <summary><c>this - alpha * other</c>.</summary>
    public Tensor Sub(Tensor other, double alpha = 1) => Wrap(Native.gd_add_alpha(H, other.H, alpha, 1), "sub");
    /// <summary><c>this * other</c> elementwise.</summary>
    public Tensor Mul(Tensor other) => Binary(Native.Binary.Mul, other, "mul");
    /// <summary><c>this * s</c>.</summary>
    public Tensor Mul(double s) => WithScalar(Native.ScalarOp.Mul, s, "mul");
    /// <summary><c>this / other</c> elementwise.</summary>
    public Tensor Div(Tensor other) => Binary(Native.Binary.Div, other, "div");
    /// <summary><c>this / s</c>.</summary>
    public Tensor Div(double s) => WithScalar(Native.ScalarOp.Div, s, "div");
    /// <summary><c>-this</c>.</summary>
    public Tensor Neg() => Unary(Native.Unary.Neg, "neg");
    /// <summary>Elementwise <c>e^x</c>.</summary>
    public Tensor Exp() => Unary(Native.Unary.Exp, "exp");
    /// <summary>Elementwise natural logarithm.</summary>
    public Tensor Log() => Unary(Native.Unary.Log, "log");
    /// <summary>Elementwise square root.</summary>
    public Tensor Sqrt() => Unary(Native.Unary.Sqrt, "sqrt");
    /// <summary>Elementwise absolute value.</summary>
    public Tensor Abs() => Unary(Native.Unary.Abs, "abs");
    /// <summary>Elementwise <c>x^2</c>.</summary>
    public Tensor Square() => Unary(Native.Unary.Square, "square");
    /// <summary>Elementwise <c>x^p</c>.</summary>
    public Tensor Pow(double exponent) => WithScalar(Native.ScalarOp.Pow, exponent, "pow");
    /// <summary>Elementwise <c>x^e</c>, broadcasting.</summary>
    public Tensor Pow(Tensor exponent) => Binary(Native.Binary.Pow, exponent, "pow");

    /// <summary>Clamps into [min, max]; a null bound is not applied (gradient 0 where clamped, as PyTorch).</summary>
    public Tensor Clamp(double? min = null, double? max = null) =>
        Wrap(Native.gd_clamp(H, min.HasValue ? 1 : 0, min ?? 0, max.HasValue ? 1 : 0, max ?? 0), "clamp");

    /// <summary>Elementwise logistic function <c>1 / (1 + e^-x)</c>.</summary>
    public Tensor Sigmoid() => Unary(Native.Unary.Sigmoid, "sigmoid");
    /// <summary>Elementwise <c>log(sigmoid(x))</c>, computed stably (no overflow for large |x|).</summary>
    public Tensor LogSigmoid() => Unary(Native.Unary.LogSigmoid, "log_sigmoid");
    /// <summary>Elementwise <c>log(1 + e^x)</c>, computed stably (PyTorch's softplus, beta 1, threshold 20).</summary>
    public Tensor Softplus() => Unary(Native.Unary.Softplus, "softplus");
    /// <summary>Elementwise <c>max(x, 0)</c>.</summary>
    public Tensor Relu() => Unary(Native.Unary.Relu, "relu");
    /// <summary>Elementwise <c>x</c> for x &gt; 0, <c>slope * x</c> otherwise.</summary>
    public Tensor LeakyRelu(double slope = 0.01) => WithScalar(Native.ScalarOp.LeakyRelu, slope, "leaky_relu");
    /// <summary>Elementwise hyperbolic tangent.</summary>
    public Tensor Tanh() => Unary(Native.Unary.Tanh, "tanh");

    // ------------------------------------------------------------ comparisons (bool results)

    /// <summary>Elementwise <c>this == other</c>.</summary>
    public Tensor Eq(Tensor other) => Binary(Native.Binary.Eq, other, "eq");
    /// <summary>Elementwise <c>this == s</c>.</summary>
    public Tensor Eq(double s) => WithScalar(Native.ScalarOp.Eq, s, "eq");
    /// <summary>Elementwise <c>this &lt; other</c>.</summary>
    public Tensor Lt(Tensor other) => Binary(Native.Binary.Lt, other, "lt");
    /// <summary>Elementwise <c>this &lt; s</c>.</summary>
    public Tensor Lt(double s) => WithScalar(Native.ScalarOp.Lt, s, "lt");
    /// <summary>Elementwise <c>this &gt; other</c>.</summary>
    public Tensor Gt(Tensor other) => Binary(Native.Binary.Gt, other, "gt");
    /// <summary>Elementwise <c>this &gt; s</c>.</summary>
    public Tensor Gt(double s) => WithScalar(Native.ScalarOp.Gt, s, "gt");

    // ------------------------------------------------------------ reductions

    private Tensor ReduceDims(Native.Reduce op, long[] dims, bool keepDim, string name)
    {
        fixed (long* p = dims) return Wrap(Native.gd_reduce_dims((int)op, H, p, dims.Length, keepDim ? 1 : 0), name);
    }

    /// <summary>Sum of all elements (a 0-d tensor).</summary>
    public Tensor Sum() => Unary(Native.Unary.Sum, "sum");
    /// <summary>Sum over <paramref name="dims"/>.</summary>
    public Tensor Sum(long[] dims, bool keepDim = false) => ReduceDims(Native.Reduce.Sum, dims, keepDim, "sum");
    /// <summary>Mean of all elements (a 0-d tensor).</summary>
    public Tensor Mean() => Unary(Native.Unary.Mean, "mean");
    /// <summary>Mean over <paramref name="dims"/>.</summary>
    public Tensor Mean(long[] dims, bool keepDim = false) => ReduceDims(Native.Reduce.Mean, dims, keepDim, "mean");
    /// <summary>Standard deviation of all elements (Bessel-corrected when <paramref name="unbiased"/>, PyTorch's default).</summary>
    public Tensor Std(bool unbiased = true) => Unary(unbiased ? Native.Unary.StdUnbiased : Native.Unary.StdBiased, "std");
    /// <summary>Standard deviation over <paramref name="dims"/>.</summary>
    public Tensor Std(long[] dims, bool unbiased = true, bool keepDim = false) =>
        ReduceDims(unbiased ? Native.Reduce.StdUnbiased : Native.Reduce.StdBiased, dims, keepDim, "std");
    /// <summary>Largest element (a 0-d tensor).</summary>
    public Tensor Max() => Unary(Native.Unary.Max, "max");
    /// <summary>Smallest element (a 0-d tensor).</summary>
    public Tensor Min() => Unary(Native.Unary.Min, "min");

    /// <summary>Largest values along <paramref name="dim"/> and their (int64) indices.</summary>
    public (Tensor Values, Tensor Indices) Max(long dim, bool keepDim = false) => MaxMin(dim, keepDim, false, "max");
    /// <summary>Smallest values along <paramref name="dim"/> and their (int64) indices.</summary>
    public (Tensor Values, Tensor Indices) Min(long dim, bool keepDim = false) => MaxMin(dim, keepDim, true, "min");

    private (Tensor, Tensor) MaxMin(long dim, bool keepDim, bool isMin, string name)
    {
        Native.Check(Native.gd_max_min_dim(H, dim, keepDim ? 1 : 0, isMin ? 1 : 0, out var v, out var i), name);
        return (new Tensor(v), new Tensor(i));
    }

    /// <summary>The p-norm of all elements taken as one vector.</summary>
    public Tensor Norm(double p = 2) => Wrap(Native.gd_norm(H, p), "norm");

    /// <summary>The p-norm over <paramref name="dims"/> (<c>torch.linalg.vector_norm</c>).</summary>
    public Tensor VectorNorm(double p, long[] dims, bool keepDim = false)
    {
        fixed (long* d = dims) return Wrap(Native.gd_vector_norm(H, p, d, dims.Length, keepDim ? 1 : 0), "vector_norm");
    }

    /// <summary>The Euclidean norm of each sample, <c>‖flatten(x[i])‖₂</c>: shape [B] (gradient 0 at a zero row, as PyTorch).</summary>
    public Tensor PerSampleNorm() => Unary(Native.Unary.PerSampleNorm, "per_sample_norm");

    // ------------------------------------------------------------ linear algebra, shape

    /// <summary>Matrix product with broadcasting (<c>torch.matmul</c>).</summary>
    public Tensor Matmul(Tensor other) => Binary(Native.Binary.Matmul, other, "matmul");
    /// <summary>Transpose of a 2-d tensor (a view).</summary>
    public Tensor T() => Unary(Native.Unary.T, "t");
    /// <summary>Swaps dimensions <paramref name="dim0"/> and <paramref name="dim1"/> (a view).</summary>
    public Tensor Transpose(long dim0, long dim1) => Wrap(Native.gd_transpose(H, dim0, dim1), "transpose");

    /// <summary>The same elements in <paramref name="shape"/> (a view when possible, else a copy); one size may be -1.</summary>
    public Tensor Reshape(params long[] shape)
    {
        fixed (long* p = shape) return Wrap(Native.gd_reshape(H, p, shape.Length), "reshape");
    }

    /// <summary>A view with <paramref name="shape"/>; fails when the memory layout does not allow one.</summary>
    public Tensor View(params long[] shape)
    {
        fixed (long* p = shape) return Wrap(Native.gd_view(H, p, shape.Length), "view");
    }

    /// <summary>Merges dimensions <paramref name="startDim"/>..<paramref name="endDim"/> into one.</summary>
    public Tensor Flatten(long startDim = 0, long endDim = -1) => Wrap(Native.gd_flatten(H, startDim, endDim), "flatten");
    /// <summary><c>x[..., start:end:step, ...]</c> along <paramref name="dim"/> (a view).</summary>
    public Tensor Slice(long dim, long start, long end, long step = 1) => Wrap(Native.gd_slice(H, dim, start, end, step), "slice");
    /// <summary>The sub-tensor at <paramref name="index"/> along <paramref name="dim"/>, which is removed (a view).</summary>
    public Tensor Select(long dim, long index) => Wrap(Native.gd_select(H, dim, index), "select");
    /// <summary><paramref name="length"/> entries from <paramref name="start"/> along <paramref name="dim"/> (a view).</summary>
    public Tensor Narrow(long dim, long start, long length) => Wrap(Native.gd_narrow(H, dim, start, length), "narrow");
    /// <summary>Inserts a dimension of size 1 at <paramref name="dim"/>.</summary>
    public Tensor Unsqueeze(long dim) => Wrap(Native.gd_unsqueeze(H, dim), "unsqueeze");
    /// <summary>Removes dimension <paramref name="dim"/> when its size is 1.</summary>
    public Tensor Squeeze(long dim) => Wrap(Native.gd_squeeze(H, dim), "squeeze");
    /// <summary>Removes every dimension of size 1.</summary>
    public Tensor Squeeze() => Unary(Native.Unary.SqueezeAll, "squeeze");
    /// <summary>A copy (differentiable).</summary>
    public Tensor Clone() => Unary(Native.Unary.Clone, "clone");
    /// <summary>A tensor with the same values laid out contiguously (this data, in a new handle, when already contiguous).</summary>
    public Tensor Contiguous() => Unary(Native.Unary.Contiguous, "contiguous");

    // ------------------------------------------------------------ autograd

    /// <summary>
    /// Accumulates the gradient of this tensor into the <see cref="Grad"/> of every leaf it
    /// depends on. <paramref name="gradient"/> may be omitted for a one-element tensor.
    /// </summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false)
    {
        using var g = new HandleLease(gradient?.GetHandle("backward"));
        Native.Check(Native.gd_backward(H, g.Pointer, retainGraph ? 1 : 0, createGraph ? 1 : 0), "backward");
    }

    /// <summary>A tensor sharing this data but cut from the autograd graph.</summary>
    public Tensor Detach() => Unary(Native.Unary.Detach, "detach");

    /// <summary>Sets <see cref="RequiresGrad"/> in place and returns this tensor.</summary>
    public Tensor RequiresGrad_(bool requiresGrad = true)
    {
        RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>Drops the accumulated gradient (<c>.grad = None</c>).</summary>
    public void ZeroGrad() => Native.Check(Native.gd_zero_grad(H), "zero_grad");

    // ------------------------------------------------------------ in place (return this)

    /// <summary><c>this += alpha * other</c> in place.</summary>
    public Tensor Add_(Tensor other, double alpha = 1)
    {
        Native.Check(Native.gd_add_(H, other.H, alpha), "add_");
        return this;
    }

    /// <summary><c>this -= alpha * other</c> in place.</summary>
    public Tensor Sub_(Tensor other, double alpha = 1)
    {
        Native.Check(Native.gd_sub_(H, other.H, alpha), "sub_");
        return this;
    }

    /// <summary><c>this *= s</c> in place.</summary>
    public Tensor Mul_(double s)
    {
        Native.Check(Native.gd_mul_scalar_(H, s), "mul_");
        return this;
    }

    /// <summary>Clamps into [min, max] in place; a null bound is not applied.</summary>
    public Tensor Clamp_(double? min = null, double? max = null)
    {
        Native.Check(Native.gd_clamp_(H, min.HasValue ? 1 : 0, min ?? 0, max.HasValue ? 1 : 0, max ?? 0), "clamp_");
        return this;
    }

    /// <summary>Sets every element to 0 in place.</summary>
    public Tensor Zero_()
    {
        Native.Check(Native.gd_zero_(H), "zero_");
        return this;
    }

    /// <summary>Sets every element to <paramref name="value"/> in place.</summary>
    public Tensor Fill_(double value)
    {
        Native.Check(Native.gd_fill_(H, value), "fill_");
        return this;
    }

    /// <summary>Copies <paramref name="source"/>'s values (broadcast, converted) into this tensor in place.</summary>
    public Tensor CopyFrom_(Tensor source)
    {
        Native.Check(Native.gd_copy_(H, source.H), "copy_");
        return this;
    }

    // ------------------------------------------------------------ scopes

    /// <summary>
    /// Moves this tensor from its dispose scope to the next outer one (or to no scope, so the
    /// caller owns it, when its scope is outermost). Returns this tensor.
    /// </summary>
    public Tensor MoveToOuterScope()
    {
        Scope?.MoveToOuter(this);
        return this;
    }

    /// <summary>Removes this tensor from every dispose scope: the caller must dispose it. Returns this tensor.</summary>
    public Tensor DetachFromScope()
    {
        Scope?.Remove(this);
        return this;
    }
}
