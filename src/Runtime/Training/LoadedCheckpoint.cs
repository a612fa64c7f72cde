using GanDsl.Formats;
using static TorchSharp.torch;

namespace GanDsl.Training;

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
