using System.CommandLine;
using TorchSharp;
using GanDsl.Data;
using GanDsl.Formats;
using GanDsl.Models;
using GanDsl.Training;

namespace GanDsl.Cli.Commands;

/// <summary><c>gan sample</c>: draws samples from a checkpoint's generator (its EMA weights when it has them).</summary>
public static class SampleCommand
{
    /// <summary>Printed after the options by <c>gan sample --help</c>.</summary>
    internal const string Notes = """
        Writes DIR/generated.npy (N samples, float32, the data's layout and scale) and DIR/generated.png (a scatter
        plot against the data for 2D samples, an 8x8 grid for images). A checkpoint of a model family of your own
        needs the --assembly that declares it.
        """;

    /// <summary>The <c>sample</c> command, running with <paramref name="cli"/>'s writers.</summary>
    internal static Command Create(CliContext cli)
    {
        var checkpointFile = CliOptions.Text("--checkpoint", "a checkpoint.bin of 'gan train'", "FILE", required: true);
        var count = CliOptions.Int("--count", "samples to draw", 10_000);
        var seed = CliOptions.Long("--seed", "seed of the noise", 0);
        var @out = CliOptions.Text("--out", "output folder (default: the checkpoint's folder)", "DIR");
        var noEma = CliOptions.Flag("--no-ema", "sample from the trained weights even when the checkpoint has EMA weights");
        var device = CliOptions.Text("--device", "cpu (default) | cuda | cuda:N", "DEVICE");
        device.CompletionSources.Add("cpu", "cuda");
        var assembly = CliOptions.Assembly("model families");
        var command = new Command("sample", "Draw samples from a checkpoint's generator (its EMA weights when it has them).")
        {
            checkpointFile, count, seed, @out, noEma, device, assembly,
        };
        command.SetAction(parse => Run(parse.GetValue(checkpointFile)!, parse.GetValue(count), parse.GetValue(seed), parse.GetValue(@out),
            parse.GetValue(noEma), parse.GetValue(device) ?? "cpu", parse.GetValue(assembly) ?? [], cli.Stdout));
        return command;
    }

    private static int Run(string path, int count, long seed, string? outFolder, bool noEma, string deviceName, IReadOnlyList<string> assemblies, TextWriter stdout)
    {
        if (count <= 0) throw new UsageException($"--count must be positive, not {count}.");
        TorchSharp.torch.Device device;
        LoadedCheckpoint checkpoint;
        try
        {
            device = Trainer.ParseDevice(deviceName);
            checkpoint = CheckpointFile.Load(path);
        }
        catch (Exception e) when (e is TrainingSetupException or CheckpointException)
        {
            throw new UsageException(e.Message);
        }
        var meta = checkpoint.Metadata;
        var network = meta.Networks.FirstOrDefault(n => n.Name == meta.SampleNetwork)
            ?? throw new UsageException($"Checkpoint '{checkpoint.Path}' names sample network '{meta.SampleNetwork}' but does not list it. Use another checkpoint.");
        IModelFamily family;
        try { family = ModelCatalog.Get(meta.Model, assemblies); }
        catch (UsageException e) { throw new UsageException($"Checkpoint '{checkpoint.Path}': {e.Message}"); }

        var useEma = meta.EmaDecay is not null && !noEma;
        using var generator = family.Build(new NetworkInfo(network.Name, network.Role, network.Output), meta.SampleShape);
        try
        {
            checkpoint.LoadInto(generator, $"{(useEma ? "ema" : "net")}.{network.Name}.");
        }
        catch (CheckpointException e)
        {
            throw new UsageException(e.Message);
        }
        generator.to(device);

        var outDir = Path.GetFullPath(outFolder ?? Path.GetDirectoryName(checkpoint.Path)!);
        Directory.CreateDirectory(outDir);
        using var random = new TorchSharp.torch.Generator(unchecked((ulong)seed), device);
        var (data, shape) = Sampling.Generate(generator, meta.NoiseShape, count, random, device);
        var npy = Path.Combine(outDir, "generated.npy");
        NpyFile.Write(npy, data, shape);

        float[]? real = null;
        if (meta.SampleShape is [2] && Datasets.Names.Contains(meta.Data))
            real = Datasets.Create(meta.Data).CreateSampler(2000, 12345).Next().Data;
        var png = Path.Combine(outDir, "generated.png");
        var drew = Sampling.SavePicture(png, data, shape, real, $"{meta.Loss} step {meta.Step}{(useEma ? " ema" : "")}");
        stdout.WriteLine($"Wrote {count} samples of {meta.Loss} at step {meta.Step}{(useEma ? " (EMA weights)" : "")} to {npy}{(drew ? $" and {png}" : "")}.");
        return ExitCodes.Success;
    }
}
