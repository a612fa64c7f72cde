using TorchSharp;
using GanDsl.Data;
using GanDsl.Models;
using GanDsl.Training;

namespace GanDsl.Cli.Commands;

/// <summary><c>gan sample</c>: draws samples from a checkpoint's generator (its EMA weights when it has them).</summary>
public static class SampleCommand
{
    /// <summary>The command's help text.</summary>
    public const string Help = """
        gan sample --checkpoint FILE [--count N] [--seed N] [--out DIR] [--no-ema] [--device cpu|cuda]

        Writes DIR/generated.npy (N samples, float32, the data's layout and scale) and DIR/generated.png
        (a scatter plot against the data for 2D samples, an 8x8 grid for images). DIR defaults to the
        checkpoint's folder, N to 10000, the seed to 0.
        """;

    /// <summary>Runs the command.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (GanCli.WantsHelp(args)) { stdout.WriteLine(Help); return ExitCodes.Success; }
        var a = new ArgumentReader("sample", args, ["checkpoint", "count", "seed", "out", "device"], ["no-ema"]);
        a.NoPositionals();
        var path = a.Required("checkpoint");
        var count = a.Int("count") ?? 10_000;
        if (count <= 0) throw new UsageException($"--count must be positive, not {count}.");
        var seed = a.Long("seed") ?? 0;

        TorchSharp.torch.Device device;
        LoadedCheckpoint checkpoint;
        try
        {
            device = Trainer.ParseDevice(a.String("device") ?? "cpu");
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
        try { family = ModelFactory.Get(meta.Model); }
        catch (ArgumentException e) { throw new UsageException($"Checkpoint '{checkpoint.Path}': {e.Message}"); }

        var useEma = meta.EmaDecay is not null && !a.Flag("no-ema");
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

        var outDir = Path.GetFullPath(a.String("out") ?? Path.GetDirectoryName(checkpoint.Path)!);
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
