using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using static GanDsl.Tests.Cli.CliRunner;

namespace GanDsl.Tests.Cli;

/// <summary>
/// OUT/tensorboard/: read back with a reader of its own (TFRecord framing with masked CRC-32C, then the protobuf
/// Event / Summary / Value / Image messages by field number), the scalars equal metrics.csv's, the pictures are there.
/// </summary>
public class TensorBoardTests : TempFolderTests
{
    [Fact]
    public void Event_files_hold_every_metrics_value_and_the_sample_pictures_and_resume_adds_a_file()
    {
        var dir = TempDir("tensorboard");
        string[] common = ["--loss", "test-nonsaturating", "--data", "ring", "--batch", "32", "--sample-every", "10", "--log-every", "5", "--checkpoint-every", "10"];
        var o = Train(dir, [.. common, "--steps", "10"]);
        Assert.True(o.ExitCode == 0, o.Stderr);
        var folder = Path.Combine(dir, "tensorboard");
        Assert.Single(Directory.GetFiles(folder, "events.out.tfevents.*"));

        o = Train(dir, [.. common, "--steps", "20", "--resume"]);
        Assert.True(o.ExitCode == 0, o.Stderr);
        var files = Directory.GetFiles(folder, "events.out.tfevents.*");
        Assert.Equal(2, files.Length);

        var events = files.SelectMany(TensorBoardEvents.Read).ToList();
        Assert.Equal(2, events.Count(e => e.FileVersion == "brain.Event:2"));

        // Every scalar: exactly metrics.csv's values (as float32) at its steps, under its column names.
        var (header, rows) = ReadCsv(Path.Combine(dir, "metrics.csv"));
        Assert.Equal(["step", "d_loss", "g_loss", "d.real_logit", "seconds"], header);
        var expected = new List<(string Tag, long Step, float Value)>();
        foreach (var row in rows)
            for (var c = 1; c < header.Length - 1; c++)
                expected.Add((header[c], long.Parse(row[0], CultureInfo.InvariantCulture), (float)double.Parse(row[c], CultureInfo.InvariantCulture)));
        var scalars = events.SelectMany(e => e.Values.Where(v => v.SimpleValue is not null).Select(v => (v.Tag, e.Step, v.SimpleValue!.Value))).ToList();
        Assert.Equal(expected.OrderBy(x => x.Step).ThenBy(x => x.Tag), scalars.OrderBy(x => x.Step).ThenBy(x => x.Tag));
        Assert.Equal(4 * 3, scalars.Count);

        // The scatter plots of steps 0, 10 and 20, as decodable PNGs of the pictures' size.
        var images = events.SelectMany(e => e.Values.Where(v => v.Image is not null).Select(v => (v.Tag, e.Step, v.Image!))).ToList();
        Assert.Equal([0L, 10L, 20L], images.Select(i => i.Step).Order());
        Assert.All(images, i =>
        {
            Assert.Equal("samples", i.Tag);
            using var bitmap = SkiaSharp.SKBitmap.Decode(i.Item3.Png);
            Assert.NotNull(bitmap);
            Assert.Equal((i.Item3.Width, i.Item3.Height), (bitmap.Width, bitmap.Height));
            Assert.Equal(PngSize(Path.Combine(dir, $"samples_{i.Step:D6}.png")), (bitmap.Width, bitmap.Height));
        });
        Assert.All(events, e => Assert.True(e.WallTime > 0));
    }
}

/// <summary>A minimal reader of TensorBoard event files: TFRecord framing and the few protobuf fields used.</summary>
public static class TensorBoardEvents
{
    public sealed record Image(int Height, int Width, byte[] Png);

    public sealed record Value(string Tag, float? SimpleValue, Image? Image);

    public sealed record Event(double WallTime, long Step, string? FileVersion, IReadOnlyList<Value> Values);

    /// <summary>Every record of the file: uint64 length, masked CRC-32C of the length, data, masked CRC-32C of the data.</summary>
    public static IEnumerable<Event> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var events = new List<Event>();
        var at = 0;
        while (at < bytes.Length)
        {
            Assert.True(at + 12 <= bytes.Length, $"{path}: a record header is cut short at byte {at}");
            var length = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at)));
            Assert.Equal(MaskedCrc32C(bytes.AsSpan(at, 8)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8)));
            Assert.True(at + 12 + length + 4 <= bytes.Length, $"{path}: a record is cut short at byte {at}");
            var data = bytes.AsSpan(at + 12, length);
            Assert.Equal(MaskedCrc32C(data), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + length)));
            events.Add(ParseEvent(data.ToArray()));
            at += 12 + length + 4;
        }
        return events;
    }

    /// <summary>CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit, masked as TFRecord does.</summary>
    public static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (uint)-(int)(crc & 1));
        }
        crc = ~crc;
        return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
    }

    // Event: 1 wall_time (double), 2 step (int64), 3 file_version (string), 5 summary (Summary).
    private static Event ParseEvent(byte[] data)
    {
        double wallTime = 0;
        long step = 0;
        string? version = null;
        var values = new List<Value>();
        foreach (var (field, wire, number, bytes) in Fields(data))
            switch (field)
            {
                case 1: Assert.Equal(1, wire); wallTime = BitConverter.Int64BitsToDouble((long)number); break;
                case 2: Assert.Equal(0, wire); step = (long)number; break;
                case 3: version = Encoding.UTF8.GetString(bytes!); break;
                case 5: values.AddRange(Fields(bytes!).Where(f => f.Field == 1).Select(f => ParseValue(f.Bytes!))); break;
            }
        return new Event(wallTime, step, version, values);
    }

    // Summary.Value: 1 tag, 2 simple_value (float), 4 image (Image: 1 height, 2 width, 3 colorspace, 4 encoded_image_string).
    private static Value ParseValue(byte[] data)
    {
        string tag = "";
        float? simple = null;
        Image? image = null;
        foreach (var (field, wire, number, bytes) in Fields(data))
            switch (field)
            {
                case 1: tag = Encoding.UTF8.GetString(bytes!); break;
                case 2: Assert.Equal(5, wire); simple = BitConverter.Int32BitsToSingle((int)number); break;
                case 4:
                    int h = 0, w = 0;
                    byte[] png = [];
                    foreach (var f in Fields(bytes!))
                        if (f.Field == 1) h = (int)f.Number;
                        else if (f.Field == 2) w = (int)f.Number;
                        else if (f.Field == 4) png = f.Bytes!;
                    image = new Image(h, w, png);
                    break;
            }
        return new Value(tag, simple, image);
    }

    /// <summary>The fields of one message: number, wire type, the integer (varint, fixed64, fixed32) or the bytes.</summary>
    private static List<(int Field, int Wire, ulong Number, byte[]? Bytes)> Fields(byte[] data)
    {
        var fields = new List<(int, int, ulong, byte[]?)>();
        var at = 0;
        ulong Varint()
        {
            ulong v = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = data[at++];
                v |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return v;
            }
        }
        while (at < data.Length)
        {
            var key = Varint();
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0: fields.Add((field, wire, Varint(), null)); break;
                case 1: fields.Add((field, wire, BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(at)), null)); at += 8; break;
                case 2:
                    var n = checked((int)Varint());
                    fields.Add((field, wire, 0, data.AsSpan(at, n).ToArray()));
                    at += n;
                    break;
                case 5: fields.Add((field, wire, BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at)), null)); at += 4; break;
                default: throw new InvalidDataException($"wire type {wire} of field {field}");
            }
        }
        return fields;
    }
}
