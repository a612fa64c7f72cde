using GanDsl.Torch;

namespace GanDsl.Nn;

/// <summary>
/// Base of every layer and model: a forward function plus named parameters and buffers,
/// with PyTorch's naming (<c>0.weight</c>, <c>net.2.bias</c>).
/// </summary>
/// <remarks>
/// <para>
/// A module owns the tensors it registers (<see cref="RegisterParameter"/>,
/// <see cref="RegisterBuffer"/>) and the child modules it registers
/// (<see cref="RegisterModule{T}"/>); <see cref="Dispose()"/> frees them all.
/// Names are dotted paths as in PyTorch's <c>state_dict</c>, so a parameter file or a
/// comparison with a PyTorch model can match tensors by name.
/// </para>
/// <para>
/// <see cref="To(Device)"/> and <see cref="ToDType"/> replace the parameter tensors by new
/// ones (libtorch has no in-place device or dtype change): build optimizers after moving
/// or converting a model, never before.
/// </para>
/// </remarks>
public abstract class Module : IDisposable
{
    private readonly List<TensorSlot> _parameters = new();
    private readonly List<TensorSlot> _buffers = new();
    private readonly List<(string Name, Module Module)> _children = new();
    private bool _disposed;

    /// <summary>Applies the module to <paramref name="input"/>.</summary>
    /// <remarks>The caller owns the returned tensor; the input is never disposed.</remarks>
    public abstract Tensor Forward(Tensor input);

    /// <summary>Whether the module is in training mode (the default); see <see cref="Train"/>.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Every trainable parameter with its dotted name, in registration order (as PyTorch's <c>named_parameters</c>).</summary>
    public virtual IEnumerable<(string Name, Tensor Parameter)> NamedParameters()
    {
        foreach (var s in _parameters) yield return (s.Name, s.Value);
        foreach (var (name, child) in _children)
            foreach (var (n, t) in child.NamedParameters()) yield return ($"{name}.{n}", t);
    }

    /// <summary>Every trainable parameter, in registration order.</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>
    /// Every buffer (state that is saved but not trained, such as batch-norm running statistics
    /// and spectral-norm power-iteration vectors) with its dotted name, as PyTorch's <c>named_buffers</c>.
    /// </summary>
    public virtual IEnumerable<(string Name, Tensor Buffer)> NamedBuffers()
    {
        foreach (var s in _buffers) yield return (s.Name, s.Value);
        foreach (var (name, child) in _children)
            foreach (var (n, t) in child.NamedBuffers()) yield return ($"{name}.{n}", t);
    }

    /// <summary>The directly registered child modules with their names.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => _children;

    /// <summary>
    /// Sets training mode (<paramref name="training"/> true) or evaluation mode on this module and
    /// every descendant: batch norm then uses batch or running statistics, spectral norm runs or
    /// skips its power iteration.
    /// </summary>
    /// <returns>This module, for chaining.</returns>
    public Module Train(bool training = true)
    {
        IsTraining = training;
        foreach (var (_, child) in _children) child.Train(training);
        foreach (var wrapped in WrappedModules()) wrapped.Train(training);
        return this;
    }

    /// <summary>Sets evaluation mode: the same as <c>Train(false)</c>.</summary>
    /// <returns>This module, for chaining.</returns>
    public Module Eval() => Train(false);

    /// <summary>
    /// Moves every parameter and buffer to <paramref name="device"/>. Parameters stay leaves that
    /// require gradients; existing gradients are dropped.
    /// </summary>
    /// <returns>This module, for chaining.</returns>
    public Module To(Device device)
    {
        ReplaceTensors(t => t.ToDevice(device), floatingOnly: false);
        return this;
    }

    /// <summary>
    /// Converts every floating-point parameter and buffer to <paramref name="dtype"/> (for example
    /// <see cref="DType.Float64"/> for numeric checks); integer buffers such as batch norm's
    /// <c>num_batches_tracked</c> keep their type. Existing gradients are dropped.
    /// </summary>
    /// <returns>This module, for chaining.</returns>
    public Module ToDType(DType dtype)
    {
        if (dtype is not (DType.Float32 or DType.Float64))
            throw new ArgumentException($"A module's parameters can be converted to Float32 or Float64, not {dtype}.", nameof(dtype));
        ReplaceTensors(t => t.ToDType(dtype), floatingOnly: true);
        return this;
    }

    /// <summary>Registers a trainable parameter; the module takes ownership of <paramref name="value"/> and makes it a leaf that requires gradients.</summary>
    /// <param name="name">The parameter's local name (<c>weight</c>, <c>bias</c>).</param>
    /// <param name="value">The initial value.</param>
    /// <returns>The slot that holds the current tensor (it changes on <see cref="To(Device)"/> and <see cref="ToDType"/>).</returns>
    protected TensorSlot RegisterParameter(string name, Tensor value)
    {
        CheckNewName(name);
        value.RequiresGrad_(true);
        var slot = new TensorSlot(name, ModuleTensors.Own(value), isParameter: true);
        _parameters.Add(slot);
        return slot;
    }

    /// <summary>Registers a buffer (saved, moved and converted with the module, but not trained); the module takes ownership of <paramref name="value"/>.</summary>
    /// <param name="name">The buffer's local name (<c>running_mean</c>).</param>
    /// <param name="value">The initial value.</param>
    /// <returns>The slot that holds the current tensor.</returns>
    protected TensorSlot RegisterBuffer(string name, Tensor value)
    {
        CheckNewName(name);
        var slot = new TensorSlot(name, ModuleTensors.Own(value), isParameter: false);
        _buffers.Add(slot);
        return slot;
    }

    /// <summary>Registers a child module under <paramref name="name"/>; its tensors are named <c>name.local</c>. The parent takes ownership.</summary>
    /// <returns><paramref name="module"/>, for field initialisation.</returns>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckNewName(name);
        _children.Add((name, module));
        return module;
    }

    /// <summary>
    /// Every slot of this module and its descendants, whatever their public names. Used for
    /// device and dtype moves and disposal; a module that renames tensors (spectral norm) still
    /// reaches them here.
    /// </summary>
    internal virtual IEnumerable<TensorSlot> AllSlots()
    {
        foreach (var s in _parameters) yield return s;
        foreach (var s in _buffers) yield return s;
        foreach (var (_, child) in _children)
            foreach (var s in child.AllSlots()) yield return s;
    }

    /// <summary>Modules owned but not registered as children, because their tensors appear under this module's own names (spectral norm's layer).</summary>
    internal virtual IEnumerable<Module> WrappedModules() => [];

    /// <summary>Throws <see cref="ObjectDisposedException"/> after <see cref="Dispose()"/>.</summary>
    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Frees every tensor the module and its descendants own.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Dispose(true);
        foreach (var slot in _parameters.Concat(_buffers)) slot.Value.Dispose();
        foreach (var (_, child) in _children) child.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees what a derived module owns beyond its registered tensors and children.</summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }

    private void ReplaceTensors(Func<Tensor, Tensor> convert, bool floatingOnly)
    {
        ThrowIfDisposed();
        using var noGrad = Torch.Torch.NoGrad();
        foreach (var slot in AllSlots())
        {
            var old = slot.Value;
            if (floatingOnly && old.DType is not (DType.Float32 or DType.Float64)) continue;
            var converted = convert(old);
            if (ReferenceEquals(converted, old)) continue;
            if (slot.IsParameter) converted.RequiresGrad_(true);
            slot.Value = ModuleTensors.Own(converted);
            old.Dispose();
        }
    }

    private void CheckNewName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('.'))
            throw new ArgumentException($"'{name}' contains a dot; dots separate the levels of a module's tensor names.", nameof(name));
        if (_parameters.Any(s => s.Name == name) || _buffers.Any(s => s.Name == name) || _children.Any(c => c.Name == name))
            throw new ArgumentException($"'{name}' is already registered on this {GetType().Name}.", nameof(name));
    }
}

/// <summary>
/// Holds one tensor a module owns (a parameter or a buffer). Layers keep the slot, not the
/// tensor, because <see cref="Module.To(Device)"/> and <see cref="Module.ToDType"/> replace it.
/// </summary>
public sealed class TensorSlot
{
    internal TensorSlot(string name, Tensor value, bool isParameter)
    {
        Name = name;
        Value = value;
        IsParameter = isParameter;
    }

    /// <summary>The local name (<c>weight</c>).</summary>
    public string Name { get; }

    /// <summary>The current tensor.</summary>
    public Tensor Value { get; internal set; }

    /// <summary>True for a trainable parameter, false for a buffer.</summary>
    public bool IsParameter { get; }
}
