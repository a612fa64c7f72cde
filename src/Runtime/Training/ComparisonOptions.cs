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
