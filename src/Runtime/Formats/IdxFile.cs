using System.Buffers.Binary;
using System.IO.Compression;

namespace GanDsl.Formats;

/// <summary>Unsigned-byte images read from an IDX file: <see cref="Count"/> × <see cref="Rows"/> × <see cref="Columns"/> pixels.</summary>
/// <param name="Pixels">Row-major pixel values 0..255.</param>
/// <param name="Count">Number of images.</param>
/// <param name="Rows">Image height.</param>
/// <param name="Columns">Image width.</param>
public sealed record IdxImages(byte[] Pixels, int Count, int Rows, int Columns);

/// <summary>
/// Reader of the IDX format of MNIST and Fashion-MNIST (LeCun et al.; Xiao et al. 2017): a big-endian magic
/// 0x00000803 (unsigned bytes, 3 dimensions), the three dimensions as big-endian int32, then the pixels.
/// The file may be gzip-compressed (detected from its first bytes) or raw.
/// </summary>
public static class IdxFile
{
    private const int ImageMagic = 0x00000803;
    private const int LabelMagic = 0x00000801;

    /// <summary>
    /// Reads an IDX1 unsigned-byte label file (magic 0x00000801, a big-endian int32 count, then one byte per label), such
    /// as Fashion-MNIST's <c>train-labels-idx1-ubyte.gz</c>; gzip-compressed or raw.
    /// </summary>
    /// <exception cref="FileNotFoundException">When the file does not exist.</exception>
    /// <exception cref="DataFileException">When the file is truncated, corrupt, or not a label file.</exception>
    public static byte[] ReadLabels(string path)
    {
        using var stream = Open(path, out var what);

        Span<byte> header = stackalloc byte[8];
        int got = ReadFully(stream, header, path, what);
        if (got < 8)
            throw new DataFileException(path, $"The {what} '{path}' is truncated: a label file's header needs 8 bytes, found {got}.");
        int magic = BinaryPrimitives.ReadInt32BigEndian(header);
        if (magic != LabelMagic)
            throw new DataFileException(path,
                $"The {what} '{path}' does not hold labels: magic number 0x{magic:X8}, expected 0x{LabelMagic:X8} (unsigned bytes, 1 dimension)." +
                (magic == ImageMagic ? " This is an image file; pass the labels file (…-labels-idx1-ubyte.gz)." : ""));
        int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        if (count <= 0 || count > Array.MaxLength)
            throw new DataFileException(path, $"The {what} '{path}' has an invalid label count {count}.");
        var labels = new byte[count];
        got = ReadFully(stream, labels, path, what);
        if (got < count)
            throw new DataFileException(path, $"The {what} '{path}' is truncated: the header promises {count} labels, but only {got} follow. " +
                "Re-download or reinstall the file.");
        return labels;
    }

    /// <summary>Reads an IDX3 unsigned-byte image file.</summary>
    /// <exception cref="FileNotFoundException">When the file does not exist.</exception>
    /// <exception cref="DataFileException">When the file is truncated, not gzip although it looks like it, or has a bad header.</exception>
    public static IdxImages ReadImages(string path)
    {
        using var stream = Open(path, out var what);

        Span<byte> header = stackalloc byte[16];
        int got = ReadFully(stream, header, path, what);
        if (got < 16)
            throw new DataFileException(path, $"The {what} '{path}' is truncated: its header needs 16 bytes, found {got}.");
        int magic = BinaryPrimitives.ReadInt32BigEndian(header);
        if (magic != ImageMagic)
            throw new DataFileException(path,
                $"The {what} '{path}' does not hold images: magic number 0x{magic:X8}, expected 0x{ImageMagic:X8} (unsigned bytes, 3 dimensions)." +
                (magic == 0x00000801 ? " This is a label file; pass the images file (…-images-idx3-ubyte.gz)." : ""));
        int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        int rows = BinaryPrimitives.ReadInt32BigEndian(header[8..]);
        int columns = BinaryPrimitives.ReadInt32BigEndian(header[12..]);
        if (count <= 0 || rows <= 0 || columns <= 0 || (long)count * rows * columns > Array.MaxLength)
            throw new DataFileException(path, $"The {what} '{path}' has an invalid shape {count} × {rows} × {columns}.");

        var pixels = new byte[count * rows * columns];
        got = ReadFully(stream, pixels, path, what);
        if (got < pixels.Length)
            throw new DataFileException(path,
                $"The {what} '{path}' is truncated: the header promises {count} images of {rows} × {columns} = {pixels.Length} bytes, " +
                $"but only {got} follow. Re-download or reinstall the file.");
        return new IdxImages(pixels, count, rows, columns);
    }

    /// <summary>Opens an IDX file, decompressing it when it starts like gzip; <paramref name="what"/> describes it for messages.</summary>
    private static Stream Open(string path, out string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"IDX file '{path}' does not exist.", path);
        var file = File.OpenRead(path);
        bool gzip = file.Length >= 2 && file.ReadByte() == 0x1F && file.ReadByte() == 0x8B;
        file.Position = 0;
        what = gzip ? "gzip-compressed IDX file" : "IDX file";
        return gzip ? new GZipStream(file, CompressionMode.Decompress) : file;   // disposing the GZipStream closes the file
    }

    private static int ReadFully(Stream stream, Span<byte> buffer, string path, string what)
    {
        try
        {
            int total = 0;
            while (total < buffer.Length)
            {
                int n = stream.Read(buffer[total..]);
                if (n == 0) break;
                total += n;
            }
            return total;
        }
        catch (InvalidDataException e)
        {
            throw new DataFileException(path, $"The {what} '{path}' is corrupt: {e.Message} Re-download or reinstall the file.", e);
        }
    }
}
