using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace GanDsl;

/// <summary>
/// Lets the MKL inside libtorch use its fast (AVX2/AVX-512) kernels on x86-64 processors not made by Intel.
/// </summary>
/// <remarks>
/// <para>
/// libtorch_cpu.so links MKL statically and exports MKL's <c>mkl_serv_intel_cpu_true</c>, which MKL's kernel
/// dispatcher asks (through the PLT, an ordinary dynamic-linker lookup) whether the processor is an Intel one; on
/// any other vendor it answers 0 and MKL runs its generic code: sgemm 256x512x512 at 1 thread measured 59–83
/// GFLOP/s on an AMD EPYC with AVX-512 against 169–185 with the answer 1 (issue 19), and 16–28 against 124–147 on
/// an Intel Xeon made to answer 0 (docs/benchmarks.md). MKL still checks the instruction sets the CPU reports
/// before it uses them.
/// </para>
/// <para>
/// Before libtorch loads, GanDsl loads a tiny shared object of its own with <c>RTLD_GLOBAL</c> that defines
/// <c>mkl_serv_intel_cpu_true</c>; the dynamic linker then binds libtorch's reference to it (a library loaded
/// into the global scope comes before the local scope libtorch is loaded into). Nothing of the vendor's is
/// modified: no file, no code page. The object is written by <see cref="BuildStubElf"/> (a 4 KiB ELF, no C
/// compiler needed on the user's machine) into an anonymous memory file (<c>memfd_create</c>), so nothing is
/// left on disk. Its answer is a variable (<c>gandsl_mkl_intel_cpu</c>), and it counts its calls
/// (<c>gandsl_mkl_intel_cpu_calls</c>): MKL asks once, at its first kernel, and keeps the answer, so the
/// answer can still be changed (<see cref="TrySetEnabled"/>) until then.
/// </para>
/// <para>
/// On by default only on Linux x86-64 with a CPU whose vendor is not GenuineIntel (where it changes something);
/// <c>GANDSL_MKL_FAST_PATH=off</c> (or 0) never loads it, <c>on</c> (or 1) loads it on any x86-64 CPU (the tests use it
/// on Intel machines). MKL's licence and what the docs say about this: docs/performance.md.
/// </para>
/// </remarks>
public static class MklFastPath
{
    /// <summary>The environment variable: <c>auto</c> (default), <c>off</c>/<c>0</c>, <c>on</c>/<c>1</c>.</summary>
    public const string Variable = "GANDSL_MKL_FAST_PATH";

    /// <summary>The symbol MKL asks, which the stub defines.</summary>
    internal const string MklSymbol = "mkl_serv_intel_cpu_true";

    internal const string AnswerSymbol = "gandsl_mkl_intel_cpu";
    internal const string CallsSymbol = "gandsl_mkl_intel_cpu_calls";

    private static IntPtr s_answer, s_calls;

    /// <summary>Whether the stub is loaded (so MKL's question is answered by GanDsl).</summary>
    public static bool IsLoaded => s_answer != IntPtr.Zero;

    /// <summary>Why the stub is or is not loaded, for run headers and config.json.</summary>
    public static string Reason { get; private set; } = "not decided yet";

    /// <summary>
    /// Whether MKL's fast kernels are in use or will be: the stub is loaded and answers 1. False when it is not
    /// loaded (an Intel CPU takes the fast path without it; then <see cref="Describe"/> says so).
    /// </summary>
    public static bool IsActive => IsLoaded && Marshal.ReadInt32(s_answer) == 1;

    /// <summary>How often MKL asked the stub (0 until its first kernel; it asks once or twice and keeps the answer).</summary>
    public static int MklQueries => IsLoaded ? Marshal.ReadInt32(s_calls) : 0;

    /// <summary>One line for run headers: on, off, or not needed, and why.</summary>
    public static string Describe() => IsLoaded
        ? (IsActive ? "on" : "off") + $" ({Reason}{(MklQueries > 0 ? "" : "; MKL has not asked yet")})"
        : $"not loaded ({Reason})";

    /// <summary>
    /// Turns the fast path on or off for this process (TrainOptions.MklFastPath, <c>gan train --no-mkl-fast-path</c>).
    /// Returns false, changing nothing, when it cannot take effect: the stub is not loaded (nothing to turn on or
    /// off: <see cref="Reason"/> says why), or MKL has already asked (it keeps its first answer: set
    /// <see cref="Variable"/> before the process starts instead).
    /// </summary>
    public static bool TrySetEnabled(bool enabled)
    {
        if (!IsLoaded) return false;
        if (IsActive == enabled) return true;
        if (MklQueries > 0) return false;
        Marshal.WriteInt32(s_answer, enabled ? 1 : 0);
        Reason = enabled ? "turned on by the run's options" : "turned off by the run's options";
        return true;
    }

    /// <summary>What the environment asks for: null for automatic, else forced on or off.</summary>
    internal static bool? ParseSetting(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => null,
        "0" or "off" or "false" or "no" => false,
        "1" or "on" or "true" or "yes" => true,
        _ => throw new ArgumentException($"{Variable} must be auto, on (1) or off (0), not '{value}'."),
    };

    /// <summary>The <c>vendor_id</c> of the first processor in a /proc/cpuinfo text; null if there is none.</summary>
    internal static string? CpuVendor(string cpuinfo)
    {
        foreach (var line in cpuinfo.Split('\n'))
            if (line.StartsWith("vendor_id", StringComparison.Ordinal) && line.IndexOf(':') is var colon and > 0)
                return line[(colon + 1)..].Trim();
        return null;
    }

    /// <summary>Whether to load the stub, and why (<paramref name="setting"/> as <see cref="ParseSetting"/> gives it).</summary>
    internal static (bool Load, string Reason) Decide(bool? setting, Architecture architecture, bool linux, string? vendor)
    {
        if (setting == false) return (false, $"{Variable}=off");
        if (!linux || architecture != Architecture.X64) return (false, "only Linux x86-64 needs it");
        if (setting == true) return (true, $"{Variable}=on");
        return vendor switch
        {
            null => (false, "the CPU vendor is unknown"),
            "GenuineIntel" => (false, "an Intel CPU: MKL takes its fast path itself"),
            _ => (true, $"CPU vendor {vendor}, which MKL would run on its generic path"),
        };
    }

    /// <summary>Called by <see cref="Libtorch"/>'s module initializer, before libtorch can load. Never throws.</summary>
    internal static void LoadBeforeLibtorch()
    {
        try
        {
            var linux = OperatingSystem.IsLinux();
            var vendor = linux && File.Exists("/proc/cpuinfo") ? CpuVendor(File.ReadAllText("/proc/cpuinfo")) : null;
            var (load, reason) = Decide(ParseSetting(Environment.GetEnvironmentVariable(Variable)),
                RuntimeInformation.ProcessArchitecture, linux, vendor);
            Reason = reason;
            if (load) Load();
        }
        catch (Exception e)
        {
            // A faster GEMM is not worth a failed start: say why in the header and go on without it.
            Reason = $"could not be loaded: {e.Message}";
            s_answer = s_calls = IntPtr.Zero;
        }
    }

    private static void Load()
    {
        var elf = BuildStubElf();
        var fd = memfd_create("gandsl-mkl-cpu", MfdCloexec);
        string path;
        string? tempDirectory = null;
        if (fd >= 0)
        {
            using var handle = new SafeFileHandle(fd, ownsHandle: true);
            RandomAccess.Write(handle, elf, 0);
            path = $"/proc/self/fd/{fd}";
            Open(path);   // dlopen maps the file; the descriptor can be closed afterwards.
        }
        else
        {
            // No memfd (an old kernel, a sandbox): a private temporary folder, removed once mapped.
            tempDirectory = Directory.CreateTempSubdirectory("gandsl-mkl-").FullName;
            path = Path.Combine(tempDirectory, "libgandsl_mkl_cpu.so");
            File.WriteAllBytes(path, elf);
            try { Open(path); }
            finally { Directory.Delete(tempDirectory, recursive: true); }
        }
    }

    private static void Open(string path)
    {
        var handle = dlopen(path, RtldNow | RtldGlobal);
        if (handle == IntPtr.Zero) throw new InvalidOperationException(Marshal.PtrToStringUTF8(dlerror()) ?? "dlopen failed");
        s_answer = dlsym(handle, AnswerSymbol);
        s_calls = dlsym(handle, CallsSymbol);
        if (s_answer == IntPtr.Zero || s_calls == IntPtr.Zero) throw new InvalidOperationException("the stub's variables are missing");
    }

    /// <summary>
    /// The file of the library that defines <paramref name="symbol"/> first in the process's global scope (what a
    /// library loaded later binds to), or null: for tests, which check that <see cref="MklSymbol"/> is the stub's.
    /// </summary>
    internal static string? GlobalDefinitionFile(string symbol)
    {
        var address = dlsym(IntPtr.Zero, symbol);   // RTLD_DEFAULT
        if (address == IntPtr.Zero || dladdr(address, out var info) == 0) return null;
        return Marshal.PtrToStringUTF8(info.FileName);
    }

    /// <summary>The address of <paramref name="symbol"/> in the stub, for tests (zero when not loaded).</summary>
    internal static IntPtr StubAddress(string symbol) => dlsym(IntPtr.Zero, symbol);

    // ------------------------------------------------------------------ the stub

    /// <summary>
    /// An x86-64 ELF shared object (System V ABI) exporting <c>int mkl_serv_intel_cpu_true(void)</c>, which
    /// atomically counts its calls and returns <c>gandsl_mkl_intel_cpu</c> (initially 1), and those two ints. The
    /// equivalent C:
    /// <code>
    /// int gandsl_mkl_intel_cpu = 1, gandsl_mkl_intel_cpu_calls = 0;
    /// int mkl_serv_intel_cpu_true(void) { __atomic_fetch_add(&amp;gandsl_mkl_intel_cpu_calls, 1, 0); return gandsl_mkl_intel_cpu; }
    /// </code>
    /// Layout: page 0 (read, execute) holds the headers, the symbol hash table, the symbols, their names and the
    /// code; page 1 (read, write) the dynamic section and the two variables. No relocations (the code addresses
    /// the variables relative to itself), no section headers (the loader reads none), a PT_GNU_STACK entry
    /// (else glibc would make the stack executable, which recent versions refuse).
    /// </summary>
    internal static byte[] BuildStubElf()
    {
        const int PageSize = 0x1000;
        const int HashOffset = 0x120, SymOffset = 0x140, StrOffset = 0x1A0, CodeOffset = 0x240;
        const int DynOffset = PageSize, AnswerOffset = PageSize + 0x80, CallsOffset = PageSize + 0x84, DataEnd = PageSize + 0x88;

        var names = new[] { MklSymbol, AnswerSymbol, CallsSymbol, "libgandsl_mkl_cpu.so" };
        var strtab = new List<byte> { 0 };
        var nameIndex = new int[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            nameIndex[i] = strtab.Count;
            strtab.AddRange(Encoding.ASCII.GetBytes(names[i]));
            strtab.Add(0);
        }

        // lock add dword [rip+calls], 1 ; mov eax, dword [rip+answer] ; ret
        var code = new byte[15];
        code[0] = 0xF0; code[1] = 0x83; code[2] = 0x05;
        BinaryPrimitives.WriteInt32LittleEndian(code.AsSpan(3), CallsOffset - (CodeOffset + 8));
        code[7] = 0x01;
        code[8] = 0x8B; code[9] = 0x05;
        BinaryPrimitives.WriteInt32LittleEndian(code.AsSpan(10), AnswerOffset - (CodeOffset + 14));
        code[14] = 0xC3;

        var f = new byte[DataEnd];
        void U16(int at, int v) => BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(at), (ushort)v);
        void U32(int at, long v) => BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(at), (uint)v);
        void U64(int at, long v) => BinaryPrimitives.WriteUInt64LittleEndian(f.AsSpan(at), (ulong)v);

        // ELF header: 64-bit, little-endian, version 1, System V; a shared object for x86-64, 4 program headers.
        f[0] = 0x7F; f[1] = (byte)'E'; f[2] = (byte)'L'; f[3] = (byte)'F';
        f[4] = 2; f[5] = 1; f[6] = 1;
        U16(16, 3); U16(18, 62); U32(20, 1); U64(32, 64); U16(52, 64); U16(54, 56); U16(56, 4); U16(58, 64);

        void ProgramHeader(int index, uint type, uint flags, long offset, long size, long align)
        {
            var at = 64 + index * 56;
            U32(at, type); U32(at + 4, flags); U64(at + 8, offset); U64(at + 16, offset); U64(at + 24, offset);
            U64(at + 32, size); U64(at + 40, size); U64(at + 48, align);
        }
        const uint PtLoad = 1, PtDynamic = 2, PtGnuStack = 0x6474E551, R = 4, W = 2, X = 1;
        ProgramHeader(0, PtLoad, R | X, 0, CodeOffset + code.Length, PageSize);
        ProgramHeader(1, PtLoad, R | W, PageSize, DataEnd - PageSize, PageSize);
        ProgramHeader(2, PtDynamic, R | W, DynOffset, 7 * 16, 8);
        ProgramHeader(3, PtGnuStack, R | W, 0, 0, 16);

        // SysV hash table with one bucket: the lookup walks the chain 3 -> 2 -> 1 comparing names.
        U32(HashOffset, 1); U32(HashOffset + 4, 4); U32(HashOffset + 8, 3);
        U32(HashOffset + 12, 0); U32(HashOffset + 16, 0); U32(HashOffset + 20, 1); U32(HashOffset + 24, 2);

        // Symbols (index 0 is the null symbol): global, default visibility, any defined section index.
        void Symbol(int index, int name, byte type, long value, long size)
        {
            var at = SymOffset + index * 24;
            U32(at, name); f[at + 4] = (byte)(1 << 4 | type); U16(at + 6, 1); U64(at + 8, value); U64(at + 16, size);
        }
        const byte Object = 1, Function = 2;
        Symbol(1, nameIndex[0], Function, CodeOffset, code.Length);
        Symbol(2, nameIndex[1], Object, AnswerOffset, 4);
        Symbol(3, nameIndex[2], Object, CallsOffset, 4);
        strtab.ToArray().CopyTo(f, StrOffset);
        code.CopyTo(f, CodeOffset);

        // Dynamic section: DT_HASH, DT_STRTAB, DT_SYMTAB, DT_STRSZ, DT_SYMENT, DT_SONAME, DT_NULL.
        (long Tag, long Value)[] dynamic = [(4, HashOffset), (5, StrOffset), (6, SymOffset), (10, strtab.Count), (11, 24), (14, nameIndex[3]), (0, 0)];
        for (var i = 0; i < dynamic.Length; i++) { U64(DynOffset + i * 16, dynamic[i].Tag); U64(DynOffset + i * 16 + 8, dynamic[i].Value); }

        U32(AnswerOffset, 1);
        return f;
    }

    // ------------------------------------------------------------------ libc

    private const int RtldNow = 2, RtldGlobal = 0x100;
    private const uint MfdCloexec = 1;

    [StructLayout(LayoutKind.Sequential)]
    private struct DlInfo
    {
        public IntPtr FileName, FileBase, SymbolName, SymbolAddress;
    }

    // libdl.so.2 exists on every glibc (since 2.34 a stub forwarding to libc); musl has no MKL-linked libtorch.
    [DllImport("libdl.so.2")]
    private static extern IntPtr dlopen(string fileName, int flags);

    [DllImport("libdl.so.2")]
    private static extern IntPtr dlsym(IntPtr handle, string symbol);

    [DllImport("libdl.so.2")]
    private static extern IntPtr dlerror();

    [DllImport("libdl.so.2")]
    private static extern int dladdr(IntPtr address, out DlInfo info);

    [DllImport("libc", SetLastError = true)]
    private static extern int memfd_create(string name, uint flags);
}
