namespace GanDsl.Imaging;

/// <summary>
/// CRC-32 as PNG (and zlib's gzip trailer) define it: polynomial 0xEDB88320 (reflected), initial value
/// 0xFFFFFFFF, final complement (ISO 3309 / ITU-T V.42; PNG specification, annex D).
/// </summary>
public static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    /// <summary>The CRC of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Update(Start, data));

    /// <summary>The running value before any byte.</summary>
    public const uint Start = 0xFFFFFFFFu;

    /// <summary>Feeds <paramref name="data"/> into a running CRC (start from <see cref="Start"/>).</summary>
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    /// <summary>The final CRC from a running value.</summary>
    public static uint Finish(uint crc) => crc ^ 0xFFFFFFFFu;
}
