using System.Diagnostics;
using GanDsl.Data;

namespace GanDsl.Training;

/// <summary>
/// What <c>gan compare</c> runs: every loss of <see cref="Losses"/> with seeds 0 … <see cref="Seeds"/>−1, all with
/// the same data, model, batch and generator step count; each loss keeps its own optimizer and critic steps.
/// </summary>
public sealed record ComparisonOptions
{
    /// <summary>Loss names, in table order.</summary>
    public required IReadOnlyList<string> Losses { get; init; }

    /// <summary>Runs per loss (seeds 0 … Seeds−1).</summary>
    public int Seeds { get; init; } = 3;

    /// <summary><c>ring</c>, <c>grid</c>, <c>swissroll</c> or a float32 .npy file of N × 2 points.</summary>
    public required string Data { get; init; }

    /// <summary>Model family (<c>mlp</c>).</summary>
    public string Model { get; init; } = "mlp";

    /// <summary>Generator steps of every run.</summary>
    public long Steps { get; init; } = 1000;

    /// <summary>Samples per batch; null for the model family's default.</summary>
    public int? BatchSize { get; init; }

    /// <summary>libtorch threads; null for every core.</summary>
    public int? Threads { get; init; }

    /// <summary>Hyperparameter overrides, each applied to every loss that has it.</summary>
    public IReadOnlyDictionary<string, double> Hyperparameters { get; init; } = new Dictionary<string, double>();

    /// <summary>The comparison folder: one train folder per run in <c>&lt;loss&gt;/seed-&lt;k&gt;/</c>, and the tables.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>How many generated and fresh data samples each run is evaluated on.</summary>
    public int EvaluationSamples { get; init; } = 10_000;

    /// <summary>The folder of one run.</summary>
    public string RunDirectory(string loss, int seed) => Path.Combine(OutputDirectory, loss, $"seed-{seed}");
}

/// <summary>
/// Where a comparison stands, for a display of its overall progress: run <see cref="Run"/> of <see cref="Runs"/>
/// and, while that run trains, its <see cref="Training"/> report.
/// </summary>
/// <param name="Run">The current run, 1-based.</param>
/// <param name="Runs">Runs in the comparison (losses × seeds).</param>
/// <param name="Loss">The current run's loss.</param>
/// <param name="Seed">The current run's seed.</param>
/// <param name="Elapsed">Time since the comparison started.</param>
/// <param name="Training">The current run's last training report; null when it has not reported yet.</param>
public sealed record ComparisonProgress(int Run, int Runs, string Loss, int Seed, TimeSpan Elapsed, TrainingProgress? Training)
{
    /// <summary>Fraction of the whole comparison done: finished runs plus the current run's share.</summary>
    public double Fraction => Math.Clamp((Run - 1 + (Training?.Fraction ?? 0)) / Math.Max(Runs, 1), 0, 1);

    /// <summary>Time left at the pace so far (runs are alike in length); null until some of it is done.</summary>
    public TimeSpan? TimeLeft => Fraction > 0 ? TimeSpan.FromSeconds(Elapsed.TotalSeconds * (1 - Fraction) / Fraction) : null;
}

/// <summary>How one run of a comparison ended.</summary>
public enum RunStatus
{
    /// <summary>Every step ran and the samples were evaluated.</summary>
    Completed,
    /// <summary>A loss, gradient or sample stopped being finite.</summary>
    Diverged,
    /// <summary>The loss failed at run time (a shape libtorch rejects, for example).</summary>
    Failed,
}

/// <summary>Data-free quality measures of one run's final samples against fresh data samples.</summary>
/// <param name="SlicedWasserstein">See <see cref="Metrics2D.SlicedWasserstein"/>.</param>
/// <param name="EnergyDistance">See <see cref="Metrics2D.EnergyDistance"/>.</param>
/// <param name="Modes">Mode metrics, for the Gaussian mixtures (ring, grid) only.</param>
public sealed record SampleMetrics(double SlicedWasserstein, double EnergyDistance, ModeMetrics? Modes);

/// <summary>One finished run of a comparison.</summary>
/// <param name="Loss">The loss name.</param>
/// <param name="Seed">The run's seed.</param>
/// <param name="Status">How it ended.</param>
/// <param name="Steps">Generator steps it completed.</param>
/// <param name="Seconds">Wall clock of the training run (final samples and pictures included, evaluation not).</param>
/// <param name="Metrics">The evaluation; null unless <see cref="Status"/> is <see cref="RunStatus.Completed"/>.</param>
/// <param name="Message">Why it diverged or failed.</param>
public sealed record ComparisonRun(string Loss, int Seed, RunStatus Status, long Steps, double Seconds, SampleMetrics? Metrics, string? Message)
{
    /// <summary>The evaluation of an image run (Fashion-MNIST: FID, KID, precision/recall, classes); null for 2D data or unless completed.</summary>
    public Evaluation.ImageEvaluation? Images { get; init; }
}

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
        if (options.Hyperparameters is null) throw new TrainingSetupException("ComparisonOptions.Hyperparameters must not be null (an empty dictionary for none).");
        if (options.Losses is null || options.Losses.Count == 0 || options.Losses.Any(string.IsNullOrWhiteSpace))
            throw new TrainingSetupException("ComparisonOptions.Losses needs loss names separated by commas (e.g. wgan-gp,nonsaturating); see `gan list`.");
        if (options.Losses.GroupBy(l => l).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new TrainingSetupException($"ComparisonOptions.Losses names '{twice.Key}' twice.");
        if (options.Seeds < 1) throw new TrainingSetupException($"ComparisonOptions.Seeds must be 1 or more, not {options.Seeds}.");
        if (options.EvaluationSamples < 2) throw new TrainingSetupException($"ComparisonOptions.EvaluationSamples must be at least 2, not {options.EvaluationSamples}.");

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
                    $"ComparisonOptions.Hyperparameters {name}: none of the losses has a hyperparameter '{name}' ({string.Join("; ", options.Losses.Select(l => $"{l}: {HyperNames(registry, l)}"))}).");
        if (!dataset!.SampleShape.SequenceEqual([2L]) && dataset.Name != "fashion-mnist")
            throw new TrainingSetupException(
                $"gan compare evaluates 2D samples (sliced Wasserstein, energy distance) or Fashion-MNIST images (FID, KID, precision/recall), but '{dataset.Name}' has samples of shape [{string.Join(", ", dataset.SampleShape)}].");
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
    /// Runs every (loss, seed) pair in order and evaluates each; <paramref name="cancel"/> lets the current run
    /// finish and skips the rest. Writes each run's folder and <see cref="ReferenceFile"/>; the tables are
    /// written by <see cref="ComparisonTable.Write"/>.
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

        var runs = new List<ComparisonRun>();
        var total = _options.Losses.Count * _options.Seeds;
        var clock = Stopwatch.StartNew();
        var trained = 0;
        foreach (var loss in _options.Losses)
            for (var seed = 0; seed < _options.Seeds; seed++)
            {
                if (cancel.IsCancellationRequested) return runs;
                var directory = _options.RunDirectory(loss, seed);
                // Image comparisons are long: a rerun of the same command keeps the runs that finished with complete outputs.
                if (IsImages && Evaluation.ImageComparison.ReadRecord(directory, RecordKey(loss)) is { } done)
                {
                    log?.WriteLine($"[{runs.Count + 1}/{total}] {loss}, seed {seed}: already done ({done.Status.ToString().ToLowerInvariant()}, {directory})");
                    runs.Add(done);
                    continue;
                }
                var left = total - runs.Count;
                var estimate = trained > 0 ? $", about {FormatDuration(clock.Elapsed.TotalSeconds / trained * left)} left" : "";
                log?.WriteLine($"[{runs.Count + 1}/{total}] {loss}, seed {seed} -> {directory} ({FormatDuration(clock.Elapsed.TotalSeconds)} so far{estimate})");
                var index = runs.Count + 1;
                progress?.Report(new ComparisonProgress(index, total, loss, seed, clock.Elapsed, null));
                IProgress<TrainingProgress>? training = progress is null
                    ? (log is null ? null : new ProgressReporter(log, interactive: false))
                    : new Progress(p => progress.Report(new ComparisonProgress(index, total, loss, seed, clock.Elapsed, p)));
                var run = TrainOne(loss, seed, reference, training);
                trained++;
                if (run.Status != RunStatus.Completed) log?.WriteLine($"  {run.Status.ToString().ToLowerInvariant()}: {run.Message}");
                else if (run.Images is { } images)
                {
                    log?.WriteLine($"  {images.Summary}");
                    if (trained == 1) foreach (var w in images.Warnings) log?.WriteLine($"  warning: {w}");
                }
                if (IsImages && run.Status != RunStatus.Failed) Evaluation.ImageComparison.WriteRecord(directory, run, RecordKey(loss));
                runs.Add(run);
            }
        return runs;
    }

    /// <summary>True for a Fashion-MNIST comparison (image metrics), false for 2D data.</summary>
    public bool IsImages => _dataset.Name == "fashion-mnist";

    /// <summary>The settings a finished run must have been trained with to be reused.</summary>
    private string RecordKey(string loss) => string.Join(";", loss, _options.Data, _options.Model, _options.Steps, _options.BatchSize, _options.EvaluationSamples,
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
        foreach (var name in new[] { "samples.npy", "evaluation.json", Evaluation.ImageComparison.RunRecordFile })
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
        catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException or TrainingStepException or GradientException or ArgumentException or InvalidOperationException or KeyNotFoundException
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
            return new ComparisonRun(loss, seed, RunStatus.Failed, result.Step, seconds, null, $"evaluation failed: {trainer.EvaluationProblem ?? "no evaluation"}");
        }
        return new ComparisonRun(loss, seed, RunStatus.Completed, result.Step, seconds, Evaluate(samples, reference!, _dataset), null);
    }

    /// <summary>The metrics of generated 2D <paramref name="samples"/> against data samples <paramref name="reference"/>.</summary>
    public static SampleMetrics Evaluate(float[] samples, float[] reference, IDataset dataset) => new(
        Metrics2D.SlicedWasserstein(samples, reference),
        Metrics2D.EnergyDistance(samples, reference),
        dataset is IMixtureDataset2D mixture ? Metrics2D.Modes(samples, mixture) : null);
}
