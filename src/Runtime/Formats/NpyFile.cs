using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace GanDsl.Formats;

/// <summary>A float32 array read from or written to a <c>.npy</c> file: row-major <see cref="Data"/> of shape <see cref="Shape"/>.</summary>
/// <param name="Data">Values in C (row-major) order.</param>
/// <param name="Shape">Dimensions; empty for a 0-d scalar.</param>
public sealed record NpyArray(float[] Data, long[] Shape);

/// <summary>
/// Reader and writer of NumPy's <c>.npy</c> format (versions 1.0–3.0) for little-endian float32 arrays in
/// C order: the magic "\x93NUMPY", a version, a header length, a Python dict literal
/// <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (N, D), }</c> padded so the data starts on a
/// 64-byte boundary, then the raw values.
/// </summary>
public static partial class NpyFile
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Writes <paramref name="data"/> with the given <paramref name="shape"/> atomically (temp file, then rename).</summary>
    /// <exception cref="ArgumentException">When the shape's element count differs from the data length.</exception>
    public static void Write(string path, ReadOnlySpan<float> data, IReadOnlyList<long> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long count = ShapeUtil.Product(shape);
        if (count != data.Length)
            throw new ArgumentException($"Shape {ShapeUtil.Format(shape)} holds {count} values but {data.Length} were given.", nameof(shape));
        byte[] bytes = Encode(data, shape);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>Writes an <see cref="NpyArray"/> atomically.</summary>
    public static void Write(string path, NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        Write(path, array.Data, array.Shape);
    }

    /// <summary>The bytes of a <c>.npy</c> file holding <paramref name="data"/>.</summary>
    public static byte[] Encode(ReadOnlySpan<float> data, IReadOnlyList<long> shape)
    {
        var (bytes, offset) = Allocate("<f4", shape, 4L * data.Length);
        Span<byte> body = bytes.AsSpan(offset);
        for (int i = 0; i < data.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(body[(4 * i)..], data[i]);
        return bytes;
    }

    /// <summary>
    /// Writes little-endian int64 <paramref name="data"/> (class labels: <c>samples_labels.npy</c>) with the given
    /// <paramref name="shape"/> atomically; NumPy reads it as <c>int64</c>.
    /// </summary>
    /// <exception cref="ArgumentException">When the shape's element count differs from the data length.</exception>
    public static void WriteInt64(string path, ReadOnlySpan<long> data, IReadOnlyList<long> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long count = ShapeUtil.Product(shape);
        if (count != data.Length)
            throw new ArgumentException($"Shape {ShapeUtil.Format(shape)} holds {count} values but {data.Length} were given.", nameof(shape));
        var (bytes, offset) = Allocate("<i8", shape, 8L * data.Length);
        Span<byte> body = bytes.AsSpan(offset);
        for (int i = 0; i < data.Length; i++)
            BinaryPrimitives.WriteInt64LittleEndian(body[(8 * i)..], data[i]);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>A file's bytes: the header for dtype <paramref name="descr"/> and <paramref name="shape"/>, then room for the values from
    /// <c>BodyOffset</c>.</summary>
    private static (byte[] Bytes, int BodyOffset) Allocate(string descr, IReadOnlyList<long> shape, long bodyLength)
    {
        string shapeText = shape.Count switch
        {
            0 => "()",
            1 => $"({shape[0].ToString(CultureInfo.InvariantCulture)},)",
            _ => "(" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")",
        };
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        // Version 1.0 has a 2-byte header length, 2.0 a 4-byte one; pad with spaces and end with '\n'
        // so that magic + version + length + header is a multiple of 64.
        int prefix = 6 + 2 + 2;
        int headerLength = PaddedLength(prefix, dict.Length);
        byte major = 1;
        if (headerLength > ushort.MaxValue)
        {
            prefix = 6 + 2 + 4;
            headerLength = PaddedLength(prefix, dict.Length);
            major = 2;
        }
        string header = dict.PadRight(headerLength - 1) + "\n";

        var bytes = new byte[prefix + headerLength + bodyLength];
        Magic.CopyTo(bytes);
        bytes[6] = major;
        bytes[7] = 0;
        if (major == 1) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)headerLength);
        else BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)headerLength);
        Encoding.ASCII.GetBytes(header, bytes.AsSpan(prefix));
        return (bytes, prefix + headerLength);
    }

    private static int PaddedLength(int prefix, int dictLength)
    {
        int total = prefix + dictLength + 1; // + '\n'
        int padded = (total + 63) / 64 * 64;
        return padded - prefix;
    }

    /// <summary>Reads a little-endian float32 C-order <c>.npy</c> file.</summary>
    /// <exception cref="FileNotFoundException">When the file does not exist.</exception>
    /// <exception cref="DataFileException">
    /// When the file is not <c>.npy</c>, has a malformed header, another dtype, Fortran order, or is truncated;
    /// the message names the file, the problem, and how to save a compatible array.
    /// </exception>
    public static NpyArray Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"The .npy file '{path}' does not exist.", path);
        return Decode(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses the bytes of a <c>.npy</c> file; <paramref name="path"/> is only used in messages.</summary>
    public static NpyArray Decode(ReadOnlySpan<byte> bytes, string path = "<memory>")
    {
        var (descr, fortran, shape, dataStart) = ReadHeader(bytes, path);
        if (descr != "<f4")
        {
            string hint = descr switch
            {
                ">f4" => "it is big-endian float32",
                "<f8" or "=f8" => "it is float64",
                _ => $"its dtype is '{descr}'",
            };
            throw new DataFileException(path,
                $"The .npy file '{path}' cannot be used: {hint}; only little-endian float32 ('<f4') is supported. " +
                "Convert it with numpy: numpy.save(path, array.astype('<f4')).");
        }
        if (fortran)
            throw new DataFileException(path,
                $"The .npy file '{path}' is stored in Fortran (column-major) order; only C order is supported. " +
                "Convert it with numpy: numpy.save(path, numpy.ascontiguousarray(array)).");

        long count = CheckDataLength(bytes.Length - dataStart, shape, 4, "float32", path);
        var data = new float[count];
        ReadOnlySpan<byte> body = bytes[(int)dataStart..];
        for (int i = 0; i < data.Length; i++)
            data[i] = BinaryPrimitives.ReadSingleLittleEndian(body[(4 * i)..]);
        return new NpyArray(data, shape);
    }

    /// <summary>
    /// Reads class labels from a C-order <c>.npy</c> file of integers (int8 to int64, uint8 to uint64, either byte order)
    /// or of floats that hold whole numbers (float32, float64: labels saved beside float data), for
    /// <c>gan train --labels</c>. Checks the dtype and that every value is a whole number within int64; the rank, sign
    /// and count are the dataset's to check.
    /// </summary>
    /// <exception cref="FileNotFoundException">When the file does not exist.</exception>
    /// <exception cref="DataFileException">When the file is not <c>.npy</c>, has another dtype, Fortran order, a value that is not a whole number, or is
    /// truncated.</exception>
    public static (long[] Values, long[] Shape) ReadLabels(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"The .npy file '{path}' does not exist.", path);
        ReadOnlySpan<byte> bytes = File.ReadAllBytes(path);
        var (descr, fortran, shape, dataStart) = ReadHeader(bytes, path);
        if (fortran)
            throw new DataFileException(path, $"The labels file '{path}' is stored in Fortran (column-major) order; save it with numpy.save(path, " +
                "numpy.ascontiguousarray(labels)).");
        // descr: byte order ('<', '>', '|' or '='), kind (i, u, f) and size in bytes.
        var kind = descr.Length == 3 ? descr[1] : '?';
        var size = descr.Length == 3 && descr[2] is '1' or '2' or '4' or '8' ? descr[2] - '0' : 0;
        var bigEndian = descr.Length == 3 && descr[0] == '>';
        if (kind is not ('i' or 'u' or 'f') || size == 0 || kind == 'f' && size < 4)
            throw new DataFileException(path,
                $"The labels file '{path}' has dtype '{descr}'; labels are integers (int64, int32, uint8, ...) or whole-number floats. " +
                "Save them with numpy.save(path, labels.astype('int64')).");
        long count = CheckDataLength(bytes.Length - dataStart, shape, size, descr, path);
        var values = new long[count];
        var body = bytes[(int)dataStart..];
        for (int i = 0; i < values.Length; i++)
        {
            var item = body.Slice(i * size, size);
            double asFloat;
            switch (kind, size)
            {
                case ('i' or 'u', 1): values[i] = kind == 'i' ? (sbyte)item[0] : item[0]; continue;
                case ('i', 2): values[i] = bigEndian ? BinaryPrimitives.ReadInt16BigEndian(item) : BinaryPrimitives.ReadInt16LittleEndian(item); continue;
                case ('u', 2): values[i] = bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(item) : BinaryPrimitives.ReadUInt16LittleEndian(item); continue;
                case ('i', 4): values[i] = bigEndian ? BinaryPrimitives.ReadInt32BigEndian(item) : BinaryPrimitives.ReadInt32LittleEndian(item); continue;
                case ('u', 4): values[i] = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(item) : BinaryPrimitives.ReadUInt32LittleEndian(item); continue;
                case ('i', 8): values[i] = bigEndian ? BinaryPrimitives.ReadInt64BigEndian(item) : BinaryPrimitives.ReadInt64LittleEndian(item); continue;
                case ('u', 8):
                    var u = bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(item) : BinaryPrimitives.ReadUInt64LittleEndian(item);
                    values[i] = u <= long.MaxValue ? (long)u : throw new DataFileException(path, $"Label {i} of '{path}' is {u}, beyond int64.");
                    continue;
                case ('f', 4): asFloat = bigEndian ? BinaryPrimitives.ReadSingleBigEndian(item) : BinaryPrimitives.ReadSingleLittleEndian(item); break;
                default: asFloat = bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(item) : BinaryPrimitives.ReadDoubleLittleEndian(item); break;
            }
            if (!(Math.Floor(asFloat) == asFloat && Math.Abs(asFloat) < 9.2e18))
                throw new DataFileException(path, $"Label {i} of '{path}' is {asFloat.ToString(CultureInfo.InvariantCulture)}, not a whole number: " +
                    "labels are class indices 0, 1, ..., K-1.");
            values[i] = (long)asFloat;
        }
        return (values, shape);
    }

    /// <summary>The element count of <paramref name="shape"/>, checked against the bytes that follow the header.</summary>
    private static long CheckDataLength(long available, long[] shape, int itemSize, string dtype, string path)
    {
        long count;
        try { count = ShapeUtil.Product(shape); }
        catch (Exception e) when (e is OverflowException or ArgumentException)
        {
            throw new DataFileException(path, $"The .npy file '{path}' has an invalid shape {ShapeUtil.Format(shape)}.", e);
        }
        if (count > Array.MaxLength || available < itemSize * count)
            throw new DataFileException(path,
                $"The .npy file '{path}' is truncated: shape {ShapeUtil.Format(shape)} needs {itemSize * count} bytes of {dtype} data, " +
                $"but {available} follow the header.");
        if (available > itemSize * count)
            throw new DataFileException(path,
                $"The .npy file '{path}' has {available - itemSize * count} bytes after the {count} values its shape {ShapeUtil.Format(shape)} declares; " +
                "the header and data disagree.");
        return count;
    }

    /// <summary>The preamble and header of a <c>.npy</c> file: its dtype, order, shape, and where its data starts.</summary>
    private static (string Descr, bool Fortran, long[] Shape, long DataStart) ReadHeader(ReadOnlySpan<byte> bytes, string path)
    {
        if (bytes.Length < 10 || !bytes[..6].SequenceEqual(Magic))
            throw new DataFileException(path, $"'{path}' is not a .npy file (it does not start with \\x93NUMPY). Save the array with numpy.save.");
        byte major = bytes[6];
        int prefix;
        long headerLength;
        if (major == 1)
        {
            prefix = 10;
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
        }
        else if (major is 2 or 3)
        {
            if (bytes.Length < 12) throw new DataFileException(path, $"The .npy file '{path}' is truncated inside its header.");
            prefix = 12;
            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        }
        else
        {
            throw new DataFileException(path, $"The .npy file '{path}' has format version {major}.{bytes[7]}; versions 1.0 to 3.0 are supported.");
        }
        if (prefix + headerLength > bytes.Length)
            throw new DataFileException(path, $"The .npy file '{path}' is truncated: its header claims {headerLength} bytes but the file has " +
                $"{bytes.Length - prefix} after the preamble.");

        // Version 3.0 allows UTF-8 in the header; the fields we accept are ASCII either way.
        string header = Encoding.UTF8.GetString(bytes.Slice(prefix, (int)headerLength)).Trim();
        var (descr, fortran, shape) = ParseHeader(header, path);
        return (descr, fortran, shape, prefix + headerLength);

    }

    private static (string Descr, bool Fortran, long[] Shape) ParseHeader(string header, string path)
    {
        DataFileException Bad(string what) =>
            new(path, $"The .npy file '{path}' has a malformed header ({what}): {Truncate(header)}");

        if (!header.StartsWith('{') || !header.EndsWith('}'))
            throw Bad("not a Python dict literal");

        Match descr = DescrPattern().Match(header);
        if (!descr.Success) throw Bad("no 'descr' entry");
        Match fortran = FortranPattern().Match(header);
        if (!fortran.Success) throw Bad("no 'fortran_order' entry");
        Match shape = ShapePattern().Match(header);
        if (!shape.Success) throw Bad("no 'shape' tuple");

        var dims = new List<long>();
        foreach (string part in shape.Groups[1].Value.Split(','))
        {
            string trimmed = part.Trim();
            if (trimmed.Length == 0) continue; // trailing comma of a 1-tuple
            if (!long.TryParse(trimmed.TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out long d))
                throw Bad($"shape entry '{trimmed}' is not a non-negative integer");
            dims.Add(d);
        }
        return (descr.Groups[1].Value, fortran.Groups[1].Value == "True", dims.ToArray());
    }

    private static string Truncate(string s) => s.Length <= 200 ? s : s[..200] + "…";

    [GeneratedRegex(@"['""]descr['""]\s*:\s*['""]([^'""]*)['""]")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"['""]fortran_order['""]\s*:\s*(True|False)\b")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"['""]shape['""]\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
