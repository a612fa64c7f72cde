using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Formats;

/// <summary>
/// Saves and loads a module's parameters and buffers by name, in the <see cref="TensorFile"/>
/// format (documented there and in docs/parameter-files.md).
/// </summary>
public static class ParameterFile
{
    /// <summary>
    /// Writes every parameter and buffer of <paramref name="module"/> (names as
    /// <c>named_parameters()</c> and <c>named_buffers()</c>, as PyTorch's <c>state_dict</c> names them) to
    /// <paramref name="path"/>, atomically: a temporary file in the same folder, flushed to disk,
    /// then renamed over the target.
    /// </summary>
    public static void Save(nn.Module module, string path)
    {
        ArgumentNullException.ThrowIfNull(module);
        TensorFile.Write(path, Records(module));
    }

    /// <summary>The module's parameters and buffers as records (for a checkpoint that stores more than one module).</summary>
    /// <param name="module">The module.</param>
    /// <param name="prefix">Prepended to every name (for example <c>"G."</c>).</param>
    public static IEnumerable<TensorRecord> Records(nn.Module module, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(module);
        foreach (var (name, t) in Entries(module)) yield return TensorRecord.FromTensor(prefix + name, t);
    }

    /// <summary>
    /// Loads the parameters and buffers saved by <see cref="Save"/> into <paramref name="module"/>,
    /// copying into its existing tensors (optimizers built on them stay valid).
    /// </summary>
    /// <remarks>
    /// Everything is checked before anything is copied: the file (magic, version, checksum,
    /// structure), then that the file has exactly the module's names, with the same shapes and
    /// compatible dtypes (float32 and float64 convert into each other; integer and bool must match).
    /// On any mismatch the module is left unchanged.
    /// </remarks>
    /// <exception cref="TensorFileException">The file is missing, corrupt, or does not fit the module; the message says which and what to do.</exception>
    public static void Load(nn.Module module, string path)
    {
        ArgumentNullException.ThrowIfNull(module);
        var records = TensorFile.Read(path);
        Apply(module, records, "", Path.GetFullPath(path));
    }

    /// <summary>
    /// Copies the records named <c>prefix + name</c> into the module's tensors of that name, after
    /// checking that every one of the module's names is present with its shape and that no record under
    /// <paramref name="prefix"/> is left over. Records with other prefixes are ignored.
    /// </summary>
    /// <param name="module">The module to fill.</param>
    /// <param name="records">Records, for example from <see cref="TensorFile.Read"/>.</param>
    /// <param name="prefix">The prefix the module's names carry in the records.</param>
    /// <param name="source">The file name, for messages.</param>
    /// <exception cref="TensorFileException">A name is missing or extra, or a shape or dtype does not fit; nothing was copied.</exception>
    public static void Apply(nn.Module module, IReadOnlyList<TensorRecord> records, string prefix, string source)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(records);
        var targets = Entries(module).ToList();
        var byName = records.Where(r => r.Name.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(r => r.Name[prefix.Length..], StringComparer.Ordinal);

        var problems = new List<string>();
        var missing = targets.Where(t => !byName.ContainsKey(t.Name)).Select(t => t.Name).ToList();
        if (missing.Count > 0) problems.Add($"missing from the file: {Describe(missing)}");
        var known = targets.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var extra = byName.Keys.Where(n => !known.Contains(n)).ToList();
        if (extra.Count > 0) problems.Add($"in the file but not in the model: {Describe(extra)}");
        foreach (var (name, tensor) in targets)
        {
            if (!byName.TryGetValue(name, out var r)) continue;
            var shape = tensor.shape;
            if (!shape.SequenceEqual(r.Shape))
                problems.Add($"'{prefix}{name}' has shape [{string.Join(", ", r.Shape)}] in the file but [{string.Join(", ", shape)}] in the model");
            else if (!Compatible(tensor.dtype, r.DType))
                problems.Add($"'{prefix}{name}' is {r.DType} in the file but {tensor.dtype} in the model");
        }
        if (problems.Count > 0)
            throw new TensorFileException(
                $"'{source}' does not fit this {module.GetType().Name} ({string.Join("; ", problems)}). " +
                "It was saved from a different architecture or configuration: " +
                "build the same model as the one saved, or pick the matching file. Nothing was loaded.");

        using var noGrad = torch.no_grad();
        foreach (var (name, tensor) in targets)
        {
            using var stored = byName[name].ToTensor(tensor.device);
            tensor.copy_(stored);
        }
    }

    private static IEnumerable<(string Name, Tensor Tensor)> Entries(nn.Module module) =>
        module.named_parameters().Select(p => (p.name, (Tensor)p.parameter))
            .Concat(module.named_buffers().Select(b => (b.name, b.buffer)));

    private static bool Compatible(ScalarType model, ScalarType file) =>
        model == file || (model is ScalarType.Float32 or ScalarType.Float64 && file is ScalarType.Float32 or ScalarType.Float64);

    private static string Describe(List<string> names) =>
        names.Count <= 8 ? string.Join(", ", names) : $"{string.Join(", ", names.Take(8))} and {names.Count - 8} more";
}
