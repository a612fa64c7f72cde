using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Formats;

/// <summary>
/// One named tensor as stored in a tensor file: its dtype, shape and raw little-endian bytes
/// (row-major). Independent of libtorch, so a file can be read and checked completely before any
/// tensor is touched.
/// </summary>
/// <param name="Name">The dotted name (<c>0.weight</c>, <c>optimizer.G.0.exp_avg</c>).</param>
/// <param name="DType">The element type.</param>
/// <param name="Shape">The shape (empty for a scalar).</param>
/// <param name="Data">The elements, row-major, little-endian; length = numel · element size.</param>
public sealed record TensorRecord(string Name, ScalarType DType, long[] Shape, byte[] Data)
{
    /// <summary>Number of elements (the product of the shape; 1 for a scalar).</summary>
    public long NumEl => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Copies <paramref name="tensor"/> (any device) into a record.</summary>
    public static TensorRecord FromTensor(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var host = tensor.detach().cpu().contiguous();
        byte[] data = host.dtype switch
        {
            ScalarType.Float32 or ScalarType.Float64 or ScalarType.Int64 or ScalarType.Bool or ScalarType.Byte => host.bytes.ToArray(),
            var other => throw new NotSupportedException($"Tensor '{name}' has dtype {other}, which tensor files do not store."),
        };
        return new TensorRecord(name, host.dtype, host.shape, data);
    }

    /// <summary>A float64 scalar record (for a checkpoint's step counter, a loss state value).</summary>
    public static TensorRecord Scalar(string name, double value) =>
        new(name, ScalarType.Float64, [], BitConverter.GetBytes(value));

    /// <summary>An int64 scalar record.</summary>
    public static TensorRecord Scalar(string name, long value) =>
        new(name, ScalarType.Int64, [], BitConverter.GetBytes(value));

    /// <summary>The value of a one-element record as a double (int64 and bool are converted).</summary>
    public double ScalarValue()
    {
        if (NumEl != 1) throw new InvalidOperationException($"'{Name}' holds {NumEl} elements, not one.");
        return DType switch
        {
            ScalarType.Float32 => BitConverter.ToSingle(Data),
            ScalarType.Float64 => BitConverter.ToDouble(Data),
            ScalarType.Int64 => BitConverter.ToInt64(Data),
            ScalarType.Bool => Data[0] != 0 ? 1 : 0,
            ScalarType.Byte => Data[0],
            _ => throw new NotSupportedException(this.DType.ToString()),
        };
    }

    /// <summary>A new tensor with this record's values, on <paramref name="device"/> (the CPU by default).</summary>
    public Tensor ToTensor(Device? device = null)
    {
        var shape = (long[])Shape.Clone();
        var host = DType switch
        {
            ScalarType.Float32 => torch.tensor(MemoryMarshal.Cast<byte, float>(Data).ToArray(), shape),
            ScalarType.Float64 => torch.tensor(MemoryMarshal.Cast<byte, double>(Data).ToArray(), shape),
            ScalarType.Int64 => torch.tensor(MemoryMarshal.Cast<byte, long>(Data).ToArray(), shape),
            ScalarType.Bool => torch.tensor(Data.Select(b => b != 0).ToArray(), shape),
            ScalarType.Byte => torch.tensor((byte[])Data.Clone(), shape),
            _ => throw new NotSupportedException(this.DType.ToString()),
        };
        if (device is null || device.type == DeviceType.CPU) return host;
        using (host) return host.to(device);
    }
}

/// <summary>Thrown when a tensor file is missing, corrupt, of another version, or does not fit what it is loaded into.</summary>
public sealed class TensorFileException : IOException
{
    /// <summary>Creates the exception.</summary>
    public TensorFileException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>
/// Reads and writes collections of named tensors: GanDsl's parameter and checkpoint files.
/// </summary>
/// <remarks>
/// <para>Format, version 1 (all integers little-endian; also in docs/parameter-files.md):</para>
/// <code>
/// offset  size         field
/// 0       8            magic: ASCII "GANDSLT1"
/// 8       4  uint32    format version (1)
/// 12      4  uint32    entry count N
/// 16      ...          N entries, each:
///                        uint32        name length L in bytes
///                        L bytes       name, UTF-8
///                        uint8         dtype: 1 float32, 2 float64, 3 int64, 4 bool (one byte, 0 or 1), 5 uint8
///                        uint8         rank R (0 for a scalar)
///                        R × int64     shape
///                        uint64        data length D in bytes (= numel · element size)
///                        D bytes       elements, row-major, little-endian
/// end−32  32           SHA-256 of every byte before it
/// </code>
/// <para>
/// Names are unique within a file. Files are written to a temporary file in the target's folder,
/// flushed to disk (fsync), then renamed over the target, so a crash or an error never leaves a
/// half-written file under the target's name and never damages the previous file. Reading checks the
/// magic, the version, the checksum and the structure before returning anything.
/// </para>
/// </remarks>
public static class TensorFile
{
    /// <summary>The format version this build writes and reads.</summary>
    public const uint Version = 1;

    private static readonly byte[] Magic = "GANDSLT1"u8.ToArray();
    private const int HashSize = 32;
    private const int HeaderSize = 16;

    private static readonly AsyncLocal<Func<Stream, Stream>?> s_writeStreamDecorator = new();

    /// <summary>
    /// Test hook: wraps the stream the body is written to (for example with one that fails midway,
    /// to check that a failed write leaves the previous file intact). Null in normal use; flows with
    /// the async context, so a test setting it does not affect tests running beside it.
    /// </summary>
    internal static Func<Stream, Stream>? WriteStreamDecoratorForTests
    {
        get => s_writeStreamDecorator.Value;
        set => s_writeStreamDecorator.Value = value;
    }

    /// <summary>Writes <paramref name="records"/> to <paramref name="path"/> atomically (temporary file, fsync, rename).</summary>
    /// <exception cref="ArgumentException">Two records share a name, or a record's data length does not fit its shape.</exception>
    /// <exception cref="IOException">The folder does not exist or cannot be written; the previous file, if any, is unchanged.</exception>
    public static void Write(string path, IEnumerable<TensorRecord> records)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var list = records.ToList();
        Validate(list);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Cannot write '{full}': the folder '{folder}' does not exist. Create it first.");
        AtomicFile.Write(full, file =>
        {
            var stream = WriteStreamDecoratorForTests?.Invoke(file) ?? file;
            WriteBody(stream, list);
            stream.Flush();
        }, createDirectory: false);
    }

    /// <summary>Reads every record of the file at <paramref name="path"/>, checking magic, version, checksum and structure.</summary>
    /// <exception cref="TensorFileException">The file is missing, not a tensor file, of another version, truncated or corrupt.</exception>
    public static IReadOnlyList<TensorRecord> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(full);
        }
        catch (FileNotFoundException e)
        {
            throw new TensorFileException($"'{full}' does not exist. Check the path, or save the model or checkpoint first.", e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new TensorFileException($"'{full}' does not exist (its folder is missing). Check the path.", e);
        }
        return Parse(bytes, full);
    }

    /// <summary>Parses a whole file held in memory; <paramref name="source"/> names it in error messages.</summary>
    public static IReadOnlyList<TensorRecord> Parse(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length < Magic.Length || !bytes[..Magic.Length].SequenceEqual(Magic))
            throw new TensorFileException($"'{source}' is not a GanDsl tensor file (it does not start with \"GANDSLT1\"). Give the path of a file " +
                "written by ParameterFile.Save or a GanDsl checkpoint.");
        if (bytes.Length < HeaderSize + HashSize)
            throw new TensorFileException($"'{source}' is truncated ({bytes.Length} bytes, shorter than an empty file). It was not written completely; " +
                "use another copy or save it again.");
        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        if (version != Version)
            throw new TensorFileException($"'{source}' has format version {version}; this build of GanDsl reads version {Version}. Use the GanDsl " +
                "version that wrote it, or save it again with this one.");
        var body = bytes[..^HashSize];
        Span<byte> hash = stackalloc byte[HashSize];
        SHA256.HashData(body, hash);
        if (!hash.SequenceEqual(bytes[^HashSize..]))
            throw new TensorFileException($"'{source}' is corrupt: its SHA-256 checksum does not match its contents (the file was truncated or changed " +
                "after it was written). Use another copy or save it again.");

        var reader = new SpanReader(body[HeaderSize..], source);
        var count = BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]);
        var records = new List<TensorRecord>((int)Math.Min(count, 4096));
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0u; i < count; i++)
        {
            var nameLength = reader.ReadUInt32();
            var name = Encoding.UTF8.GetString(reader.ReadBytes(nameLength));
            var dtype = DecodeDType(reader.ReadByte(), name, source);
            var rank = reader.ReadByte();
            var shape = new long[rank];
            for (var d = 0; d < rank; d++) shape[d] = reader.ReadInt64();
            var length = reader.ReadUInt64();
            var data = reader.ReadBytes(length).ToArray();
            var record = new TensorRecord(name, dtype, shape, data);
            CheckRecord(record, source);
            if (!names.Add(name)) throw new TensorFileException($"'{source}' is malformed: the name '{name}' appears twice. Save it again.");
            records.Add(record);
        }
        if (!reader.AtEnd)
            throw new TensorFileException($"'{source}' is malformed: {reader.Remaining} bytes follow the last entry. Save it again.");
        return records;
    }

    /// <summary>Element size in bytes of the dtypes tensor files store.</summary>
    public static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => 4,
        ScalarType.Float64 => 8,
        ScalarType.Int64 => 8,
        ScalarType.Bool => 1,
        ScalarType.Byte => 1,
        _ => throw new NotSupportedException($"Tensor files do not store dtype {dtype}."),
    };

    private static void WriteBody(Stream stream, List<TensorRecord> records)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Put(ReadOnlySpan<byte> span)
        {
            hash.AppendData(span);
            stream.Write(span);
        }
        Span<byte> scratch = stackalloc byte[8];
        Put(Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(scratch, Version);
        Put(scratch[..4]);
        BinaryPrimitives.WriteUInt32LittleEndian(scratch, (uint)records.Count);
        Put(scratch[..4]);
        foreach (var r in records)
        {
            var name = Encoding.UTF8.GetBytes(r.Name);
            BinaryPrimitives.WriteUInt32LittleEndian(scratch, (uint)name.Length);
            Put(scratch[..4]);
            Put(name);
            scratch[0] = EncodeDType(r.DType);
            scratch[1] = (byte)r.Shape.Length;
            Put(scratch[..2]);
            foreach (var d in r.Shape)
            {
                BinaryPrimitives.WriteInt64LittleEndian(scratch, d);
                Put(scratch);
            }
            BinaryPrimitives.WriteUInt64LittleEndian(scratch, (ulong)r.Data.LongLength);
            Put(scratch);
            Put(r.Data);
        }
        stream.Write(hash.GetHashAndReset());
    }

    private static void Validate(List<TensorRecord> records)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Tensor files are little-endian; this machine is big-endian.");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in records)
        {
            ArgumentNullException.ThrowIfNull(r);
            if (!names.Add(r.Name)) throw new ArgumentException($"Two tensors are named '{r.Name}'; names in a tensor file must be unique.", nameof(records));
            if (r.Shape.Length > byte.MaxValue) throw new ArgumentException($"'{r.Name}' has rank {r.Shape.Length}; at most 255 is stored.", nameof(records));
            if (r.Shape.Any(d => d < 0)) throw new ArgumentException($"'{r.Name}' has a negative size in its shape.", nameof(records));
            var expected = r.NumEl * ElementSize(r.DType);
            if (r.Data.LongLength != expected)
                throw new ArgumentException($"'{r.Name}' holds {r.Data.LongLength} bytes, but shape [{string.Join(", ", r.Shape)}] of {r.DType} needs " +
                    $"{expected}.", nameof(records));
        }
    }

    private static void CheckRecord(TensorRecord r, string source)
    {
        if (r.Shape.Any(d => d < 0) || r.Data.LongLength != r.NumEl * ElementSize(r.DType))
            throw new TensorFileException($"'{source}' is malformed: entry '{r.Name}' has {r.Data.LongLength} bytes for shape " +
                $"[{string.Join(", ", r.Shape)}] of {r.DType}. Save it again.");
    }

    private static byte EncodeDType(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => 1,
        ScalarType.Float64 => 2,
        ScalarType.Int64 => 3,
        ScalarType.Bool => 4,
        ScalarType.Byte => 5,
        _ => throw new NotSupportedException($"Tensor files do not store dtype {dtype}."),
    };

    private static ScalarType DecodeDType(byte code, string name, string source) => code switch
    {
        1 => ScalarType.Float32,
        2 => ScalarType.Float64,
        3 => ScalarType.Int64,
        4 => ScalarType.Bool,
        5 => ScalarType.Byte,
        _ => throw new TensorFileException($"'{source}' is malformed: entry '{name}' has unknown dtype code {code}. Save it again."),
    };

    /// <summary>Bounds-checked sequential reads of a file body; running past the end is a clear error.</summary>
    private ref struct SpanReader
    {
        private readonly ReadOnlySpan<byte> _bytes;
        private readonly string _source;
        private int _position;

        public SpanReader(ReadOnlySpan<byte> bytes, string source)
        {
            _bytes = bytes;
            _source = source;
            _position = 0;
        }

        public readonly bool AtEnd => _position == _bytes.Length;

        public readonly int Remaining => _bytes.Length - _position;

        public ReadOnlySpan<byte> ReadBytes(ulong count)
        {
            if (count > (ulong)Remaining)
                throw new TensorFileException($"'{_source}' is malformed: an entry runs past the end of the file. Save it again.");
            var span = _bytes.Slice(_position, (int)count);
            _position += (int)count;
            return span;
        }

        public byte ReadByte() => ReadBytes(1)[0];

        public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4));

        public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(ReadBytes(8));

        public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8));
    }
}
