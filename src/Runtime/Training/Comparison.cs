using System.Diagnostics;
using GanDsl.Data;
using GanDsl.Evaluation;
using GanDsl.Formats;
using TorchSharp;
using static TorchSharp.torch;

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

    /// <summary>
    /// The part of the study this process trains (<c>--shard K/N</c>, a Slurm array task, an MPI rank); null: all of
    /// it. A sharded run trains and records only <see cref="ComparisonShard.Pairs"/>; the unsharded command then
    /// reuses every record and writes the table and figures.
    /// </summary>
    public ComparisonShard? Shard { get; init; }

    /// <summary>Every (loss, seed) pair of the study, in table order: loss by loss in the order of <see cref="Losses"/>, seeds 0 … Seeds−1.</summary>
    public IReadOnlyList<ComparisonPair> Pairs => ComparisonShard.AllPairs(Losses, Seeds);
}

/// <summary>One run of a comparison: a loss and a seed.</summary>
/// <param name="Loss">The loss name.</param>
/// <param name="Seed">The seed.</param>
public readonly record struct ComparisonPair(string Loss, int Seed);

/// <summary>
/// Shard <see cref="Index"/> (0-based) of <see cref="Count"/>: the partition of a study's (loss, seed) pairs among
/// independent processes (Slurm array tasks, MPI ranks, separate machines). Pair i of the table order goes to shard
/// i mod Count: every loss's seeds are spread over the shards, so shards of a study whose losses differ in cost
/// (WGAN-GP's 5 critic steps against 1) take about the same time. Every process computes the same partition from
/// (index, count) alone: no scheduler, no communication.
/// </summary>
/// <param name="Index">This shard, 0 … Count−1 (an MPI rank, a Slurm array index minus its first index).</param>
/// <param name="Count">How many shards (an MPI size, a Slurm array's task count).</param>
public readonly record struct ComparisonShard(int Index, int Count)
{
    /// <summary>Every pair of a study, in table order (loss by loss, seeds ascending).</summary>
    public static IReadOnlyList<ComparisonPair> AllPairs(IReadOnlyList<string> losses, int seeds)
    {
        ArgumentNullException.ThrowIfNull(losses);
        return losses.SelectMany(l => Enumerable.Range(0, Math.Max(seeds, 0)).Select(s => new ComparisonPair(l, s))).ToList();
    }

    /// <summary>The pairs of shard <paramref name="rank"/> of <paramref name="size"/> (0-based), in table order.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not 0 ≤ rank &lt; size.</exception>
    public static IReadOnlyList<ComparisonPair> PairsOf(IReadOnlyList<string> losses, int seeds, int rank, int size)
    {
        if (size < 1 || rank < 0 || rank >= size)
            throw new ArgumentOutOfRangeException(nameof(rank), $"Shard {rank} of {size}: need 0 <= shard < count and count >= 1.");
        return AllPairs(losses, seeds).Where((_, i) => i % size == rank).ToList();
    }

    /// <summary>This shard's pairs of a study.</summary>
    public IReadOnlyList<ComparisonPair> Pairs(IReadOnlyList<string> losses, int seeds) => PairsOf(losses, seeds, Index, Count);

    /// <summary>"K/N" with K counted from 1, as <c>--shard</c> takes it.</summary>
    public override string ToString() => $"{Index + 1}/{Count}";

    /// <summary>
    /// Parses <c>--shard</c>: <c>K/N</c> with 1 ≤ K ≤ N, or <c>slurm</c> (<c>SLURM_ARRAY_TASK_ID</c> minus
    /// <c>SLURM_ARRAY_TASK_MIN</c>, of <c>SLURM_ARRAY_TASK_COUNT</c>, from <paramref name="environment"/>).
    /// </summary>
    /// <exception cref="FormatException">The text or the Slurm variables are not a shard; the message says what is expected.</exception>
    public static ComparisonShard Parse(string text, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var trimmed = (text ?? "").Trim();
        if (trimmed.Equals("slurm", StringComparison.OrdinalIgnoreCase))
        {
            static int? Int(string? v) => int.TryParse(v, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture,
                out var n) ? n : null;
            var id = Int(environment("SLURM_ARRAY_TASK_ID"));
            var count = Int(environment("SLURM_ARRAY_TASK_COUNT"));
            var min = Int(environment("SLURM_ARRAY_TASK_MIN")) ?? 0;
            if (id is null || count is null)
                throw new FormatException("ComparisonOptions.Shard 'slurm' reads SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, which are not set: run " +
                    "it as a task of a Slurm job array (sbatch's array option), or give the shard as K/N.");
            if (count < 1 || id - min < 0 || id - min >= count)
                throw new FormatException($"ComparisonOptions.Shard 'slurm': SLURM_ARRAY_TASK_ID={id} (SLURM_ARRAY_TASK_MIN={min}) is not one of " +
                    $"SLURM_ARRAY_TASK_COUNT={count} tasks; use a contiguous array such as 0-{count - 1}.");
            return new ComparisonShard(id.Value - min, count.Value);
        }
        var parts = trimmed.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], out var k) && int.TryParse(parts[1], out var n) && n >= 1 && k >= 1 && k <= n)
            return new ComparisonShard(k - 1, n);
        throw new FormatException($"ComparisonOptions.Shard must be K/N with 1 <= K <= N (e.g. 1/4), or slurm, not '{text}'.");
    }
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

    /// <summary>
    /// The comparison's own estimate of the time left (<see cref="RemainingTime"/>: per loss, from the runs of that loss
    /// already timed); null: <see cref="TimeLeft"/> falls back to the overall pace.
    /// </summary>
    public TimeSpan? Estimate { get; init; }

    /// <summary>Time left: <see cref="Estimate"/>, else at the pace so far (as if runs were alike); null until some of it is done.</summary>
    public TimeSpan? TimeLeft => Estimate ?? (Fraction > 0 ? TimeSpan.FromSeconds(Elapsed.TotalSeconds * (1 - Fraction) / Fraction) : null);
}

/// <summary>
/// The time a comparison has left, from what its runs took. Runs of one loss take about the same time, runs of
/// different losses do not (WGAN-GP's five critic steps with a double backward against one plain step: a factor of
/// five to ten), so every pending run is costed at the mean of its own loss's timed runs, a loss not timed yet at
/// the mean of all timed runs, and the current run by its loss's mean blended with its own pace as it advances.
/// The comparison trains seed by seed (every loss once, then again) so each loss is timed early.
/// </summary>
public sealed class RemainingTime
{
    private readonly List<string> _pending;
    private readonly Dictionary<string, List<double>> _timed = new(StringComparer.Ordinal);

    /// <summary>Starts with the losses of the runs still to train, one entry per run (the current one included).</summary>
    public RemainingTime(IEnumerable<string> pendingRuns) => _pending = pendingRuns.ToList();

    /// <summary>A run of <paramref name="loss"/> finished in <paramref name="seconds"/> (training and evaluation).</summary>
    public void Finished(string loss, double seconds)
    {
        _pending.Remove(loss);
        if (!_timed.TryGetValue(loss, out var list)) _timed[loss] = list = [];
        list.Add(seconds);
    }

    /// <summary>
    /// Seconds left: the current run of <paramref name="currentLoss"/> (null between runs), <paramref name="runSeconds"/>
    /// into it, <paramref name="runFraction"/> of its steps done; then every other pending run. Null while nothing is
    /// timed and the current run has made no progress.
    /// </summary>
    public double? Seconds(string? currentLoss, double runSeconds, double runFraction)
    {
        var all = _timed.Values.SelectMany(v => v).ToList();
        double? Mean(string loss) => _timed.TryGetValue(loss, out var v) ? v.Average() : all.Count > 0 ? all.Average() : null;
        double total = 0;
        var others = new List<string>(_pending);
        if (currentLoss is not null)
        {
            others.Remove(currentLoss);
            double? pace = runFraction > 0 ? runSeconds / runFraction : null;    // projected length of the current run
            // The projection from this run's pace grows more reliable as it advances (early on it carries the set-up);
            // its loss's timed runs are reliable from the start: blend the two by the fraction done.
            double? timed = _timed.ContainsKey(currentLoss) ? Mean(currentLoss) : null;
            double? length = (pace, timed) switch
            {
                ({ } p, { } m) => runFraction * p + (1 - runFraction) * m,
                ({ } p, null) => p,
                (null, { } m) => m,
                _ => Mean(currentLoss),
            };
            if (length is null) return null;
            total += Math.Max(length.Value - runSeconds, 0);
            if (all.Count == 0) return total + others.Count * length.Value;   // nothing timed yet: the others as long as this one
        }
        foreach (var loss in others)
        {
            if (Mean(loss) is not { } m) return null;
            total += m;
        }
        return total;
    }
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
public sealed record SampleMetrics(double SlicedWasserstein, double EnergyDistance, ModeMetrics? Modes)
{
    /// <summary>For a conditional generator on a mixture, the fraction of samples generated for label k that land in mode k
    /// (<see cref="Metrics2D.LabelToMode(ReadOnlySpan{float}, IReadOnlyList{long}, IMixtureDataset2D, double)"/>); null otherwise.</summary>
    public LabelModeAccuracy? LabelToMode { get; init; }
}

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
        var labels = Enumerable.Range(0, count).Select(i => (long)(i % mixture.Modes.Count)).ToArray();
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
