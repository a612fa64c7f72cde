using System.Diagnostics;
using GanDsl.Data;
using GanDsl.Evaluation;
using GanDsl.Formats;
using static TorchSharp.torch;

namespace GanDsl.Training;

/// <summary>
/// Trains several losses under the same budget with several seeds and evaluates each run's final samples
/// (<c>samples.npy</c>) with <see cref="Metrics2D"/>, in the spirit of Lucic et al. 2018 ("Are GANs Created
/// Equal?"). Every run is an ordinary <see cref="Trainer"/> run; <see cref="ComparisonTable"/> summarises them.
/// </summary>
public sealed class Comparison
{
    // Every run is evaluated against the same reference sample, drawn from its own stream: the
    // differences between runs are then those of the generators, not of the reference draws.
    private const ulong ReferenceSeed = 0x5EED_0F_DA7A;

    /// <summary>The fresh data samples every run is evaluated against, also written to <c>reference.npy</c>.</summary>
    public const string ReferenceFile = "reference.npy";

    private readonly ComparisonOptions _options;
    private readonly LossRegistry _registry;
    private readonly IDataset _dataset;
    private readonly Dictionary<string, Dictionary<string, double>> _hyperparametersByLoss;

    private Comparison(ComparisonOptions options, LossRegistry registry, IDataset dataset, Dictionary<string, Dictionary<string, double>> hyperparametersByLoss)
    {
        _options = options;
        _registry = registry;
        _dataset = dataset;
        _hyperparametersByLoss = hyperparametersByLoss;
    }

    /// <summary>The options.</summary>
    public ComparisonOptions Options => _options;

    /// <summary>The dataset every run trains on.</summary>
    public IDataset Dataset => _dataset;

    /// <summary>
    /// Checks everything before any run: the comparison's own options, then every loss through
    /// <see cref="Trainer.Create(TrainOptions, LossRegistry)"/> (the checks of <c>gan train</c>: names, hyperparameters, model, data, device),
    /// and that every <c>--set</c> name belongs to at least one loss. Writes nothing.
    /// </summary>
    /// <exception cref="TrainingSetupException">The first problem, in one sentence.</exception>
    public static Comparison Create(ComparisonOptions options, LossRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(registry);
        if (options.Hyperparameters is null) throw new TrainingSetupException("ComparisonOptions.Hyperparameters must not be null (an empty dictionary " +
            "for none).");
        if (options.Losses is null || options.Losses.Count == 0 || options.Losses.Any(string.IsNullOrWhiteSpace))
            throw new TrainingSetupException("ComparisonOptions.Losses needs loss names separated by commas (e.g. wgan-gp,nonsaturating); see `gan list`.");
        if (options.Losses.GroupBy(l => l).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new TrainingSetupException($"ComparisonOptions.Losses names '{twice.Key}' twice.");
        if (options.Seeds < 1) throw new TrainingSetupException($"ComparisonOptions.Seeds must be 1 or more, not {options.Seeds}.");
        if (options.EvaluationSamples < 2) throw new TrainingSetupException("ComparisonOptions.EvaluationSamples must be at least 2, not " +
            $"{options.EvaluationSamples}.");

        var byLoss = new Dictionary<string, Dictionary<string, double>>();
        IDataset? dataset = null;
        foreach (var loss in options.Losses)
        {
            // --set applies to the losses that have the name; an unknown loss is reported by Trainer.Create below.
            var names = registry.Contains(loss) ? registry.Create(loss).Hyper.Names.ToHashSet() : [];
            byLoss[loss] = options.Hyperparameters.Where(h => names.Contains(h.Key)).ToDictionary(h => h.Key, h => h.Value);
            using var trainer = Trainer.Create(RunOptions(options, loss, 0, byLoss[loss]), registry);
            dataset ??= trainer.Dataset;
        }
        foreach (var name in options.Hyperparameters.Keys)
            if (!byLoss.Values.Any(h => h.ContainsKey(name)))
                throw new TrainingSetupException(
                    $"ComparisonOptions.Hyperparameters {name}: none of the losses has a hyperparameter '{name}' " +
                    $"({string.Join("; ", options.Losses.Select(l => $"{l}: {HyperNames(registry, l)}"))}).");
        if (!dataset!.SampleShape.SequenceEqual([2L]) && dataset.Name != "fashion-mnist")
            throw new TrainingSetupException(
                $"gan compare evaluates 2D samples (sliced Wasserstein, energy distance) or Fashion-MNIST images (FID, KID, precision/recall), " +
                $"but '{dataset.Name}' has samples of shape [{string.Join(", ", dataset.SampleShape)}].");
        return new Comparison(options, registry, dataset, byLoss);
    }

    private static string HyperNames(LossRegistry registry, string loss) =>
        registry.Create(loss).Hyper.Names.ToList() is { Count: > 0 } names ? string.Join(", ", names) : "none";

    private static TrainOptions RunOptions(ComparisonOptions o, string loss, int seed, IReadOnlyDictionary<string, double> hyperparameters) => new()
    {
        Loss = loss,
        Data = o.Data,
        Model = o.Model,
        Steps = o.Steps,
        BatchSize = o.BatchSize,
        Threads = o.Threads,
        Seed = seed,
        Hyperparameters = hyperparameters,
        OutputDirectory = o.RunDirectory(loss, seed),
        CheckpointEvery = 0, // only the final checkpoint: the runs are short and many
        FinalSampleCount = o.EvaluationSamples,
        // A study's runs are single-process; under mpirun its ranks share the pairs instead (docs/distributed.md).
        DataParallel = Distributed.DataParallelMode.Off,
    };

    /// <summary>
    /// Runs the (loss, seed) pairs (all of them, or those of <see cref="ComparisonOptions.Shard"/>) and evaluates
    /// each; a pair whose folder holds the record of a finished run with the same settings (<see cref="ComparisonRecord"/>)
    /// is read, not trained. Trains seed by seed (every loss's seed 0, then every loss's seed 1, ...), so each loss
    /// is timed early for the estimate of the time left (<see cref="RemainingTime"/>); returns the runs in table order.
    /// <paramref name="cancel"/> lets the current run finish and skips the rest. Writes each run's folder, its record and
    /// <see cref="ReferenceFile"/>; the tables are written by <see cref="ComparisonTable.Write"/>.
    /// </summary>
    /// <param name="cancel">Stops the comparison after the current run.</param>
    /// <param name="log">Where a line per run goes, or null for none.</param>
    /// <param name="progress">
    /// Receives the overall progress (run i of N, and each run's training reports), synchronously; null: plain
    /// progress lines of each run go to <paramref name="log"/> (<see cref="ProgressReporter"/>).
    /// </param>
    /// <exception cref="IOException">An output could not be written.</exception>
    public IReadOnlyList<ComparisonRun> Run(CancellationToken cancel = default, TextWriter? log = null, IProgress<ComparisonProgress>? progress = null)
    {
        float[]? reference = null;
        if (!IsImages)
        {
            reference = _dataset.CreateSampler(ReferenceCount, ReferenceSeed).Next().Data;
            NpyFile.Write(Path.Combine(_options.OutputDirectory, ReferenceFile), reference, [reference.Length / 2, 2]);
        }
        else Directory.CreateDirectory(_options.OutputDirectory);

        var pairs = Pairs;
        var order = pairs.Select((p, i) => (Pair: p, Index: i)).OrderBy(x => x.Pair.Seed).ThenBy(x => x.Index).Select(x => x.Pair).ToList();
        var done = new Dictionary<ComparisonPair, ComparisonRun>();
        foreach (var pair in order)
            if (ComparisonRecord.Read(_options.RunDirectory(pair.Loss, pair.Seed), RecordKey(pair.Loss)) is { } recorded)
            {
                done[pair] = recorded;
                log?.WriteLine($"{pair.Loss}, seed {pair.Seed}: already done ({recorded.Status.ToString().ToLowerInvariant()}, " +
                    $"{_options.RunDirectory(pair.Loss, pair.Seed)})");
            }
        var toTrain = order.Where(p => !done.ContainsKey(p)).ToList();
        var remaining = new RemainingTime(toTrain.Select(p => p.Loss));
        var clock = Stopwatch.StartNew();
        var total = toTrain.Count;
        var index = 0;
        foreach (var (loss, seed) in toTrain)
        {
            if (cancel.IsCancellationRequested) break;
            index++;
            var directory = _options.RunDirectory(loss, seed);
            var left = remaining.Seconds(null, 0, 0) is { } l ? $", about {FormatDuration(l)} left" : "";
            log?.WriteLine($"[{index}/{total}] {loss}, seed {seed} -> {directory} ({FormatDuration(clock.Elapsed.TotalSeconds)} so far{left})");
            var runClock = Stopwatch.StartNew();
            var number = index;
            ComparisonProgress Report(TrainingProgress? p) => new(number, total, loss, seed, clock.Elapsed, p)
            {
                Estimate = remaining.Seconds(loss, runClock.Elapsed.TotalSeconds, p?.Fraction ?? 0) is { } e ? TimeSpan.FromSeconds(e) : null,
            };
            progress?.Report(Report(null));
            IProgress<TrainingProgress>? training = progress is null
                ? (log is null ? null : new ProgressReporter(log, interactive: false))
                : new Progress(p => progress.Report(Report(p)));
            var run = TrainOne(loss, seed, reference, training);
            remaining.Finished(loss, runClock.Elapsed.TotalSeconds);
            if (run.Status != RunStatus.Completed) log?.WriteLine($"  {run.Status.ToString().ToLowerInvariant()}: {run.Message}");
            else if (run.Images is { } images)
            {
                log?.WriteLine($"  {images.Summary}");
                if (index == 1) foreach (var w in images.Warnings) log?.WriteLine($"  warning: {w}");
            }
            ComparisonRecord.Write(directory, run, RecordKey(loss));
            done[new ComparisonPair(loss, seed)] = run;
        }
        return pairs.Where(done.ContainsKey).Select(p => done[p]).ToList();
    }

    /// <summary>The pairs this comparison covers: those of its shard, or all.</summary>
    public IReadOnlyList<ComparisonPair> Pairs => _options.Shard is { } shard ? shard.Pairs(_options.Losses, _options.Seeds) : _options.Pairs;

    /// <summary>True for a Fashion-MNIST comparison (image metrics), false for 2D data.</summary>
    public bool IsImages => _dataset.Name == "fashion-mnist";

    /// <summary>The settings a finished run must have been trained with to be reused.</summary>
    private string RecordKey(string loss) => string.Join(";", loss, _options.Data, _options.Model, _options.Steps, _options.BatchSize,
        _options.EvaluationSamples,
        string.Join(",", _hyperparametersByLoss[loss].OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => $"{h.Key}={h.Value:R}")));

    private static string FormatDuration(double seconds) => TrainingProgress.FormatDuration(TimeSpan.FromSeconds(seconds));

    private int ReferenceCount => (int)Math.Min(_options.EvaluationSamples, _dataset.Count ?? long.MaxValue);

    /// <summary>An <see cref="IProgress{T}"/> that calls back synchronously (<see cref="Progress{T}"/> would post to a thread pool).</summary>
    private sealed class Progress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    private ComparisonRun TrainOne(string loss, int seed, float[]? reference, IProgress<TrainingProgress>? progress)
    {
        var options = RunOptions(_options, loss, seed, _hyperparametersByLoss[loss]);
        // A samples.npy left by an earlier comparison in this folder must not be taken for this run's.
        foreach (var name in new[] { "samples.npy", "evaluation.json", ComparisonRecord.FileName })
            if (Path.Combine(options.OutputDirectory, name) is var stale && File.Exists(stale)) File.Delete(stale);
        using var trainer = Trainer.Create(options, _registry);
        var clock = Stopwatch.StartNew();
        TrainResult result;
        try
        {
            // Not cancellable: Ctrl-C lets the current run finish, so every run in the table has the full budget.
            result = trainer.Run(CancellationToken.None, progress);
        }
        // An output that cannot be written (disk full, permissions) fails this run, not the comparison: the runs
        // that finished still get their table.
        catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException or TrainingStepException
            or GradientException or ArgumentException or InvalidOperationException or KeyNotFoundException
                                      or IOException or UnauthorizedAccessException or UserCodeException)
        {
            return new ComparisonRun(loss, seed, RunStatus.Failed, trainer.Step, clock.Elapsed.TotalSeconds, null, $"{e.GetType().Name}: {e.Message}");
        }
        var seconds = clock.Elapsed.TotalSeconds;
        if (result.Outcome != TrainOutcome.Completed)
            return new ComparisonRun(loss, seed, RunStatus.Diverged, result.Step, seconds, null, result.Message);

        var samples = NpyFile.Read(Path.Combine(trainer.OutputDirectory, "samples.npy")).Data;
        if (samples.Any(v => !float.IsFinite(v)))
            return new ComparisonRun(loss, seed, RunStatus.Diverged, result.Step, seconds, null, "the final samples contain values that are not finite.");
        if (IsImages)
        {
            // The trainer evaluated its final samples against the test split (FID, KID, precision/recall, classes).
            if (trainer.Evaluation is { } images)
                return new ComparisonRun(loss, seed, RunStatus.Completed, result.Step, seconds, null, null) { Images = images };
            return new ComparisonRun(loss, seed, RunStatus.Failed, result.Step, seconds, null,
                $"evaluation failed: {trainer.EvaluationProblem ?? "no evaluation"}");
        }
        var metrics = Evaluate(samples, reference!, _dataset);
        if (_dataset is IMixtureDataset2D mixture && (trainer.AverageNetwork ?? trainer.SampleNetwork) is nn.Module<Tensor, Tensor, Tensor> conditional)
            metrics = metrics with
            {
                LabelToMode = LabelToMode(conditional, trainer.Family.NoiseShape, mixture, _options.EvaluationSamples,
                unchecked((ulong)seed), trainer.Device)
            };
        return new ComparisonRun(loss, seed, RunStatus.Completed, result.Step, seconds, metrics, null);
    }

    /// <summary>
    /// Draws <paramref name="count"/> samples from a conditional generator, label i mod K for sample i (K = the
    /// mixture's modes, label k asking for mode k), and measures how many land in their label's mode
    /// (<see cref="Metrics2D.LabelToMode(ReadOnlySpan{float}, IReadOnlyList{long}, IMixtureDataset2D, double)"/>).
    /// </summary>
    public static LabelModeAccuracy LabelToMode(nn.Module<Tensor, Tensor, Tensor> generator, IReadOnlyList<long> noiseShape, IMixtureDataset2D mixture,
        int count, ulong seed, Device device)
    {
        ArgumentNullException.ThrowIfNull(mixture);
        var labels = Sampling.ClassCycle(count, mixture.Modes.Count);
        using var random = new Generator(Xoshiro256.DeriveSeed(seed, LabelEvaluationStream), device);
        var (data, _) = Sampling.Generate(generator, noiseShape, count, random, device, labels);
        return Metrics2D.LabelToMode(data, labels, mixture);
    }

    // The noise of the label-to-mode evaluation: its own stream, apart from the trainer's.
    private const ulong LabelEvaluationStream = 0x1AB_E15;

    /// <summary>The metrics of generated 2D <paramref name="samples"/> against data samples <paramref name="reference"/>.</summary>
    public static SampleMetrics Evaluate(float[] samples, float[] reference, IDataset dataset) => new(
        Metrics2D.SlicedWasserstein(samples, reference),
        Metrics2D.EnergyDistance(samples, reference),
        dataset is IMixtureDataset2D mixture ? Metrics2D.Modes(samples, mixture) : null);
}
