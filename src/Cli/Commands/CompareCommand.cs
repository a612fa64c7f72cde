using GanDsl.Training;

namespace GanDsl.Cli.Commands;

/// <summary><c>gan compare</c>: trains several losses under one budget with several seeds (<see cref="Comparison"/>) and prints one table.</summary>
public static class CompareCommand
{
    /// <summary>The command's help text.</summary>
    public const string Help = """
        gan compare --losses A,B,... --data DATA --out DIR [options]

          --losses A,B,...   losses of 'gan list' to compare (e.g. wgan-gp,nonsaturating,lsgan)
          --data DATA        ring | grid | swissroll | FILE.npy (float32, N x 2) | fashion-mnist (with --model dcgan28)
          --out DIR          comparison folder: DIR/<loss>/seed-<k>/ (a 'gan train' folder per run),
                             reference.npy, comparison.md, comparison.csv
          --seeds N          runs per loss, seeds 0..N-1 (default 3)
          --steps N          generator steps of every run (default 1000; each loss keeps its own critic steps)
          --model NAME       mlp (default) | dcgan28 (Fashion-MNIST)
          --batch N          samples per batch (default: the model's, 256 for mlp)
          --threads N        libtorch threads (default: every core)
          --set NAME=VALUE   override a hyperparameter in every loss that has it (repeatable)
          --samples N        generated and data samples each run is evaluated on (default 10000)
          --assembly PATH    also load the losses declared in this assembly (repeatable)

        Each run is evaluated on its final samples.npy against fresh data samples: sliced Wasserstein and
        energy distance, and for ring and grid the modes covered and the fraction of high-quality samples.
        On fashion-mnist each run's final samples are measured against the test split with the feature
        network of 'gan eval' (FID, KID, precision, recall, classes covered; docs/evaluation.md), the table
        names the diverged runs, comparison_fid.png shows FID per loss (mean ± std over seeds), and a rerun
        of the same command skips the runs that finished with complete outputs (DIR/<loss>/seed-<k>/run.json).
        Diverged runs are counted in the table, not averaged. Ctrl-C finishes the current run, writes the
        table of the finished runs and exits with code 130.
        """;

    private static readonly string[] ValueOptions = ["losses", "data", "out", "seeds", "steps", "model", "batch", "threads", "set", "samples", "assembly"];

    /// <summary>Parses the options; every problem is a one-line <see cref="UsageException"/>.</summary>
    public static (ComparisonOptions Options, IReadOnlyList<string> Assemblies) Parse(string[] args)
    {
        var a = new ArgumentReader("compare", args, ValueOptions, [], repeatable: ["set", "assembly"]);
        a.NoPositionals();
        var options = new ComparisonOptions
        {
            Losses = a.Required("losses").Split(',').Select(l => l.Trim()).ToList(),
            Data = a.Required("data"),
            OutputDirectory = a.Required("out"),
            Seeds = a.Int("seeds") ?? 3,
            Steps = a.Long("steps") ?? 1000,
            Model = a.String("model") ?? "mlp",
            BatchSize = a.Int("batch"),
            Threads = a.Int("threads"),
            Hyperparameters = TrainCommand.ParseHyperparameters(a.All("set")),
            EvaluationSamples = a.Int("samples") ?? 10_000,
        };
        return (options, a.All("assembly"));
    }

    /// <summary>Runs the command.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken interrupt, bool interactiveProgress)
    {
        if (GanCli.WantsHelp(args)) { stdout.WriteLine(Help); return ExitCodes.Success; }
        var (options, assemblies) = Parse(args);
        Comparison comparison;
        try { comparison = Comparison.Create(options, LossCatalog.Load(assemblies)); }
        catch (TrainingSetupException e) { throw new UsageException(e.Message); }

        var count = options.Losses.Count * options.Seeds;
        stderr.WriteLine($"Comparing {string.Join(", ", options.Losses)} on {comparison.Dataset.Name}: {options.Seeds} seeds, {options.Steps} steps each ({count} runs) -> {options.OutputDirectory}");
        IReadOnlyList<ComparisonRun> runs;
        try
        {
            runs = comparison.Run(interrupt, stderr, interactiveProgress);
            ComparisonTable.Write(options.OutputDirectory, runs);
            if (comparison.IsImages)
                GanDsl.Evaluation.ImageComparison.SaveFigure(Path.Combine(options.OutputDirectory, GanDsl.Evaluation.ImageComparison.FigureFile), runs,
                    $"FID per loss, {options.Steps} steps, {options.Seeds} seeds");
        }
        catch (IOException e)
        {
            stderr.WriteLine($"gan: writing the outputs failed: {e.Message}");
            return ExitCodes.Failure;
        }
        stdout.Write(ComparisonTable.ToMarkdown(runs));
        stdout.WriteLine($"Tables in {Path.Combine(options.OutputDirectory, "comparison.md")} and comparison.csv (per-seed values){(comparison.IsImages ? $", figure {GanDsl.Evaluation.ImageComparison.FigureFile}, samples.png per run" : "")}.");
        if (runs.Count == count) return ExitCodes.Success;
        stderr.WriteLine($"Interrupted after {runs.Count} of {count} runs; the table covers the finished ones.");
        return ExitCodes.Interrupted;
    }
}
