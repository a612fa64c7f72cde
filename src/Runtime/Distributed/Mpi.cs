using System.Runtime.InteropServices;

namespace GanDsl.Distributed;

/// <summary>
/// The few calls of the MPI C API that data-parallel training needs, bound at run time: libmpi is loaded by
/// <see cref="Initialize"/> and never before, so a process that trains alone does not need (or load) MPI.
/// </summary>
/// <remarks>
/// <para>
/// Handles: Open MPI's <c>MPI_COMM_WORLD</c>, <c>MPI_FLOAT</c>, <c>MPI_SUM</c>... are the addresses of exported
/// structures (<c>ompi_mpi_comm_world</c>, <c>ompi_mpi_float</c>, <c>ompi_mpi_op_sum</c>), found with
/// <see cref="NativeLibrary.GetExport"/>; <c>MPI_IN_PLACE</c> is <c>(void*)1</c>. MPICH's ABI differs (integer
/// handles such as <c>MPI_COMM_WORLD = 0x44000000</c>, <c>MPI_IN_PLACE = (void*)-1</c>): supporting it is a second
/// <see cref="Handles"/> table. It is not written because no MPICH is installed where this is built and tested;
/// an MPICH library is refused with that explanation rather than called with Open MPI's handles.
/// </para>
/// <para>
/// Errors: MPI's default handler (<c>MPI_ERRORS_ARE_FATAL</c>) aborts the whole job on a failed call, so a
/// non-zero return code is only checked as a backstop. Calls come from one thread at a time
/// (<c>MPI_THREAD_SERIALIZED</c> is requested).
/// </para>
/// </remarks>
public static unsafe class Mpi
{
    /// <summary>Open MPI's <c>MPI_IN_PLACE</c>.</summary>
    private static readonly nint InPlace = 1;

    private sealed record Handles(nint World, nint Byte, nint Float, nint Double, nint Sum, nint Max);

    private static readonly Lock Gate = new();
    private static nint _library;
    private static Handles? _handles;
    private static bool _finalized;

    private static delegate* unmanaged<nint, nint, int, int*, int> _initThread;
    private static delegate* unmanaged<nint, int*, int> _commSize;
    private static delegate* unmanaged<nint, int*, int> _commRank;
    private static delegate* unmanaged<nint, nint, int, nint, nint, nint, int> _allreduce;
    private static delegate* unmanaged<nint, int, nint, int, nint, int> _bcast;
    private static delegate* unmanaged<nint, int> _barrier;
    private static delegate* unmanaged<int> _finalize;

    /// <summary>True once libmpi is loaded and <c>MPI_Init_thread</c> has run in this process.</summary>
    public static bool IsInitialized => _handles is not null;

    /// <summary>The number of ranks of <c>MPI_COMM_WORLD</c> (1 before <see cref="Initialize"/>).</summary>
    public static int Size { get; private set; } = 1;

    /// <summary>This process's rank in <c>MPI_COMM_WORLD</c> (0 before <see cref="Initialize"/>).</summary>
    public static int Rank { get; private set; }

    /// <summary>
    /// Loads libmpi (<c>GANDSL_MPI_LIBRARY</c> when set, else <c>libmpi.so.40</c>, Open MPI 4's, else
    /// <c>libmpi.so</c>) and initialises MPI; does nothing the second time.
    /// </summary>
    /// <exception cref="MpiException">No MPI library, or one that is not Open MPI.</exception>
    public static void Initialize()
    {
        lock (Gate)
        {
            if (_handles is not null) return;
            if (_finalized) throw new MpiException("MPI was already finalized in this process; it cannot be initialised again.");
            var library = Load();
            nint Export(string name) => NativeLibrary.TryGetExport(library, name, out var address) ? address
                : throw new MpiException($"The MPI library has no symbol '{name}'.");
            if (!NativeLibrary.TryGetExport(library, "ompi_mpi_comm_world", out var world))
                throw new MpiException("The MPI library loaded is not Open MPI (it has no 'ompi_mpi_comm_world'): GanDsl binds Open MPI's ABI only. " +
                    "MPICH and its derivatives use integer handles; see docs/distributed.md. Set GANDSL_MPI_LIBRARY to Open MPI's libmpi.so.40.");
            _initThread = (delegate* unmanaged<nint, nint, int, int*, int>)Export("MPI_Init_thread");
            _commSize = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_size");
            _commRank = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_rank");
            _allreduce = (delegate* unmanaged<nint, nint, int, nint, nint, nint, int>)Export("MPI_Allreduce");
            _bcast = (delegate* unmanaged<nint, int, nint, int, nint, int>)Export("MPI_Bcast");
            _barrier = (delegate* unmanaged<nint, int>)Export("MPI_Barrier");
            _finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
            var handles = new Handles(world, Export("ompi_mpi_byte"), Export("ompi_mpi_float"), Export("ompi_mpi_double"),
                Export("ompi_mpi_op_sum"), Export("ompi_mpi_op_max"));

            const int threadSerialized = 2;
            int provided, size, rank;
            Check(_initThread(0, 0, threadSerialized, &provided), "MPI_Init_thread");
            Check(_commSize(handles.World, &size), "MPI_Comm_size");
            Check(_commRank(handles.World, &rank), "MPI_Comm_rank");
            (_library, _handles, Size, Rank) = (library, handles, size, rank);
        }
    }

    private static nint Load()
    {
        var names = Environment.GetEnvironmentVariable("GANDSL_MPI_LIBRARY") is { Length: > 0 } chosen
            ? [chosen]
            : new[] { "libmpi.so.40", "libmpi.so" };
        foreach (var name in names)
            if (NativeLibrary.TryLoad(name, out var handle)) return handle;
        throw new MpiException($"This process was started by an MPI launcher, but no MPI library could be loaded (tried {string.Join(", ", names)}). " +
            "Install Open MPI (Debian: apt-get install openmpi-bin), or set GANDSL_MPI_LIBRARY to the path of its libmpi.so.40.");
    }

    private static Handles H => _handles ?? throw new InvalidOperationException("MPI is not initialised: call Mpi.Initialize() first.");

    /// <summary>Sums <paramref name="count"/> float32 values at <paramref name="buffer"/> over every rank, in place (<c>MPI_IN_PLACE</c>).</summary>
    public static void AllReduceSum(float* buffer, long count) => AllReduce((nint)buffer, count, sizeof(float), H.Float, H.Sum);

    /// <summary>Sums <paramref name="values"/> over every rank, in place.</summary>
    public static void AllReduceSum(Span<double> values)
    {
        fixed (double* p = values) AllReduce((nint)p, values.Length, sizeof(double), H.Double, H.Sum);
    }

    /// <summary>The largest of <paramref name="values"/> over every rank, element-wise, in place.</summary>
    public static void AllReduceMax(Span<double> values)
    {
        fixed (double* p = values) AllReduce((nint)p, values.Length, sizeof(double), H.Double, H.Max);
    }

    /// <summary>MPI counts are C ints: a longer buffer goes in pieces of at most 2³⁰ elements.</summary>
    private static void AllReduce(nint buffer, long count, int elementSize, nint type, nint op)
    {
        const long piece = 1L << 30;
        for (long done = 0; done < count; done += piece)
            Check(_allreduce(InPlace, buffer + (nint)(done * elementSize), (int)Math.Min(piece, count - done), type, op, H.World), "MPI_Allreduce");
    }

    /// <summary>Copies rank <paramref name="root"/>'s <paramref name="length"/> bytes at <paramref name="buffer"/> into every other rank's.</summary>
    public static void Broadcast(byte* buffer, long length, int root = 0)
    {
        const long piece = 1L << 30;
        for (long done = 0; done < length; done += piece)
            Check(_bcast((nint)(buffer + done), (int)Math.Min(piece, length - done), H.Byte, root, H.World), "MPI_Bcast");
    }

    /// <summary>Rank <paramref name="root"/>'s bytes on every rank (the other ranks' <paramref name="bytes"/> are ignored).</summary>
    public static byte[] Broadcast(byte[] bytes, int root = 0)
    {
        Span<double> length = [Rank == root ? bytes.Length : 0];
        AllReduceSum(length); // only the root contributes: its length
        var result = Rank == root ? bytes : new byte[(long)length[0]];
        fixed (byte* p = result) Broadcast(p, result.Length, root);
        return result;
    }

    /// <summary>Waits until every rank has called it.</summary>
    public static void Barrier() => Check(_barrier(H.World), "MPI_Barrier");

    /// <summary>
    /// Finalises MPI when it was initialised (every rank must call it: it synchronises). A process that exits
    /// without it after an error makes the launcher stop the other ranks, which is what an error on one rank needs.
    /// </summary>
    public static void Finish()
    {
        lock (Gate)
        {
            if (_handles is null || _finalized) return;
            _finalized = true;
            _handles = null;
            Check(_finalize(), "MPI_Finalize");
        }
    }

    private static void Check(int code, string call)
    {
        if (code != 0) throw new MpiException($"{call} failed with MPI error code {code} (rank {Rank} of {Size}).");
    }

    /// <summary>Whether libmpi is mapped into this process (reads /proc/self/maps on Linux): for checks that it was never loaded.</summary>
    public static bool LibraryIsMapped()
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps)) return _library != 0;
        foreach (var line in File.ReadLines(maps))
            if (line.Contains("/libmpi.so", StringComparison.Ordinal)) return true;
        return false;
    }
}

/// <summary>MPI is needed but cannot be used: no library, another ABI, a failed call.</summary>
public sealed class MpiException(string message) : Exception(message);
