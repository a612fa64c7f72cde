using System.Buffers.Binary;
using System.IO.Compression;
using GanDsl.Data;

namespace GanDsl.Imaging;

/// <summary>
/// Minimal PNG encoder (PNG specification, ISO/IEC 15948): 8-bit RGB, no interlace, filter type 0 on every
/// row, one IDAT chunk compressed with zlib. Enough for plots and sample grids; no metadata.
/// </summary>
public static class PngEncoder
{
    /// <summary>The 8-byte PNG signature.</summary>
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Encodes <paramref name="image"/> as PNG bytes.</summary>
    public static byte[] Encode(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var output = new MemoryStream();
        output.Write(Signature);

        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], image.Height);
        ihdr[8] = 8;   // bit depth
        ihdr[9] = 2;   // colour type: truecolour (RGB)
        ihdr[10] = 0;  // compression: deflate
        ihdr[11] = 0;  // filter method 0
        ihdr[12] = 0;  // no interlace
        WriteChunk(output, "IHDR"u8, ihdr);

        // Each scanline is a filter-type byte (0 = none) followed by the row's RGB bytes.
        int rowBytes = 3 * image.Width;
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            var filterByte = new byte[1];
            for (int y = 0; y < image.Height; y++)
            {
                zlib.Write(filterByte);
                zlib.Write(image.Pixels, y * rowBytes, rowBytes);
            }
        }
        WriteChunk(output, "IDAT"u8, compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        WriteChunk(output, "IEND"u8, []);
        return output.ToArray();
    }

    /// <summary>Encodes and saves <paramref name="image"/> atomically.</summary>
    public static void Save(RgbImage image, string path) => AtomicFile.WriteAllBytes(path, Encode(image));

    /// <summary>Length (big-endian), type, data, then the CRC of type and data.</summary>
    private static void WriteChunk(Stream output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        output.Write(type);
        output.Write(data);
        uint crc = Crc32.Finish(Crc32.Update(Crc32.Update(Crc32.Start, type), data));
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        output.Write(word);
    }
}
