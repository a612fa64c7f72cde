using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace GanDsl.Runtime.Tests.Imaging;

/// <summary>
/// Test-side PNG reader, independent of the encoder: checks the signature, every chunk's CRC (a bit-by-bit
/// CRC-32, not the encoder's table), the IHDR fields, inflates the IDAT data and undoes the row filters.
/// Throws on anything it does not understand, so a broken file fails the test.
/// </summary>
internal sealed class DecodedPng
{
    public required int Width { get; init; }
    public required int Height { get; init; }
    public required byte[] Rgb { get; init; }
    public required List<string> ChunkTypes { get; init; }

    public (byte R, byte G, byte B) Pixel(int x, int y)
    {
        int i = 3 * (y * Width + x);
        return (Rgb[i], Rgb[i + 1], Rgb[i + 2]);
    }

    public int Count((byte R, byte G, byte B) colour)
    {
        int n = 0;
        for (int i = 0; i < Rgb.Length; i += 3)
            if (Rgb[i] == colour.R && Rgb[i + 1] == colour.G && Rgb[i + 2] == colour.B) n++;
        return n;
    }

    public static uint BitwiseCrc(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }

    public static DecodedPng Decode(byte[] png)
    {
        byte[] signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        Assert.True(png.AsSpan(0, 8).SequenceEqual(signature), "PNG signature");
        int offset = 8, width = 0, height = 0;
        var idat = new MemoryStream();
        var types = new List<string>();
        while (offset < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            string type = Encoding.ASCII.GetString(png, offset + 4, 4);
            ReadOnlySpan<byte> typeAndData = png.AsSpan(offset + 4, 4 + length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset + 8 + length));
            Assert.True(BitwiseCrc(typeAndData) == crc, $"CRC of chunk {type}");
            ReadOnlySpan<byte> data = typeAndData[4..];
            types.Add(type);
            if (type == "IHDR")
            {
                Assert.Equal(13, length);
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(8, data[8]);  // bit depth
                Assert.Equal(2, data[9]);  // RGB
                Assert.Equal(0, data[10]);
                Assert.Equal(0, data[11]);
                Assert.Equal(0, data[12]);
            }
            else if (type == "IDAT") idat.Write(data);
            offset += 12 + length;
        }
        Assert.Equal("IHDR", types[0]);
        Assert.Equal("IEND", types[^1]);
        Assert.Equal(png.Length, offset);

        idat.Position = 0;
        var raw = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress)) zlib.CopyTo(raw);
        byte[] scanlines = raw.ToArray();
        int stride = 3 * width;
        Assert.Equal(height * (stride + 1), scanlines.Length); // pixel count check

        var rgb = new byte[height * stride];
        for (int y = 0; y < height; y++)
        {
            byte filter = scanlines[y * (stride + 1)];
            for (int i = 0; i < stride; i++)
            {
                byte value = scanlines[y * (stride + 1) + 1 + i];
                byte left = i >= 3 ? rgb[y * stride + i - 3] : (byte)0;
                byte up = y > 0 ? rgb[(y - 1) * stride + i] : (byte)0;
                rgb[y * stride + i] = filter switch
                {
                    0 => value,
                    1 => (byte)(value + left),
                    2 => (byte)(value + up),
                    _ => throw new InvalidDataException($"filter {filter} not handled by the test decoder"),
                };
            }
        }
        return new DecodedPng { Width = width, Height = height, Rgb = rgb, ChunkTypes = types };
    }
}
