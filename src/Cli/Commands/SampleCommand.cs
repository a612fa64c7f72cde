using System.CommandLine;
using TorchSharp;
using GanDsl.Data;
using GanDsl.Formats;
using GanDsl.Imaging;
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
        A conditional generator (one the loss calls as G(z, yz)) draws sample i of class i mod K, or every sample of
        class K with --class K; DIR/generated_labels.npy holds each sample's class (int64), and the
        picture of images has one row per class (class 0 at the top, 8 images each), or the 8x8 grid with --class.
        """;

    /// <summary>The <c>sample</c> command, running with <paramref name="cli"/>'s writers.</summary>
    internal static Command Create(CliContext cli)
    {
        var checkpointFile = CliOptions.Text("--checkpoint", "a checkpoint.bin of 'gan train'", "FILE", required: true);
        var count = CliOptions.Int("--count", "samples to draw", 10_000);
        var seed = CliOptions.Long("--seed", "seed of the noise", 0);
        var @class = CliOptions.Int("--class", "draw every sample of class K (a conditional generator's checkpoint; K from 0)", "K");
        var @out = CliOptions.Text("--out", "output folder (default: the checkpoint's folder)", "DIR");
        var noEma = CliOptions.Flag("--no-ema", "sample from the trained weights even when the checkpoint has EMA weights");
        var device = CliOptions.Text("--device", "cpu (default) | cuda | cuda:N", "DEVICE");
        device.CompletionSources.Add("cpu", "cuda");
        var assembly = CliOptions.Assembly("model families");
        var command = new Command("sample", "Draw samples from a checkpoint's generator (its EMA weights when it has them).")
        {
            checkpointFile, count, seed, @class, @out, noEma, device, assembly,
        };
        command.SetAction(parse => Run(parse.GetValue(checkpointFile)!, parse.GetValue(count), parse.GetValue(seed), parse.GetValue(@class),
            parse.GetValue(@out), parse.GetValue(noEma), parse.GetValue(device) ?? "cpu", parse.GetValue(assembly) ?? [], cli.Stdout));
        return command;
    }

    private static int Run(string path, int count, long seed, int? classIndex, string? outFolder, bool noEma, string deviceName,
        IReadOnlyList<string> assemblies, TextWriter stdout)
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
            ?? throw new UsageException($"Checkpoint '{checkpoint.Path}' names sample network '{meta.SampleNetwork}' but does not list it. Use another " +
                "checkpoint.");
        var classCount = ClassCount(checkpoint, network, classIndex);
        IModelFamily family;
        try { family = ModelCatalog.Get(meta.Model, assemblies); }
        catch (UsageException e) { throw new UsageException($"Checkpoint '{checkpoint.Path}': {e.Message}"); }

        var useEma = meta.EmaDecay is not null && !noEma;
        using TorchSharp.torch.nn.Module generator = family.Build(network.ToNetworkInfo(), meta.SampleShape, classCount ?? 0);
        if (network.TakesLabels && generator is not TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>)
            throw new UsageException($"Checkpoint '{checkpoint.Path}': its generator '{network.Name}' takes class labels, but model family " +
                $"'{meta.Model}' built a {generator.GetType().Name}, which takes none; " +
                "use a GanDsl (or --assembly) that builds the family's conditional networks.");
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
        var title = $"{meta.Loss} step {meta.Step}{(useEma ? " ema" : "")}";
        var written = Write(generator, meta, count, seed, classCount is null ? null : (classCount.Value, classIndex), outDir, device, title);
        var what = classIndex is { } k ? $" of class {k} ({meta.ClassNames?[k] ?? $"class {k}"})"
            : classCount is { } c ? $" ({(count % c == 0 ? $"{count / c}" : $"{count / c} or {count / c + 1}")} of each of {c} classes, " +
                $"sample i of class i mod {c})"
            : "";
        stdout.WriteLine($"Wrote {count} samples{what} of {meta.Loss} at step {meta.Step}{(useEma ? " (EMA weights)" : "")} to " +
            $"{(written.Count == 1 ? written[0] : string.Join(", ", written.SkipLast(1)) + " and " + written[^1])}.");
        return ExitCodes.Success;
    }

    /// <summary>
    /// The number of classes of a conditional generator's checkpoint (null for an unconditional one), after checking
    /// <c>--class</c> against it.
    /// </summary>
    private static int? ClassCount(LoadedCheckpoint checkpoint, CheckpointNetwork network, int? classIndex)
    {
        var meta = checkpoint.Metadata;
        if (!network.TakesLabels)
        {
            if (classIndex is not null)
                throw new UsageException($"--class needs a conditional generator, but the generator '{network.Name}' of checkpoint '{checkpoint.Path}' " +
                    $"(loss {meta.Loss}) takes no class labels. Drop --class, or sample a checkpoint of a loss that calls {network.Name}(z, yz).");
            return null;
        }
        if (meta.ClassCount is not { } classCount)
            throw new UsageException($"Checkpoint '{checkpoint.Path}' has a conditional generator '{network.Name}' but does not record its number of " +
                "classes (ClassCount); it was not written by 'gan train'. Train it again.");
        if (classIndex is { } k && (k < 0 || k >= classCount))
            throw new UsageException($"--class {k} is out of range: the generator of checkpoint '{checkpoint.Path}' has {classCount} classes, 0 to " +
                $"{classCount - 1}{(meta.ClassNames is { } names ? $" ({string.Join(", ", names.Select((n, i) => $"{i} {n}"))})" : "")}.");
        return classCount;
    }

    /// <summary>
    /// Draws <paramref name="count"/> samples and writes generated.npy, for a conditional generator
    /// (<paramref name="classes"/> given) generated_labels.npy, and the picture (generated.png: for a conditional image
    /// generator without a class, one row per class). Returns the paths written.
    /// </summary>
    /// <param name="generator">The generator, on <paramref name="device"/>.</param>
    /// <param name="meta">Its checkpoint's metadata (noise and sample shapes, data).</param>
    /// <param name="count">Samples to draw.</param>
    /// <param name="seed">Seed of the noise.</param>
    /// <param name="classes">For a conditional generator, its class count and the one class asked for (null: sample i of class i mod K).</param>
    /// <param name="outDir">Where to write.</param>
    /// <param name="device">Where the noise is drawn.</param>
    /// <param name="title">The picture's title.</param>
    internal static IReadOnlyList<string> Write(TorchSharp.torch.nn.Module generator, CheckpointMetadata meta, int count, long seed,
        (int Count, int? Only)? classes,
        string outDir, TorchSharp.torch.Device device, string title)
    {
        long[]? labels = classes is var (classCount, only)
            ? only is { } k ? Enumerable.Repeat((long)k, count).ToArray() : Sampling.ClassCycle(count, classCount)
            : null;
        using var random = new TorchSharp.torch.Generator(unchecked((ulong)seed), device);
        var (data, shape) = Sampling.Generate(generator, meta.NoiseShape, count, random, device, labels);
        var written = new List<string>();
        var npy = Path.Combine(outDir, "generated.npy");
        NpyFile.Write(npy, data, shape);
        written.Add(npy);
        if (labels is not null)
        {
            var labelsPath = Path.Combine(outDir, "generated_labels.npy");
            NpyFile.WriteInt64(labelsPath, labels, [labels.Length]);
            written.Add(labelsPath);
        }

        float[]? real = null;
        if (meta.SampleShape is [2] && Datasets.Names.Contains(meta.Data))
            real = Datasets.Create(meta.Data).CreateSampler(2000, 12345).Next().Data;
        var png = Path.Combine(outDir, "generated.png");
        // A conditional generator's picture without --class: one row per class for images, points coloured by class in 2-D.
        var drew = Sampling.SavePicture(png, data, shape, real, title, labels: classes is (_, null) ? labels : null);
        if (drew) written.Add(png);
        return written;
    }
}
