using System.Runtime.InteropServices;

namespace GanDsl.Torch;

/// <summary>
/// Borrows the raw pointer of an optional tensor (or generator) for one native call: the
/// SafeHandle's reference count is raised so a concurrent dispose or finalization cannot
/// free the native object mid-call. For required arguments the P/Invoke marshaller does
/// this itself; optional ones and lists go through here (null becomes a null pointer).
/// </summary>
internal ref struct HandleLease
{
    private readonly SafeHandle? _handle;
    private bool _added;

    internal HandleLease(SafeHandle? handle)
    {
        _handle = handle;
        _added = false;
        Pointer = IntPtr.Zero;
        if (handle is null) return;
        handle.DangerousAddRef(ref _added);
        Pointer = handle.DangerousGetHandle();
    }

    /// <summary>The native pointer, or zero when no handle was given.</summary>
    internal IntPtr Pointer { get; }

    public void Dispose()
    {
        if (_added) _handle!.DangerousRelease();
        _added = false;
    }
}

/// <summary>Borrows the raw pointers of a list of tensors (null entries allowed) for one native call.</summary>
internal sealed class HandleListLease : IDisposable
{
    private readonly SafeHandle?[] _handles;
    private readonly bool[] _added;

    internal HandleListLease(IReadOnlyList<Tensor?> tensors, string op)
    {
        Pointers = new IntPtr[tensors.Count];
        _handles = new SafeHandle?[tensors.Count];
        _added = new bool[tensors.Count];
        try
        {
            for (var i = 0; i < tensors.Count; i++)
            {
                if (tensors[i] is not { } t) continue;
                var h = t.GetHandle(op);
                h.DangerousAddRef(ref _added[i]);
                _handles[i] = h;
                Pointers[i] = h.DangerousGetHandle();
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The native pointers, zero where the list held null.</summary>
    internal IntPtr[] Pointers { get; }

    public void Dispose()
    {
        for (var i = 0; i < _handles.Length; i++)
        {
            if (_added[i]) _handles[i]!.DangerousRelease();
            _added[i] = false;
        }
    }
}
