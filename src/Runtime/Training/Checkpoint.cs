using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using GanDsl.Nn;
using GanDsl.Torch;

namespace GanDsl.Training;

/// <summary>One network of a checkpointed run.</summary>
/// <param name="Name">Its name in the loss (<c>G</c>, <c>D</c>).</param>
/// <param name="Role">Generator or critic.</param>
/// <param name="Output">Sample, score, features or reconstruction.</param>
/// <param name="Optimizer">Kind of its optimizer (<c>adam</c>, <c>rmsprop</c>).</param>
public sealed record CheckpointNetwork(string Name, NetworkRole Role, NetworkOutput Output, string Optimizer);

/// <summary>
/// What a checkpoint says about its run, stored as JSON in the checkpoint's <c>meta.json</c> entry. The
/// tensors (weights, buffers, optimizer state, EMA weights) and the random states are separate entries.
/// </summary>
public sealed record CheckpointMetadata
{
    /// <summary>Identifies the file kind.</summary>
    public string Format { get; init; } = CheckpointFile.FormatName;

    /// <summary>Layout version of the entries.</summary>
    public int Version { get; init; } = CheckpointFile.FormatVersion;

    /// <summary>The loss's canonical name.</summary>
    public required string Loss { get; init; }

    /// <summary>The loss's C# type.</summary>
    public required string LossType { get; init; }

    /// <summary>Model family name.</summary>
    public required string Model { get; init; }

    /// <summary>Dataset name as given on the command line.</summary>
    public required string Data { get; init; }

    /// <summary>Shape of one sample.</summary>
    public required long[] SampleShape { get; init; }

    /// <summary>Shape of one noise vector.</summary>
    public required long[] NoiseShape { get; init; }

    /// <summary>Samples per batch.</summary>
    public required int BatchSize { get; init; }

    /// <summary>Generator steps completed.</summary>
    public required long Step { get; init; }

    /// <summary>Training seconds spent up to this checkpoint (over every resumed part).</summary>
    public double ElapsedSeconds { get; init; }

    /// <summary>The run's seed.</summary>
    public long Seed { get; init; }

    /// <summary>EMA decay of the generator's weights, or null when the run keeps none.</summary>
    public double? EmaDecay { get; init; }

    /// <summary>The name of the network whose outputs are samples (normally <c>G</c>).</summary>
    public required string SampleNetwork { get; init; }

    /// <summary>Hyperparameter values of the loss.</summary>
    public required Dictionary<string, double> Hyperparameters { get; init; }

    /// <summary>The loss's state variables (BEGAN's k ...).</summary>
    public required Dictionary<string, double> State { get; init; }

    /// <summary>Every network, in the loss's declaration order.</summary>
    public required List<CheckpointNetwork> Networks { get; init; }
}

/// <summary>A checkpoint read back: its metadata and every tensor entry by name.</summary>
public sealed class LoadedCheckpoint
{
    internal LoadedCheckpoint(string path, CheckpointMetadata metadata, IReadOnlyList<TensorRecord> records)
    {
        Path = path;
        Metadata = metadata;
        Records = records;
    }

    /// <summary>The file it was read from.</summary>
    public string Path { get; }

    /// <summary>What the checkpoint says about its run.</summary>
    public CheckpointMetadata Metadata { get; }

    /// <summary>Every entry, <c>meta.json</c> included.</summary>
    public IReadOnlyList<TensorRecord> Records { get; }

    /// <summary>True when an entry named <paramref name="name"/> exists.</summary>
    public bool Has(string name) => Records.Any(r => r.Name == name);

    /// <summary>True when some entry's name starts with <paramref name="prefix"/>.</summary>
    public bool HasPrefix(string prefix) => Records.Any(r => r.Name.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>The bytes stored under <paramref name="name"/> by <see cref="CheckpointFile.BytesRecord"/>.</summary>
    /// <exception cref="CheckpointException">The entry is missing or is not a byte entry.</exception>
    public byte[] Bytes(string name)
    {
        var record = Records.FirstOrDefault(r => r.Name == name)
            ?? throw new CheckpointException($"Checkpoint '{Path}' has no entry '{name}'; it was not written by this trainer version. Start a new run.");
        return CheckpointFile.BytesOf(record, Path);
    }

    /// <summary>Copies the network entries under <paramref name="prefix"/> into <paramref name="module"/> (everything is checked first).</summary>
    /// <exception cref="CheckpointException">A name, shape or dtype does not fit.</exception>
    public void LoadInto(Module module, string prefix)
    {
        try
        {
            ParameterFile.Apply(module, Records, prefix, Path);
        }
        catch (TensorFileException e)
        {
            throw new CheckpointException(e.Message, e);
        }
    }
}

/// <summary>
/// Reads and writes training checkpoints: a <see cref="TensorFile"/> (checksummed, written to a temporary
/// file and renamed, so an interrupted write never replaces a good checkpoint) with these entries:
/// <list type="bullet">
/// <item><c>meta.json</c>: <see cref="CheckpointMetadata"/> as UTF-8 JSON (bytes, see <see cref="BytesRecord"/>);</item>
/// <item><c>net.{name}.{tensor}</c>: every parameter and buffer of every network;</item>
/// <item><c>optim.{name}.steps</c>, <c>optim.{name}.{index}.{kind}</c>: every optimizer's state;</item>
/// <item><c>ema.{name}.{tensor}</c>: the EMA copy of the sample network, when the run keeps one;</item>
/// <item><c>rng.noise</c>, <c>rng.step</c>: libtorch generator states of the noise and of the loss's draws; <c>rng.data</c>: the data sampler's state.</item>
/// </list>
/// </summary>
public static class CheckpointFile
{
    /// <summary>The file name a run writes in its output folder.</summary>
    public const string FileName = "checkpoint.bin";

    /// <summary>The <see cref="CheckpointMetadata.Format"/> value.</summary>
    public const string FormatName = "gandsl-checkpoint";

    /// <summary>The entry layout version this build writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>Name of the metadata entry.</summary>
    public const string MetadataEntry = "meta.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>
    /// Stores bytes as an int64 vector with one element per byte: tensor files hold numbers only, and these
    /// entries (JSON, random states) are small.
    /// </summary>
    public static TensorRecord BytesRecord(string name, byte[] bytes)
    {
        var data = new byte[bytes.Length * 8];
        for (var i = 0; i < bytes.Length; i++) data[i * 8] = bytes[i]; // little-endian int64 = the byte, then zeros
        return new TensorRecord(name, DType.Int64, [bytes.Length], data);
    }

    /// <summary>The bytes of an entry written by <see cref="BytesRecord"/>.</summary>
    /// <exception cref="CheckpointException">The entry is not a byte entry.</exception>
    public static byte[] BytesOf(TensorRecord record, string source)
    {
        if (record.DType != DType.Int64 || record.Shape.Length != 1)
            throw new CheckpointException($"Checkpoint '{source}': entry '{record.Name}' is not a byte entry. The file was not written by this trainer; start a new run.");
        var bytes = new byte[record.Shape[0]];
        for (var i = 0; i < bytes.Length; i++)
        {
            var value = BitConverter.ToInt64(record.Data, i * 8);
            if (value is < 0 or > 255)
                throw new CheckpointException($"Checkpoint '{source}': entry '{record.Name}' holds {value}, not a byte. The file is damaged; use another checkpoint.");
            bytes[i] = (byte)value;
        }
        return bytes;
    }

    /// <summary>Writes the metadata and <paramref name="records"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, CheckpointMetadata metadata, IEnumerable<TensorRecord> records)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(metadata, Json);
        TensorFile.Write(path, records.Prepend(BytesRecord(MetadataEntry, json)));
    }

    /// <summary>Reads a checkpoint, checking the file (checksum, structure) and its metadata.</summary>
    /// <exception cref="CheckpointException">The file is missing, truncated, corrupt, or not a GanDsl checkpoint; the message says what to do.</exception>
    public static LoadedCheckpoint Load(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        IReadOnlyList<TensorRecord> records;
        try
        {
            records = TensorFile.Read(full);
        }
        catch (TensorFileException e)
        {
            throw new CheckpointException($"Cannot read checkpoint: {e.Message}", e);
        }
        var metaRecord = records.FirstOrDefault(r => r.Name == MetadataEntry)
            ?? throw new CheckpointException($"'{full}' is a tensor file but not a training checkpoint (it has no '{MetadataEntry}' entry). Give the checkpoint.bin of a `gan train` run.");
        CheckpointMetadata? metadata;
        try
        {
            metadata = JsonSerializer.Deserialize<CheckpointMetadata>(Encoding.UTF8.GetString(BytesOf(metaRecord, full)), Json);
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"Checkpoint '{full}' has unreadable metadata ({e.Message}). Use another checkpoint or start a new run.", e);
        }
        if (metadata is null || metadata.Format != FormatName)
            throw new CheckpointException($"'{full}' is not a GanDsl training checkpoint. Give the checkpoint.bin of a `gan train` run.");
        if (metadata.Version != FormatVersion)
            throw new CheckpointException($"Checkpoint '{full}' has layout version {metadata.Version}; this build reads version {FormatVersion}. Use the GanDsl version that wrote it.");
        return new LoadedCheckpoint(full, metadata, records);
    }
}
