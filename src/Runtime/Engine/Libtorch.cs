using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;

namespace GanDsl;

/// <summary>
/// Process-wide libtorch settings GanDsl applies: the OpenMP wait policy and MKL's fast path on non-Intel CPUs
/// (<see cref="MklFastPath"/>) before libtorch loads, glibc keeping freed tensor memory, the thread count, and silencing libtorch's per-convolution NNPACK
/// warning on CPUs it does not support.
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
        KeepFreedMemory();
        // Before libtorch loads, so that libtorch's reference to MKL's CPU check binds to GanDsl's answer.
        MklFastPath.LoadBeforeLibtorch();
        if (Environment.GetEnvironmentVariable(WaitPolicyVariable) is { Length: > 0 }) return;
        // .NET's Environment.SetEnvironmentVariable does not change the native environment on Unix, which is what
        // libgomp reads; setenv does.
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) _ = setenv(WaitPolicyVariable, "PASSIVE", 0);
        Environment.SetEnvironmentVariable(WaitPolicyVariable, "PASSIVE");
    }

    /// <summary>
    /// Whether glibc keeps freed tensor memory for reuse (see <see cref="KeepFreedMemory"/>): true unless the user
    /// tunes malloc themselves (<c>GLIBC_TUNABLES</c>, <c>MALLOC_*_</c>) or the platform is not glibc.
    /// </summary>
    public static bool KeepsFreedMemory { get; private set; }

    /// <summary>
    /// A training step frees its temporaries when it ends (a dispose scope) and allocates the same sizes again in
    /// the next step. glibc's defaults return such blocks to the kernel (above its mmap threshold, or by trimming the
    /// heap top), so every step faults its pages in again: measured 13–23% of a WGAN-GP iteration in kernel
    /// page-fault code, and a 1-thread ring WGAN-GP iteration of 326–429 ms against 275 ms with blocks up to 32 MiB
    /// kept in the heap and no trimming (docs/benchmarks.md). What PyTorch users get from jemalloc or tcmalloc;
    /// the cost is that the process keeps its peak heap. Larger blocks (evaluation's distance matrices) still go
    /// back to the kernel.
    /// </summary>
    private static void KeepFreedMemory()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("GLIBC_TUNABLES") is { Length: > 0 }
            || Environment.GetEnvironmentVariables().Keys.Cast<string>().Any(k => k.StartsWith("MALLOC_", StringComparison.Ordinal)))
            return;
        try
        {
            const int TrimThreshold = -1, MmapThreshold = -3;   // glibc's M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
            KeepsFreedMemory = mallopt(MmapThreshold, 32 << 20) == 1 & mallopt(TrimThreshold, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // Not glibc (musl has no mallopt): its defaults stay.
        }
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
        Load();
        torch.set_num_threads(threads ?? DefaultThreads);
    }

    /// <summary>
    /// Loads libtorch if needed and silences its noise warnings, leaving the thread count as it is: for code that
    /// runs losses without a <see cref="Training.Trainer"/> (the golden verifier).
    /// </summary>
    public static void Load()
    {
        if (Interlocked.Exchange(ref s_configured, 1) == 0) SilenceNnpackWarning();
    }

    /// <summary>
    /// libtorch 2.x prints "Could not initialize NNPACK! Reason: Unsupported hardware." on every convolution on
    /// CPUs without the instructions NNPACK wants; it then uses its other kernels, so the line is noise. It is a
    /// glog-style warning gated by c10's exported <c>FLAGS_caffe2_log_level</c>: 2 keeps errors only. The same gate
    /// silences "Using backward() with create_graph=True will create a reference cycle": <c>LossOps.Grad</c> takes
    /// penalty gradients that way on purpose (TorchSharp's <c>grad</c> has no native error handler) and clears the
    /// input's <c>.grad</c> right after, which breaks the cycle the warning is about.
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

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int parameter, int value);

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int setenv(string name, string value, int overwrite);
}
