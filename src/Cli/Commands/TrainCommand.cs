using System.CommandLine;
using System.Globalization;
using GanDsl.Training;

namespace GanDsl.Cli.Commands;

/// <summary><c>gan train</c>: parses the options into a <see cref="TrainOptions"/> and hands it to the <see cref="Trainer"/>.</summary>
public static class TrainCommand
{
    /// <summary>Printed after the options by <c>gan train --help</c>.</summary>
    internal const string Notes = """
        Outputs in --out: metrics.csv, tensorboard/, samples_*.png, samples.npy, samples.png, losses.png, config.json,
        checkpoint.bin (docs/training.md). Ctrl-C finishes the current step, writes checkpoint.bin and exits with code
        130; --resume continues it.
        """;

    /// <summary>The <c>train</c> command, running with <paramref name="cli"/>'s writers.</summary>
    internal static Command Create(CliContext cli)
    {
        var assembly = CliOptions.Assembly("losses and model families");
        var loss = CliOptions.CompleteLosses(CliOptions.Text("--loss", "a loss of 'gan list' (wgan-gp, nonsaturating, ...)", "NAME", required: true), assembly);
        var data = CliOptions.CompleteData(CliOptions.Text("--data", "ring | grid | swissroll | fashion-mnist | FILE.npy (float32, N x D or N x C x H x W)",
            "DATA", required: true));
        var labels = CliOptions.Text("--labels", "conditional losses: a .npy of one class index per sample of a .npy --data", "FILE.npy");
        var noiseLabels = NoiseLabelsOption();
        var @out = CliOptions.Text("--out", "output folder", "DIR", required: true);
        var model = CliOptions.CompleteModels(CliOptions.Text("--model", "mlp (2D, default) | dcgan28 (1x28x28 images) | a family of an --assembly", "NAME"),
            assembly);
        var steps = CliOptions.Long("--steps", "generator steps in total (each follows the loss's critic steps)", 1000);
        var batch = CliOptions.Int("--batch", "samples per batch (default: the model's, 256 for mlp, 64 for dcgan28)");
        var lrG = CliOptions.Number("--lr-g", "learning rate of generator-role networks (default: the loss's)");
        var lrD = CliOptions.Number("--lr-d", "learning rate of critic-role networks (default: the loss's)");
        var lr = CliOptions.Repeated("--lr", "learning rate of one network by name, over --lr-d/--lr-g (repeatable), e.g. --lr D=4e-4", "NAME=X");
        var betas = CliOptions.Repeated("--betas", "Adam's betas (default: the loss's): B1,B2 for every Adam network, NAME=B1,B2 for one (repeatable)",
            "[NAME=]B1,B2");
        var set = CliOptions.Set("override a hyperparameter (repeatable), e.g. --set Lambda=0.1");
        var seed = CliOptions.Long("--seed", "seed of every random stream", 0);
        var device = CliOptions.Text("--device", "where to train: cpu (default) | cuda | cuda:N", "DEVICE");
        device.CompletionSources.Add("cpu", "cuda");
        var threads = CliOptions.Threads();
        var ema = CliOptions.Number("--ema", "keep an exponential moving average of G's weights (e.g. 0.999) and sample from it", "DECAY");
        var separate = CliOptions.Flag("--separate-forward-passes",
            "one forward pass per network application (default: a network's applications share one pass where it is batch-independent)");
        var noMklFastPath = CliOptions.Flag("--no-mkl-fast-path",
            $"keep MKL on its generic kernels on non-Intel x86-64 CPUs (default: its fast ones; also {GanDsl.MklFastPath.Variable}=off)");
        var resume = CliOptions.Flag("--resume", "continue the run in --out from its checkpoint.bin, up to --steps");
        var overwrite = CliOptions.Flag("--overwrite", "start a new run in an --out folder that already holds one, replacing it");
        var initFrom = CliOptions.Text("--init-from", "start from PyTorch weights: DIR/NAME.pt or NAME.safetensors per network (docs/interop.md)", "DIR");
        var checkpointEvery = CliOptions.Long("--checkpoint-every", "write checkpoint.bin every N steps (0: only at the end)", 1000);
        var sampleEvery = CliOptions.Long("--sample-every", "write samples_STEP.png every N steps (0: none)", 500);
        var logEvery = CliOptions.Long("--log-every", "write a metrics.csv row every N steps", 10);
        var samples = CliOptions.Int("--samples", "samples written to samples.npy at the end", 10_000);
        var fashionMnist = CliOptions.Text("--fashion-mnist", "Fashion-MNIST idx3 images file (default: Debian's dataset-fashion-mnist)", "FILE");
        var verbose = CliOptions.Verbose();

        var command = new Command("train", "Train a loss on a dataset; outputs in --out.")
        {
            loss, data, labels, noiseLabels, @out, model, steps, batch, lrG, lrD, lr, betas, set, seed, device, threads, separate, noMklFastPath, ema, resume,
                overwrite, initFrom,
            checkpointEvery, sampleEvery, logEvery, samples, fashionMnist, assembly, verbose,
        };
        command.SetAction(parse =>
        {
            var options = new TrainOptions
            {
                Loss = parse.GetValue(loss)!,
                Data = parse.GetValue(data)!,
                Labels = parse.GetValue(labels),
                NoiseLabels = parse.GetValue(noiseLabels) ?? LabelDistribution.DataFrequencies,
                OutputDirectory = parse.GetValue(@out)!,
                Model = parse.GetValue(model) ?? "mlp",
                Steps = parse.GetValue(steps),
                BatchSize = parse.GetValue(batch),
                LearningRateG = parse.GetValue(lrG),
                LearningRateD = parse.GetValue(lrD),
                NetworkLearningRates = CliOptions.ParseNamedNumbers(parse.GetValue(lr) ?? [], "--lr",
                    "NAME=X, a network and its learning rate (e.g. --lr D=4e-4; --lr-d and --lr-g set every critic or generator network)"),
                Betas = ParseBetas(parse.GetValue(betas) ?? []).All,
                NetworkBetas = ParseBetas(parse.GetValue(betas) ?? []).PerNetwork,
                Hyperparameters = CliOptions.ParseHyperparameters(parse.GetValue(set) ?? []),
                Seed = parse.GetValue(seed),
                Device = parse.GetValue(device) ?? "cpu",
                Threads = parse.GetValue(threads),
                ShareForwardPasses = !parse.GetValue(separate),
                MklFastPath = parse.GetValue(noMklFastPath) ? false : null,
                Ema = parse.GetValue(ema),
                Resume = parse.GetValue(resume),
                CheckpointEvery = parse.GetValue(checkpointEvery),
                SampleEvery = parse.GetValue(sampleEvery),
                LogEvery = parse.GetValue(logEvery),
                FinalSampleCount = parse.GetValue(samples),
                FashionMnistPath = parse.GetValue(fashionMnist),
                InitFrom = parse.GetValue(initFrom),
            };
            if (options.Problems() is { Count: > 0 } problems) throw new UsageException(problems[0]);
            CheckOutputFolder(options.OutputDirectory, options.Resume, parse.GetValue(overwrite));
            return Run(options, parse.GetValue(assembly) ?? [], cli, parse.GetValue(verbose));
        });
        return command;
    }

    /// <summary>
    /// A new run does not write into a folder that holds something (a previous run's outputs would be silently
    /// replaced or mixed with the new ones): it needs --resume (continue) or --overwrite (replace).
    /// </summary>
    internal static void CheckOutputFolder(string folder, bool resume, bool overwrite)
    {
        var full = Path.GetFullPath(folder);
        if (resume && overwrite) throw new UsageException("--resume continues the run in --out, --overwrite replaces it: use one of them.");
        if (resume || !Directory.Exists(full) || !Directory.EnumerateFileSystemEntries(full).Any()) return;
        if (!overwrite)
            throw new UsageException($"--out folder '{full}' already exists and is not empty. Give --resume to continue the run in it, --overwrite to " +
                "replace it, or another --out.");
        // Outputs that accumulate rather than being replaced: the old run's pictures and TensorBoard events would mix with the new run's.
        foreach (var picture in Directory.EnumerateFiles(full, "samples_*.png")) File.Delete(picture);
        if (Path.Combine(full, "tensorboard") is var events && Directory.Exists(events)) Directory.Delete(events, recursive: true);
    }

    /// <summary><c>--noise-labels data|uniform</c>: where a conditional loss's generator labels yz come from; null when absent (data).</summary>
    private static Option<LabelDistribution?> NoiseLabelsOption()
    {
        var option = new Option<LabelDistribution?>("--noise-labels")
        {
            Description = "conditional losses: draw G's labels yz by the data's class frequencies (data, default) or uniformly",
            HelpName = "FROM",
            CustomParser = r => r.Tokens.Count == 0 ? null : r.Tokens[0].Value.Trim().ToLowerInvariant() switch
            {
                "data" => LabelDistribution.DataFrequencies,
                "uniform" => LabelDistribution.Uniform,
                _ => Error(r, $"--noise-labels must be data or uniform, not '{r.Tokens[0].Value}'."),
            },
        };
        option.CompletionSources.Add("data", "uniform");
        return option;

        static LabelDistribution? Error(System.CommandLine.Parsing.ArgumentResult result, string message)
        {
            result.AddError(message);
            return null;
        }
    }

    /// <summary><c>--betas B1,B2</c> (every Adam network) and <c>--betas NAME=B1,B2</c> (one network), each at most once.</summary>
    internal static ((double, double)? All, Dictionary<string, (double Beta1, double Beta2)> PerNetwork) ParseBetas(IEnumerable<string> settings)
    {
        (double, double)? all = null;
        var perNetwork = new Dictionary<string, (double Beta1, double Beta2)>(StringComparer.Ordinal);
        foreach (var s in settings)
        {
            var eq = s.IndexOf('=');
            var name = eq > 0 ? s[..eq].Trim() : null;
            var what = name is null ? "--betas" : $"--betas {name}";
            var parts = s[(eq + 1)..].Split(',');
            if (eq == 0 || parts.Length != 2)
                throw new UsageException($"{what} expects two numbers separated by a comma, for every network (e.g. --betas 0.5,0.9) or one (e.g. " +
                    $"--betas D=0,0.9), not '{s}'.");
            var pair = (CliOptions.ParseNumber(parts[0].Trim(), what), CliOptions.ParseNumber(parts[1].Trim(), what));
            if (name is null ? all is not null : perNetwork.ContainsKey(name)) throw new UsageException($"{what} is given twice.");
            if (name is null) all = pair;
            else perNetwork[name] = pair;
        }
        return (all, perNetwork);
    }

    private static int Run(TrainOptions options, IReadOnlyList<string> assemblies, CliContext cli, bool verbose)
    {
        var (stdout, stderr) = (cli.Stdout, cli.Stderr);
        var losses = LossCatalog.Load(assemblies);
        var models = ModelCatalog.Load(assemblies);

        Trainer trainer;
        try
        {
            trainer = Trainer.Create(options, losses, models);
        }
        catch (TrainingSetupException e)
        {
            throw new UsageException(e.Message);
        }
        catch (UserCodeException e)
        {
            return ErrorReport.Fail(stderr, $"{e.Message} Nothing was trained.", e, options.OutputDirectory, verbose);
        }
        using (trainer)
        {
            // Data-parallel (mpirun/srun): rank 0 reports progress and outcome; the other ranks print only their errors.
            var quiet = trainer.Parallel is { Rank: > 0 };
            if (quiet) (cli, stdout) = (cli with { Stderr = TextWriter.Null, Interactive = false }, TextWriter.Null);
            var info = trainer.Loss.Info;
            var from = trainer.Step > 0 ? $" from step {trainer.Step}" : "";
            if (!quiet) stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Training {info.Name} on {trainer.Dataset.Name} with {trainer.Family.Name}, batch {trainer.BatchSize}, {options.Steps} steps{from}, " +
                $"{trainer.Threads} thread(s) (OMP_WAIT_POLICY={GanDsl.Libtorch.WaitPolicy}; " +
                $"MKL fast path: {GanDsl.MklFastPath.Describe()}) -> {trainer.OutputDirectory}"));
            // Errors are kept and reported after the display has ended, so the message is not drawn through the bar.
            var (result, error) = ProgressDisplay.Train(cli, $"{info.Name} on {trainer.Dataset.Name}", progress =>
            {
                try { return ((TrainResult?)trainer.Run(cli.Interrupt, progress), (Exception?)null); }
                // Any exception: the user's code runs in here (UserCodeException), and no error may end the process unreported.
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    return ((TrainResult?)null, (Exception?)e);
                }
            });
            switch (error)
            {
                case IOException e:
                    return ErrorReport.Fail(stderr, $"writing the outputs failed: {e.Message} The last checkpoint written, if any, is intact.", e,
                        trainer.OutputDirectory, verbose);
                case UserCodeException e:
                    return ErrorReport.Fail(stderr, $"training failed: {e.Message} The last checkpoint written, if any, is intact.", e,
                        trainer.OutputDirectory, verbose);
                case { } e:
                    // A loss that fails at run time (a shape libtorch rejects, a network it does not declare).
                    return ErrorReport.Fail(stderr, $"training failed at step {trainer.Step + 1}: {e.GetType().Name}: {e.Message} The last checkpoint " +
                        "written, if any, is intact.",
                        e, trainer.OutputDirectory, verbose);
            }
            // Every outcome here was reached by all ranks together (errors above end this rank alone: its exit stops the launch).
            GanDsl.Distributed.Mpi.Finish();
            if (!quiet && trainer.DataParallelSummary() is { } parallel) stderr.WriteLine(parallel);
            switch (result!.Outcome)
            {
                case TrainOutcome.Completed:
                    stdout.WriteLine($"Done: {result.Step} steps. Outputs in {trainer.OutputDirectory}");
                    if (trainer.Evaluation is { } evaluation)
                    {
                        foreach (var w in evaluation.Warnings) stderr.WriteLine($"gan: warning: {w}");
                        stdout.WriteLine($"Evaluation against the Fashion-MNIST test split: {evaluation.Summary} (evaluation.json, last row of metrics.csv)");
                    }
                    else if (trainer.EvaluationProblem is { } problem) stderr.WriteLine($"gan: the final samples were not evaluated: {problem}");
                    return ExitCodes.Success;
                case TrainOutcome.Interrupted:
                    stderr.WriteLine($"Interrupted at step {result.Step}; checkpoint written to {trainer.CheckpointPath}. Continue with the same " +
                        "command and --resume.");
                    return ExitCodes.Interrupted;
                default:
                    stderr.WriteLine($"gan: {result.Message}");
                    return ExitCodes.Failure;
            }
        }
    }
}
