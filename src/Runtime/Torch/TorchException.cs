namespace GanDsl.Torch;

/// <summary>
/// A failure inside libtorch (wrong shape, wrong dtype, bad argument), reported by the native
/// shim and rethrown here. The message is <c>"&lt;operation&gt;: &lt;libtorch message&gt;"</c>; the process and
/// every other tensor are unaffected, so the caller can handle it and carry on.
/// </summary>
public sealed class TorchException : InvalidOperationException
{
    /// <summary>Creates the exception for <paramref name="operation"/> failing with libtorch's <paramref name="nativeMessage"/>.</summary>
    public TorchException(string operation, string nativeMessage)
        : base($"{operation}: {nativeMessage}")
    {
        Operation = operation;
        NativeMessage = nativeMessage;
    }

    /// <summary>The tensor operation that failed, e.g. <c>matmul</c>.</summary>
    public string Operation { get; }

    /// <summary>libtorch's own message, without its C++ backtrace.</summary>
    public string NativeMessage { get; }

    /// <summary>Reads the calling thread's last native error and wraps it.</summary>
    internal static TorchException FromNative(string operation) => new(operation, Native.LastError());
}
