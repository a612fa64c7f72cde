using System.Globalization;
using GanDsl.Training;

namespace GanDsl.Cli.Commands;

/// <summary><c>gan train</c>: parses the options into a <see cref="TrainOptions"/> and hands it to the <see cref="Trainer"/>.</summary>
public static class TrainCommand
{
    /// <summary>The command's help text.</summary>
    public const string Help = """
        gan train --loss NAME --data DATA --out DIR [options]

          --loss NAME            a loss of 'gan list' (wgan-gp, nonsaturating, ...)
          --data DATA            ring | grid | swissroll | fashion-mnist | FILE.npy (float32, N x D or N x C x H x W)
          --out DIR              output folder: metrics.csv, samples_*.png, samples.npy, samples.png, losses.png,
                                 config.json, checkpoint.bin
          --model NAME           mlp (2D, default) | dcgan28 (1x28x28 images)
          --steps N              generator steps in total (default 1000; each follows the loss's critic steps)
          --batch N              samples per batch (default: 256 for mlp, 64 for dcgan28)
          --lr-g X, --lr-d X     learning rates of generator- and critic-role networks (default: the loss's)
          --betas B1,B2          Adam's betas (default: the loss's; Adam losses only)
          --set NAME=VALUE       override a hyperparameter (repeatable), e.g. --set Lambda=0.1
          --seed N               seed of every random stream (default 0)
          --device cpu|cuda[:N]  where to train (default cpu)
          --threads N            libtorch threads (default: every core)
          --ema DECAY            keep an exponential moving average of G's weights (e.g. 0.999) and sample from it
          --resume               continue the run in --out from its checkpoint.bin, up to --steps
          --checkpoint-every N   write checkpoint.bin every N steps (default 1000; 0: only at the end)
          --sample-every N       write samples_STEP.png every N steps (default 500; 0: none)
          --log-every N          write a metrics.csv row every N steps (default 10)
          --samples N            samples written to samples.npy at the end (default 10000)
          --fashion-mnist FILE   Fashion-MNIST idx3 images file (default: Debian's dataset-fashion-mnist)
          --assembly PATH        also load the losses declared in this assembly (repeatable)

        Ctrl-C finishes the current step, writes checkpoint.bin and exits with code 130; --resume continues it.
        """;

    private static readonly string[] ValueOptions =
    [
        "loss", "data", "out", "model", "steps", "batch", "lr-g", "lr-d", "betas", "set", "seed", "device", "threads",
        "ema", "checkpoint-every", "sample-every", "log-every", "samples", "fashion-mnist", "assembly",
    ];

    /// <summary>Parses the options; every problem is a one-line <see cref="UsageException"/>.</summary>
    public static (TrainOptions Options, IReadOnlyList<string> Assemblies) Parse(string[] args)
    {
        var a = new ArgumentReader("train", args, ValueOptions, ["resume"], repeatable: ["set", "assembly"]);
        a.NoPositionals();
        var hypers = ParseHyperparameters(a.All("set"));
        (double, double)? betas = null;
        if (a.String("betas") is { } b)
        {
            var parts = b.Split(',');
            if (parts.Length != 2) throw new UsageException($"--betas expects two numbers separated by a comma (e.g. 0.5,0.9), not '{b}'.");
            betas = (ArgumentReader.ParseNumber(parts[0].Trim(), "--betas"), ArgumentReader.ParseNumber(parts[1].Trim(), "--betas"));
        }
        var options = new TrainOptions
        {
            Loss = a.Required("loss"),
            Data = a.Required("data"),
            OutputDirectory = a.Required("out"),
            Model = a.String("model") ?? "mlp",
            Steps = a.Long("steps") ?? 1000,
            BatchSize = a.Int("batch"),
            LearningRateG = a.Double("lr-g"),
            LearningRateD = a.Double("lr-d"),
            Betas = betas,
            Hyperparameters = hypers,
            Seed = a.Long("seed") ?? 0,
            Device = a.String("device") ?? "cpu",
            Threads = a.Int("threads"),
            Ema = a.Double("ema"),
            Resume = a.Flag("resume"),
            CheckpointEvery = a.Long("checkpoint-every") ?? 1000,
            SampleEvery = a.Long("sample-every") ?? 500,
            LogEvery = a.Long("log-every") ?? 10,
            FinalSampleCount = a.Int("samples") ?? 10_000,
            FashionMnistPath = a.String("fashion-mnist"),
        };
        if (options.Problems() is { Count: > 0 } problems) throw new UsageException(problems[0]);
        return (options, a.All("assembly"));
    }

    /// <summary>Parses the values of <c>--set NAME=VALUE</c> (also used by <c>gan compare</c>).</summary>
    public static Dictionary<string, double> ParseHyperparameters(IEnumerable<string> settings)
    {
        var hypers = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var s in settings)
        {
            var eq = s.IndexOf('=');
            if (eq <= 0) throw new UsageException($"--set expects NAME=VALUE (e.g. --set Lambda=5), not '{s}'.");
            var name = s[..eq].Trim();
            if (hypers.ContainsKey(name)) throw new UsageException($"--set {name} is given twice.");
            hypers[name] = ArgumentReader.ParseNumber(s[(eq + 1)..].Trim(), $"--set {name}");
        }
        return hypers;
    }

    /// <summary>Runs the command.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken interrupt, bool interactiveProgress)
    {
        if (GanCli.WantsHelp(args)) { stdout.WriteLine(Help); return ExitCodes.Success; }
        var (options, assemblies) = Parse(args);
        var registry = LossCatalog.Load(assemblies);

        Trainer trainer;
        try
        {
            trainer = Trainer.Create(options, registry);
        }
        catch (TrainingSetupException e)
        {
            throw new UsageException(e.Message);
        }
        using (trainer)
        {
            var info = trainer.Loss.Info;
            var from = trainer.Step > 0 ? $" from step {trainer.Step}" : "";
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Training {info.Name} on {trainer.Dataset.Name} with {trainer.Family.Name}, batch {trainer.BatchSize}, {options.Steps} steps{from}, {trainer.Threads} thread(s) (OMP_WAIT_POLICY={GanDsl.Libtorch.WaitPolicy}) -> {trainer.OutputDirectory}"));
            var progress = new ProgressReporter(stderr, interactiveProgress, trainer.Step, options.Steps);
            TrainResult result;
            try
            {
                result = trainer.Run(interrupt, progress);
            }
            catch (IOException e)
            {
                progress.Finish();
                stderr.WriteLine($"gan: writing the outputs failed: {e.Message} The last checkpoint written, if any, is intact.");
                return ExitCodes.Failure;
            }
            catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException or TrainingStepException or GradientException or ArgumentException or InvalidOperationException or KeyNotFoundException)
            {
                // A loss that fails at run time (a shape libtorch rejects, a network it does not declare).
                progress.Finish();
                stderr.WriteLine($"gan: training failed at step {trainer.Step + 1}: {e.GetType().Name}: {e.Message} The last checkpoint written, if any, is intact.");
                return ExitCodes.Failure;
            }
            switch (result.Outcome)
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
                    stderr.WriteLine($"Interrupted at step {result.Step}; checkpoint written to {trainer.CheckpointPath}. Continue with the same command and --resume.");
                    return ExitCodes.Interrupted;
                default:
                    stderr.WriteLine($"gan: {result.Message}");
                    return ExitCodes.Failure;
            }
        }
    }
}
