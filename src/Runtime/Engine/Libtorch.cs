using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;

namespace GanDsl;

/// <summary>
/// Process-wide libtorch settings GanDsl applies: the OpenMP wait policy (before libtorch loads), the
/// thread count, and silencing libtorch's per-convolution NNPACK warning on CPUs it does not support.
/// </summary>
public static class Libtorch
{
    /// <summary>The environment variable OpenMP reads once, when libtorch's OpenMP runtime loads.</summary>
    public const string WaitPolicyVariable = "OMP_WAIT_POLICY";

    private static int s_configured;

    /// <summary>
    /// Runs before any GanDsl runtime type is used: unless the user chose an OpenMP wait policy, GanDsl asks
    /// for <c>PASSIVE</c>. With the default (spinning) policy, libtorch's idle threads burn the cores they wait
    /// on, and a 2-thread run on a machine shared with another process was measured 3–4× slower than with
    /// passive waiting (docs/benchmarks.md). It only takes effect if libtorch has not been loaded yet.
    /// </summary>
    // A library module initializer on purpose (CA2255): it must run before the first TorchSharp call of any caller.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void SetWaitPolicyBeforeLibtorchLoads()
    {
        if (Environment.GetEnvironmentVariable(WaitPolicyVariable) is { Length: > 0 }) return;
        // .NET's Environment.SetEnvironmentVariable does not change the native environment on Unix, which is what
        // libgomp reads; setenv does.
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) _ = setenv(WaitPolicyVariable, "PASSIVE", 0);
        Environment.SetEnvironmentVariable(WaitPolicyVariable, "PASSIVE");
    }

    /// <summary>The OpenMP wait policy in force for this process (as the environment says).</summary>
    public static string WaitPolicy => Environment.GetEnvironmentVariable(WaitPolicyVariable) ?? "(OpenMP default)";

    /// <summary>
    /// The default thread count for training: every core, as libtorch chooses. With passive waiting this
    /// measured as fast as or faster than one thread both on a quiet machine and beside another busy process.
    /// </summary>
    public static int DefaultThreads => Math.Max(1, Environment.ProcessorCount);

    /// <summary>
    /// Loads libtorch if needed, silences its NNPACK warning, and sets the intra-op thread count
    /// (<paramref name="threads"/>, or <see cref="DefaultThreads"/>).
    /// </summary>
    public static void Configure(int? threads = null)
    {
        if (Interlocked.Exchange(ref s_configured, 1) == 0) SilenceNnpackWarning();
        torch.set_num_threads(threads ?? DefaultThreads);
    }

    /// <summary>
    /// libtorch 2.x prints "Could not initialize NNPACK! Reason: Unsupported hardware." on every convolution on
    /// CPUs without the instructions NNPACK wants; it then uses its other kernels, so the line is noise. It is a
    /// glog-style warning gated by c10's exported <c>FLAGS_caffe2_log_level</c>: 2 keeps errors only.
    /// </summary>
    private static void SilenceNnpackWarning()
    {
        _ = torch.get_num_threads();   // loads libtorch (and libc10 with it)
        foreach (var name in new[] { "libc10.so", "libc10.dylib", "c10.dll" })
        {
            if (!NativeLibrary.TryLoad(name, typeof(torch).Assembly, null, out var handle)) continue;
            if (NativeLibrary.TryGetExport(handle, "FLAGS_caffe2_log_level", out var flag) && flag != IntPtr.Zero)
                Marshal.WriteInt32(flag, Math.Max(Marshal.ReadInt32(flag), 2));
            return;
        }
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int setenv(string name, string value, int overwrite);
}
