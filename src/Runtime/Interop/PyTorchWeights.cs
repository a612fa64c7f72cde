using GanDsl.Formats;
using GanDsl.Data;
using GanDsl.Models;
using GanDsl.Nn;
using GanDsl.Training;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace GanDsl.Interop;

/// <summary>The two file formats a PyTorch user loads weights from.</summary>
public enum WeightFormat
{
    /// <summary>A <c>state_dict</c> as <c>torch.save</c> writes it (zip of a pickle and raw storages, <c>.pt</c>); read with <c>torch.load</c>.</summary>
    PyTorch,

    /// <summary>Hugging Face safetensors (<c>.safetensors</c>): a JSON header then raw little-endian tensors; no code runs on load.</summary>
    Safetensors,
}

/// <summary>A network written by <see cref="PyTorchWeights.Export"/>: its name in the loss and the file.</summary>
/// <param name="Network">The network's name in the loss (<c>G</c>, <c>D</c>, ...).</param>
/// <param name="Path">The file written.</param>
/// <param name="Tensors">Parameters and buffers in the file.</param>
public sealed record ExportedNetwork(string Network, string Path, int Tensors);

/// <summary>
/// Moves network weights between GanDsl and PyTorch through TorchSharp.PyBridge (the pickle and safetensors code
/// is that library's, not ours). Keys are the module's <c>state_dict</c> names, which TorchSharp forms as PyTorch
/// does (<c>0.weight</c>, <c>0.bias</c>, <c>1.running_mean</c>, <c>1.num_batches_tracked</c> for an
/// <c>nn.Sequential</c>): the same architecture built in PyTorch loads the file with <c>load_state_dict</c>, strict.
/// See docs/interop.md.
/// </summary>
public static class PyTorchWeights
{
    /// <summary>The file extension of <paramref name="format"/>, with its dot.</summary>
    public static string Extension(WeightFormat format) => format == WeightFormat.Safetensors ? ".safetensors" : ".pt";

    /// <summary>Parses <c>pt</c> (also <c>pth</c>, <c>pytorch</c>) or <c>safetensors</c>.</summary>
    /// <exception cref="ArgumentException">Any other text.</exception>
    public static WeightFormat ParseFormat(string text) => (text ?? "").Trim().ToLowerInvariant() switch
    {
        "pt" or "pth" or "pytorch" or "torch" => WeightFormat.PyTorch,
        "safetensors" => WeightFormat.Safetensors,
        _ => throw new ArgumentException($"'{text}' is not a weight format; use pt (torch.save's state_dict) or safetensors."),
    };

    /// <summary>The format of a file, from its extension: <c>.safetensors</c>, else a <c>torch.save</c> file (<c>.pt</c>, <c>.pth</c>, <c>.bin</c>).</summary>
    public static WeightFormat FormatOf(string path) =>
        path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? WeightFormat.Safetensors : WeightFormat.PyTorch;

    /// <summary>
    /// Writes every parameter and buffer of <paramref name="module"/> (float tensors as they are, on the CPU) to
    /// <paramref name="path"/> in <paramref name="format"/> (default: by extension), atomically.
    /// </summary>
    public static void Save(nn.Module module, string path, WeightFormat? format = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var kind = format ?? FormatOf(path);
        // PyBridge writes to a stream; AtomicFile gives it a temporary file renamed into place, so a reader never
        // sees half a file. The state is copied to the CPU first: the files hold host tensors.
        var state = module.state_dict().ToDictionary(e => e.Key, e => e.Value.detach().cpu().contiguous());
        try
        {
            AtomicFile.Write(path, stream =>
            {
                if (kind == WeightFormat.Safetensors) Safetensors.SaveStateDict(stream, state, leaveOpen: true);
                else PyTorchPickler.PickleStateDict(stream, state, leaveOpen: true);
            });
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Loads a PyTorch <c>state_dict</c> file (<c>torch.save</c>'s format, or safetensors by extension) into
    /// <paramref name="module"/>, copying into its existing tensors (optimizers built on them stay valid). Every key,
    /// shape and dtype is checked first (float32 and float64 convert); on any mismatch nothing is loaded.
    /// </summary>
    /// <exception cref="TensorFileException">The file is missing, unreadable, or does not fit the module; the message names the keys.</exception>
    public static void Load(nn.Module module, string path)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new TensorFileException($"Weight file '{full}' does not exist.");
        Dictionary<string, Tensor> state;
        try { state = Read(full); }
        catch (Exception e) when (e is not TensorFileException and not OutOfMemoryException)
        {
            throw new TensorFileException(
                $"'{full}' is not a {(FormatOf(full) == WeightFormat.Safetensors ? "safetensors" : "torch.save state_dict")} " +
                $"file this reader understands ({e.GetType().Name}: {e.Message}). " +
                "Save it in PyTorch with torch.save(model.state_dict(), path) " +
                "(the zip format, the default since PyTorch 1.6) or safetensors.torch.save_file.", e);
        }
        try
        {
            var records = state.Select(e => TensorRecord.FromTensor(e.Key, e.Value)).ToList();
            ParameterFile.Apply(module, records, "", full);
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    /// <summary>The tensors of a weight file by key, on the CPU.</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        if (FormatOf(path) == WeightFormat.Safetensors) return Safetensors.LoadStateDict(path);
        using var stream = File.OpenRead(path);
        var table = PyTorchUnpickler.UnpickleStateDict(stream);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in table)
            result[(string)e.Key] = e.Value as Tensor ?? throw new TensorFileException($"'{path}': entry '{e.Key}' is not a tensor; save " +
                "model.state_dict(), not the whole model.");
        return result;
    }

    /// <summary>
    /// Writes every network of a checkpoint to <paramref name="outputDirectory"/> as <c>NAME.pt</c> or
    /// <c>NAME.safetensors</c> (<c>G.pt</c>, <c>D.pt</c>, ...), rebuilt with <paramref name="family"/> (the family the
    /// run trained with). With <paramref name="ema"/> and a checkpoint that keeps an EMA of its sample network, that
    /// network is written from its EMA weights.
    /// </summary>
    /// <exception cref="CheckpointException">The checkpoint does not hold a network it lists, or its weights do not fit the family's network.</exception>
    public static IReadOnlyList<ExportedNetwork> Export(LoadedCheckpoint checkpoint, IModelFamily family, string outputDirectory, WeightFormat format,
        bool ema = true)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(family);
        var meta = checkpoint.Metadata;
        var written = new List<ExportedNetwork>();
        foreach (var network in meta.Networks)
        {
            // A conditional network (labels, class heads) is built as the run built it, for the classes the run had.
            using var module = family.Build(network.ToNetworkInfo(), meta.SampleShape, meta.ClassCount ?? 0);
            var useEma = ema && meta.EmaDecay is not null && network.Name == meta.SampleNetwork;
            checkpoint.LoadInto(module, $"{(useEma ? "ema" : "net")}.{network.Name}.");
            var path = System.IO.Path.Combine(System.IO.Path.GetFullPath(outputDirectory), network.Name + Extension(format));
            Save(module, path, format);
            written.Add(new ExportedNetwork(network.Name, path, module.state_dict().Count));
        }
        return written;
    }

    /// <summary>
    /// Loads <c>FOLDER/NAME.pt</c> or <c>FOLDER/NAME.safetensors</c> into every network NAME of
    /// <paramref name="networks"/> that has one (what <see cref="TrainOptions.InitFrom"/> does); the others are left as
    /// they are. Returns the names loaded.
    /// </summary>
    /// <exception cref="TensorFileException">The folder is missing, holds a file for no network, a network has both files, or a file does not fit.</exception>
    public static IReadOnlyList<string> LoadFolder(IReadOnlyDictionary<string, nn.Module> networks, string folder)
    {
        ArgumentNullException.ThrowIfNull(networks);
        var full = System.IO.Path.GetFullPath(folder);
        if (!Directory.Exists(full)) throw new TensorFileException($"The weights folder '{full}' (TrainOptions.InitFrom) does not exist.");
        var loaded = new List<string>();
        foreach (var (name, module) in networks)
        {
            var files = new[] { WeightFormat.PyTorch, WeightFormat.Safetensors }
                .Select(f => System.IO.Path.Combine(full, name + Extension(f))).Where(File.Exists).ToList();
            if (files.Count > 1)
                throw new TensorFileException($"The weights folder '{full}' (TrainOptions.InitFrom) has both " +
                    $"{string.Join(" and ", files.Select(System.IO.Path.GetFileName))} for network '{name}'; keep one.");
            if (files.Count == 0) continue;
            Load(module, files[0]);
            loaded.Add(name);
        }
        if (loaded.Count == 0)
            throw new TensorFileException(
                $"The weights folder '{full}' (TrainOptions.InitFrom) has no weight file of this loss's networks; " +
                $"expected {string.Join(" or ", networks.Keys.Select(n => $"{n}.pt / {n}.safetensors"))}.");
        return loaded;
    }
}
