using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using GanDsl.Formats;
using GanDsl.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Training;

/// <summary>One network of a checkpointed run.</summary>
/// <param name="Name">Its name in the loss (<c>G</c>, <c>D</c>).</param>
/// <param name="Role">Generator or critic.</param>
/// <param name="Output">Sample, score, features or reconstruction.</param>
/// <param name="Optimizer">Kind of its optimizer (<c>adam</c>, <c>rmsprop</c>).</param>
public sealed record CheckpointNetwork(string Name, NetworkRole Role, NetworkOutput Output, string Optimizer)
{
    /// <summary>Whether the loss calls it with class labels (<see cref="NetworkInfo.TakesLabels"/>); false in checkpoints written before labels
    /// existed.</summary>
    public bool TakesLabels { get; init; }
}

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

    /// <summary>
    /// The number of classes K of labelled data (<see cref="GanDsl.Data.ILabelledDataset.ClassCount"/>; a conditional generator
    /// takes labels in [0, K)); null for unlabelled data and in checkpoints written before labels existed.
    /// </summary>
    public int? ClassCount { get; init; }

    /// <summary>The classes' names (<see cref="GanDsl.Data.ILabelledDataset.ClassNames"/>), K of them; null where <see cref="ClassCount"/> is.</summary>
    public List<string>? ClassNames { get; init; }
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
    public void LoadInto(nn.Module module, string prefix)
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
/// <item><c>optim.{name}</c>: every optimizer's state, as TorchSharp's <c>save_state_dict</c> writes it (bytes);</item>
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
    public const int FormatVersion = 2;

    /// <summary>Name of the metadata entry.</summary>
    public const string MetadataEntry = "meta.json";


    /// <summary>Stores bytes (JSON, random states, optimizer state) as a uint8 vector.</summary>
    public static TensorRecord BytesRecord(string name, byte[] bytes) => new(name, ScalarType.Byte, [bytes.Length], bytes);

    /// <summary>The bytes of an entry written by <see cref="BytesRecord"/>.</summary>
    /// <exception cref="CheckpointException">The entry is not a byte entry.</exception>
    public static byte[] BytesOf(TensorRecord record, string source)
    {
        if (record.DType != ScalarType.Byte || record.Shape.Length != 1)
            throw new CheckpointException($"Checkpoint '{source}': entry '{record.Name}' is not a byte entry. The file was not written by this trainer; " +
                "start a new run.");
        return record.Data;
    }

    /// <summary>Every field of the metadata checked (the checksum proves the bytes are as written, not that a writer was sane).</summary>
    private static string? Problem(CheckpointMetadata m)
    {
        if (string.IsNullOrWhiteSpace(m.Loss)) return "no loss name";
        if (string.IsNullOrWhiteSpace(m.Model)) return "no model name";
        if (string.IsNullOrWhiteSpace(m.Data)) return "no data name";
        if (m.Step < 0) return $"step {m.Step} is negative";
        if (m.BatchSize <= 0) return $"batch size {m.BatchSize} is not positive";
        if (m.SampleShape is null || m.SampleShape.Length == 0 || m.SampleShape.Any(d => d <= 0)) return "the sample shape is empty or has a non-positive size";
        if (m.NoiseShape is null || m.NoiseShape.Length == 0 || m.NoiseShape.Any(d => d <= 0)) return "the noise shape is empty or has a non-positive size";
        if (!(m.ElapsedSeconds >= 0) || double.IsInfinity(m.ElapsedSeconds)) return $"elapsed time {m.ElapsedSeconds} is not a non-negative number";
        if (m.EmaDecay is { } e && !(e is >= 0 and < 1)) return $"EMA decay {e} is outside [0, 1)";
        if (m.Networks is null || m.Networks.Count == 0) return "no networks";
        if (m.Hyperparameters is null || m.State is null) return "no hyperparameters or state";
        if (string.IsNullOrWhiteSpace(m.SampleNetwork) || m.Networks.All(n =>
            n.Name != m.SampleNetwork)) return $"sample network '{m.SampleNetwork}' is not among its networks";
        if (m.ClassCount is < 1) return $"class count {m.ClassCount} is not positive";
        if (m.ClassNames is { } names && names.Count != m.ClassCount) return $"{names.Count} class names for {m.ClassCount?.ToString() ?? "no"} classes";
        return null;
    }

    /// <summary>
    /// Deletes temporary files that an interrupted write (a killed process) left in <paramref name="folder"/>:
    /// <c>.NAME.PID.GUID.tmp</c> files of the outputs a run writes, whose writing process is gone. Called when
    /// a run starts or resumes, so a crash never leaves litter behind for good.
    /// </summary>
    public static void RemoveStaleTemporaryFiles(string folder)
    {
        if (!Directory.Exists(folder)) return;
        foreach (var file in Directory.EnumerateFiles(folder, ".*.tmp"))
        {
            var parts = System.IO.Path.GetFileName(file).Split('.');
            // "", NAME..., PID, GUID, "tmp"
            if (parts.Length < 5 || !int.TryParse(parts[^3], out var pid) || parts[^2].Length != 32) continue;
            if (pid == Environment.ProcessId || ProcessIsAlive(pid)) continue;   // a write still in progress
            try { File.Delete(file); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    private static bool ProcessIsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    /// <summary>Writes the metadata and <paramref name="records"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, CheckpointMetadata metadata, IEnumerable<TensorRecord> records)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(metadata, CheckpointJson.Default.CheckpointMetadata);
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
            ?? throw new CheckpointException($"'{full}' is a tensor file but not a training checkpoint (it has no '{MetadataEntry}' entry). Give the " +
                "checkpoint.bin of a `gan train` run.");
        if (metaRecord.DType == ScalarType.Int64)
            throw new CheckpointException($"Checkpoint '{full}' was written by an older GanDsl (layout 1, before GanDsl ran on TorchSharp); this build " +
                $"reads layout {FormatVersion}. Start a new run, or finish this one with the GanDsl version that wrote it.");
        CheckpointMetadata? metadata;
        try
        {
            metadata = JsonSerializer.Deserialize(Encoding.UTF8.GetString(BytesOf(metaRecord, full)), CheckpointJson.Default.CheckpointMetadata);
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"Checkpoint '{full}' has unreadable metadata ({e.Message}). Use another checkpoint or start a new run.", e);
        }
        if (metadata is null || metadata.Format != FormatName)
            throw new CheckpointException($"'{full}' is not a GanDsl training checkpoint. Give the checkpoint.bin of a `gan train` run.");
        if (metadata.Version != FormatVersion)
            throw new CheckpointException($"Checkpoint '{full}' has layout version {metadata.Version}; this build reads version {FormatVersion}. Use " +
                "the GanDsl version that wrote it.");
        if (Problem(metadata) is { } problem)
            throw new CheckpointException($"Checkpoint '{full}' has invalid metadata: {problem}. The file was damaged or edited; use another checkpoint " +
                "or start a new run.");
        return new LoadedCheckpoint(full, metadata, records);
    }
}

/// <summary>
/// The checkpoint metadata's JSON, generated at compile time (System.Text.Json's source generator): no
/// reflection, so checkpoints work in trimmed and native-AOT programs and file-based apps.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(CheckpointMetadata))]
internal sealed partial class CheckpointJson : JsonSerializerContext;
