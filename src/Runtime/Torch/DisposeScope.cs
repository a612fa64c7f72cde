namespace GanDsl.Torch;

/// <summary>
/// Disposes, together, every tensor created on this thread while it is the innermost scope
/// (see <see cref="Torch.NewScope"/>). A training step opens one, so its intermediates are freed
/// the moment the step ends instead of whenever the garbage collector runs. Scopes nest;
/// <see cref="MoveToOuter"/> keeps a result alive past the scope.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? t_innermost;

    private readonly DisposeScope? _outer;
    private readonly List<Tensor> _tensors = new();
    private bool _disposed;

    internal DisposeScope()
    {
        _outer = t_innermost;
        t_innermost = this;
    }

    /// <summary>The innermost open scope on this thread, if any.</summary>
    internal static DisposeScope? Current => t_innermost;

    /// <summary>How many tensors this scope will dispose.</summary>
    public int Count => _tensors.Count;

    internal void Add(Tensor t)
    {
        _tensors.Add(t);
        t.Scope = this;
    }

    internal void Remove(Tensor t)
    {
        // Usually the newest entry: search from the end.
        var i = _tensors.LastIndexOf(t);
        if (i >= 0) _tensors.RemoveAt(i);
        t.Scope = null;
    }

    /// <summary>
    /// Hands <paramref name="tensor"/> to the next outer scope (or to no scope, making the caller
    /// its owner, when this one is outermost) and returns it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor does not belong to this scope.</exception>
    public Tensor MoveToOuter(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Scope != this)
            throw new InvalidOperationException("MoveToOuter: the tensor does not belong to this dispose scope.");
        Remove(tensor);
        OpenOuter()?.Add(tensor);
        return tensor;
    }

    /// <summary>Disposes every tensor still in this scope and makes the outer scope innermost again.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _tensors)
        {
            t.Scope = null;
            t.Dispose();
        }
        _tensors.Clear();
        if (t_innermost == this) t_innermost = OpenOuter();
    }

    /// <summary>
    /// The nearest enclosing scope not yet disposed. Scopes disposed out of order are skipped: a tensor
    /// registered with one would never be freed.
    /// </summary>
    private DisposeScope? OpenOuter()
    {
        var outer = _outer;
        while (outer is { _disposed: true }) outer = outer._outer;
        return outer;
    }
}
