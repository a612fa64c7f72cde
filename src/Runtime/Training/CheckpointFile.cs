using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using GanDsl.Formats;
using static TorchSharp.torch;

namespace GanDsl.Training;

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
