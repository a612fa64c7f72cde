using System.CommandLine;
using GanDsl.Interop;
using GanDsl.Nn;
using GanDsl.Training;

namespace GanDsl.Cli.Commands;

/// <summary><c>gan export</c>: writes every network of a checkpoint as a PyTorch state_dict (.pt) or safetensors file (<see cref="PyTorchWeights"/>).</summary>
public static class ExportCommand
{
    /// <summary>Printed after the options by <c>gan export --help</c>.</summary>
    internal const string Notes = """
        Writes DIR/NAME.pt (torch.save's format) or DIR/NAME.safetensors for every network of the loss (G, D, ...).
        The keys are the state_dict keys of the same architecture built in PyTorch: model.load_state_dict(torch.load(
        'DIR/G.pt')) loads it (docs/interop.md shows the PyTorch code of the built-in families). The sample network
        is written from its EMA weights when the run kept them, unless --no-ema. 'gan train --init-from DIR' starts
        a run from such files (trained in PyTorch or exported here).
        """;

    /// <summary>The <c>export</c> command, running with <paramref name="cli"/>'s writers.</summary>
    internal static Command Create(CliContext cli)
    {
        var checkpointFile = CliOptions.Text("--checkpoint", "a checkpoint.bin of 'gan train'", "FILE", required: true);
        var format = CliOptions.Text("--format", "pt (torch.save state_dict, default) | safetensors", "FORMAT");
        format.CompletionSources.Add("pt", "safetensors");
        var @out = CliOptions.Text("--out", "output folder (default: the checkpoint's folder)", "DIR");
        var noEma = CliOptions.Flag("--no-ema", "write the trained weights of the sample network even when the checkpoint has EMA weights");
        var assembly = CliOptions.Assembly("model families");
        var command = new Command("export", "Write a checkpoint's networks as PyTorch state_dict (.pt) or safetensors files.")
        {
            checkpointFile, format, @out, noEma, assembly,
        };
        command.SetAction(parse => Run(parse.GetValue(checkpointFile)!, parse.GetValue(format) ?? "pt", parse.GetValue(@out), parse.GetValue(noEma),
            parse.GetValue(assembly) ?? [], cli.Stdout));
        return command;
    }

    private static int Run(string path, string formatText, string? outFolder, bool noEma, IReadOnlyList<string> assemblies, TextWriter stdout)
    {
        WeightFormat format;
        LoadedCheckpoint checkpoint;
        try
        {
            format = PyTorchWeights.ParseFormat(formatText);
            checkpoint = CheckpointFile.Load(path);
        }
        catch (Exception e) when (e is ArgumentException or CheckpointException) { throw new UsageException(e.Message); }
        var meta = checkpoint.Metadata;
        Models.IModelFamily family;
        try { family = ModelCatalog.Get(meta.Model, assemblies); }
        catch (UsageException e) { throw new UsageException($"Checkpoint '{checkpoint.Path}': {e.Message}"); }

        var outDir = Path.GetFullPath(outFolder ?? Path.GetDirectoryName(checkpoint.Path)!);
        IReadOnlyList<ExportedNetwork> written;
        try { written = PyTorchWeights.Export(checkpoint, family, outDir, format, ema: !noEma); }
        catch (CheckpointException e) { throw new UsageException(e.Message); }
        foreach (var n in written) stdout.WriteLine($"{n.Network}: {n.Path} ({n.Tensors} tensors)");
        stdout.WriteLine($"Exported {written.Count} network(s) of {meta.Loss} at step " +
            $"{meta.Step}{(meta.EmaDecay is not null && !noEma ? $" ({meta.SampleNetwork} from its EMA weights)" : "")}.");
        return ExitCodes.Success;
    }
}
