namespace GanDsl.Training;

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
