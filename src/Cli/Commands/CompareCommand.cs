using System.CommandLine;
using GanDsl.Training;

namespace GanDsl.Cli.Commands;

/// <summary><c>gan compare</c>: trains several losses under one budget with several seeds (<see cref="Comparison"/>) and prints one table.</summary>
public static class CompareCommand
{
    /// <summary>Printed after the options by <c>gan compare --help</c>.</summary>
    internal const string Notes = """
        Each run is evaluated on its final samples.npy against fresh data samples: sliced Wasserstein and
        energy distance, and for ring and grid the modes covered and the fraction of high-quality samples.
        On 2-D data, comparison_samples.png shows every run's samples (a row per loss, a column per seed) and
        comparison_metrics.png the table as bars. On fashion-mnist each run's final samples are measured against
        the test split with the feature network of 'gan eval' (FID, KID, precision, recall, classes covered;
        docs/evaluation.md) and comparison_fid.png shows FID per loss (mean ± std over seeds). Every finished run
        leaves DIR/<loss>/seed-<k>/run.json: a rerun of the same command reads it instead of training again.
        --shard K/N (or --shard slurm, from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT) trains only every
        N-th pair from the K-th; the same command without --shard then trains nothing and writes the table and
        figures (docs/training.md#sharded-studies). Under mpirun or srun without --shard the ranks share the pairs
        the same way and rank 0 writes the table at the end. Diverged runs are counted in the table, not averaged.
        Ctrl-C finishes the current run, writes the table of the finished runs and exits with code 130.
        """;

    /// <summary>The <c>compare</c> command, running with <paramref name="cli"/>'s writers.</summary>
    internal static Command Create(CliContext cli)
    {
        var assembly = CliOptions.Assembly("losses");
        var losses = CliOptions.Text("--losses", "losses of 'gan list' to compare, comma-separated (e.g. wgan-gp,nonsaturating,lsgan)", "A,B,...",
            required: true);
        var data = CliOptions.CompleteData(CliOptions.Text("--data",
            "ring | grid | swissroll | FILE.npy (float32, N x 2) | fashion-mnist (with --model dcgan28)", "DATA", required: true));
        var @out = CliOptions.Text("--out", "comparison folder: DIR/<loss>/seed-<k>/ (a 'gan train' folder per run), reference.npy, comparison.md, " +
            "comparison.csv", "DIR", required: true);
        var seeds = CliOptions.Int("--seeds", "runs per loss, seeds 0..N-1", 3);
        var steps = CliOptions.Long("--steps", "generator steps of every run (each loss keeps its own critic steps)", 1000);
        var model = CliOptions.Text("--model", "mlp (default) | dcgan28 (Fashion-MNIST)", "NAME");
        model.CompletionSources.Add(GanDsl.Models.ModelFactory.Names.ToArray());
        var batch = CliOptions.Int("--batch", "samples per batch (default: the model's, 256 for mlp)");
        var threads = CliOptions.Threads();
        var set = CliOptions.Set("override a hyperparameter in every loss that has it (repeatable)");
        var samples = CliOptions.Int("--samples", "generated and data samples each run is evaluated on", 10_000);
        var shard = CliOptions.Text("--shard", "train only shard K of N of the (loss, seed) pairs (K from 1), or 'slurm' for the Slurm array task's",
            "K/N|slurm");

        var command = new Command("compare", "Train several losses under one budget with several seeds and print one table.") { losses, data, @out, seeds,
            steps, model, batch, threads, set, samples, shard, assembly };
        command.SetAction(parse =>
        {
            // Under mpirun/srun without --shard the ranks share the pairs: rank r trains shard r+1 of N (no communication
            // while training), then rank 0 reruns unsharded, which reads every run's record, trains nothing and writes
            // the table and figures.
            var launch = parse.GetValue(shard) is null ? GanDsl.Distributed.MpiLaunch.FromEnvironment() : null;
            return Run(new ComparisonOptions
            {
                Losses = parse.GetValue(losses)!.Split(',').Select(l => l.Trim()).ToList(),
                Data = parse.GetValue(data)!,
                OutputDirectory = parse.GetValue(@out)!,
                Seeds = parse.GetValue(seeds),
                Steps = parse.GetValue(steps),
                Model = parse.GetValue(model) ?? "mlp",
                BatchSize = parse.GetValue(batch),
                Threads = parse.GetValue(threads),
                Hyperparameters = CliOptions.ParseHyperparameters(parse.GetValue(set) ?? []),
                EvaluationSamples = parse.GetValue(samples),
                Shard = parse.GetValue(shard) is { } text ? ParseShard(text) : launch is { } l ? new ComparisonShard(l.Rank, l.Size) : null,
            }, parse.GetValue(assembly) ?? [], cli, mergeRanks: launch is not null);
        });
        return command;
    }

    private static ComparisonShard ParseShard(string text)
    {
        try { return ComparisonShard.Parse(text, Environment.GetEnvironmentVariable); }
        catch (FormatException e) { throw new UsageException(OptionNames.ForCommandLine(e.Message)); }
    }

    private static int Run(ComparisonOptions options, IReadOnlyList<string> assemblies, CliContext cli, bool mergeRanks = false)
    {
        var (stdout, stderr) = (cli.Stdout, cli.Stderr);
        Comparison comparison;
        try { comparison = Comparison.Create(options, LossCatalog.Load(assemblies)); }
        catch (TrainingSetupException e) { throw new UsageException(e.Message); }

        var count = comparison.Pairs.Count;
        var shardText = options.Shard is { } s ? $", shard {s} ({count} of {options.Pairs.Count} runs)" : $" ({count} runs)";
        stderr.WriteLine($"Comparing {string.Join(", ", options.Losses)} on {comparison.Dataset.Name}: {options.Seeds} seeds, {options.Steps} steps " +
            $"each{shardText} -> {options.OutputDirectory}");
        IReadOnlyList<ComparisonRun> runs;
        var figures = new List<string>();
        try
        {
            runs = ProgressDisplay.Compare(cli, (log, progress) => comparison.Run(cli.Interrupt, log, progress));
            // A shard's table would be partial and its shards would overwrite each other's: the unsharded command writes them.
            if (options.Shard is null) figures = WriteTablesAndFigures(options, comparison, runs);
        }
        catch (IOException e)
        {
            stderr.WriteLine($"gan: writing the outputs failed: {e.Message}");
            return ExitCodes.Failure;
        }
        if (mergeRanks && runs.Count == count)
        {
            // Every rank's runs are recorded: wait for all of them, then rank 0 alone writes the table (training nothing).
            GanDsl.Distributed.Mpi.Initialize();
            GanDsl.Distributed.Mpi.Barrier();
            var root = GanDsl.Distributed.Mpi.Rank == 0;
            GanDsl.Distributed.Mpi.Finish();
            return root ? Run(options with { Shard = null }, assemblies, cli) : ExitCodes.Success;
        }
        stdout.Write(ComparisonTable.ToMarkdown(runs));
        if (options.Shard is { } shard)
            stdout.WriteLine($"Shard {shard}: {runs.Count} run(s) recorded in their folders (run.json). When every shard is done, run the same command " +
                "without --shard: it trains nothing and writes the table and figures.");
        else
            stdout.WriteLine($"Tables in {Path.Combine(options.OutputDirectory, "comparison.md")} and comparison.csv (per-seed " +
                $"values){(figures.Count > 0 ? ", figures " + string.Join(", ", figures) : "")}.");
        if (runs.Count == count) return ExitCodes.Success;
        stderr.WriteLine($"Interrupted after {runs.Count} of {count} runs; the table covers the finished ones.");
        return ExitCodes.Interrupted;
    }

    /// <summary>comparison.md, comparison.csv and the figures (names returned).</summary>
    private static List<string> WriteTablesAndFigures(ComparisonOptions options, Comparison comparison, IReadOnlyList<ComparisonRun> runs)
    {
        ComparisonTable.Write(options.OutputDirectory, runs);
        var title = $"{comparison.Dataset.Name}, {options.Steps} steps, {options.Seeds} seed{(options.Seeds == 1 ? "" : "s")}";
        if (comparison.IsImages)
        {
            GanDsl.Training.ImageComparison.SaveFigure(Path.Combine(options.OutputDirectory, GanDsl.Training.ImageComparison.FigureFile), runs,
                $"FID per loss, {title}");
            return [GanDsl.Training.ImageComparison.FigureFile, "samples.png per run"];
        }
        var reference = GanDsl.Formats.NpyFile.Read(Path.Combine(options.OutputDirectory, Comparison.ReferenceFile)).Data;
        ComparisonFigures.SaveSamples(Path.Combine(options.OutputDirectory, ComparisonFigures.SamplesFile), options, runs, reference,
            $"Samples per loss and seed, {title}");
        ComparisonFigures.SaveMetrics(Path.Combine(options.OutputDirectory, ComparisonFigures.MetricsFile), runs, title);
        return [ComparisonFigures.SamplesFile, ComparisonFigures.MetricsFile];
    }
}
