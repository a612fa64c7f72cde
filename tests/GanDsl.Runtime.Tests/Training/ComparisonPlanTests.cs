using GanDsl.Training;

namespace GanDsl.Runtime.Tests.Training;

public class ComparisonShardTests
{
    private static readonly string[] Losses = ["wgan-gp", "nonsaturating", "lsgan"];

    [Fact]
    public void Shards_partition_the_pairs_exactly_and_spread_each_loss()
    {
        var all = ComparisonShard.AllPairs(Losses, 3);
        Assert.Equal(9, all.Count);
        Assert.Equal(new ComparisonPair("wgan-gp", 0), all[0]);
        Assert.Equal(new ComparisonPair("lsgan", 2), all[^1]);
        foreach (var size in new[] { 1, 2, 3, 4, 9, 12 })
        {
            var shards = Enumerable.Range(0, size).Select(rank => ComparisonShard.PairsOf(Losses, 3, rank, size)).ToList();
            Assert.Equal(all.OrderBy(p => p.ToString()), shards.SelectMany(s => s).OrderBy(p => p.ToString()));   // every pair once
            Assert.True(shards.Max(s => s.Count) - shards.Min(s => s.Count) <= 1, $"size {size}: balanced counts");
        }
        // 3 shards of 3 losses x 3 seeds: each shard gets one seed of every loss, not one loss (WGAN-GP costs 5x the others).
        Assert.All(Enumerable.Range(0, 3), rank =>
            Assert.Equal(Losses, ComparisonShard.PairsOf(Losses, 3, rank, 3).Select(p => p.Loss)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ComparisonShard.PairsOf(Losses, 3, 2, 2));
    }

    [Fact]
    public void Parse_reads_K_of_N_from_1_and_the_slurm_array_variables()
    {
        static string? None(string _) => null;
        Assert.Equal(new ComparisonShard(0, 4), ComparisonShard.Parse("1/4", None));
        Assert.Equal(new ComparisonShard(3, 4), ComparisonShard.Parse(" 4/4 ", None));
        Assert.Equal("2/4", new ComparisonShard(1, 4).ToString());
        foreach (var bad in new[] { "0/4", "5/4", "1/0", "x", "1-4", "" })
            Assert.Contains("K/N", Assert.Throws<FormatException>(() => ComparisonShard.Parse(bad, None)).Message);

        var slurm = new Dictionary<string, string> { ["SLURM_ARRAY_TASK_ID"] = "7", ["SLURM_ARRAY_TASK_COUNT"] = "4", ["SLURM_ARRAY_TASK_MIN"] = "5" };
        Assert.Equal(new ComparisonShard(2, 4), ComparisonShard.Parse("slurm", k => slurm.GetValueOrDefault(k)));
        slurm.Remove("SLURM_ARRAY_TASK_MIN");
        Assert.Contains("SLURM_ARRAY_TASK_ID=7", Assert.Throws<FormatException>(() => ComparisonShard.Parse("slurm", k => slurm.GetValueOrDefault(k))).Message);
        Assert.Contains("not set", Assert.Throws<FormatException>(() => ComparisonShard.Parse("slurm", None)).Message);
    }
}

public class RemainingTimeTests
{
    [Fact]
    public void Each_pending_run_is_costed_at_its_own_loss_time()
    {
        // Seed-major order of 2 losses x 3 seeds; A takes 50 s a run, B 10 s (what a pace-only estimate gets wrong:
        // after A's first run it would say 5 x 50 = 250 s for the 170 s left).
        var left = new RemainingTime(["A", "B", "A", "B", "A", "B"]);
        Assert.Null(left.Seconds(null, 0, 0));                     // nothing timed
        Assert.Equal(25 + 5 * 50.0, left.Seconds("A", 25, 0.5)!.Value, 9);   // only A's pace known: 25 s left of it, 5 more like it
        left.Finished("A", 50);
        Assert.Equal(5 * 50.0, left.Seconds(null, 0, 0)!.Value, 9);     // B not timed yet: costed at the mean of what is
        left.Finished("B", 10);
        Assert.Equal(2 * 50 + 2 * 10.0, left.Seconds(null, 0, 0)!.Value, 9);   // exact from here on
        // In A's second run, 20 s in and 40% done: A's history (50 s) blended with this run's pace (50 s) -> 30 s left of it.
        Assert.Equal(30 + 50 + 2 * 10.0, left.Seconds("A", 20, 0.4)!.Value, 9);
        left.Finished("A", 50);
        left.Finished("B", 10);
        left.Finished("A", 50);
        Assert.Equal(10, left.Seconds(null, 0, 0)!.Value, 9);
        left.Finished("B", 10);
        Assert.Equal(0, left.Seconds(null, 0, 0)!.Value, 9);
    }
}
