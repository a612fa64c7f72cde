using GanDsl.Evaluation;
using GanDsl.Formats;
using System.Globalization;
using GanDsl.Cli;
using GanDsl.Data;
using GanDsl.Training;
using static GanDsl.Tests.Cli.CliRunner;

namespace GanDsl.Tests.Cli;

/// <summary><c>gan compare</c> end to end, in-process: tiny budgets (20 steps, batch 64, 2,000 evaluation samples, one thread).</summary>
public class CompareTests : TempFolderTests
{
    private static Outcome Compare(string outDir, params string[] options) =>
        Run(["compare", "--assembly", TestAssembly, "--data", "ring", "--batch", "64", "--threads", "1", "--samples", "2000", "--out", outDir, .. options]);

    private static Outcome Compare(string outDir, CancellationToken interrupt, params string[] options) =>
        Run(["compare", "--assembly", TestAssembly, "--data", "ring", "--batch", "64", "--threads", "1", "--samples", "2000", "--out", outDir, .. options], interrupt);

    /// <summary>comparison.csv as one dictionary per row, keyed by column.</summary>
    private static List<Dictionary<string, string>> ReadTable(string dir)
    {
        var (header, rows) = ReadCsv(Path.Combine(dir, "comparison.csv"));
        return rows.Select(r => header.Zip(r).ToDictionary(p => p.First, p => p.Second)).ToList();
    }

    private static double Number(Dictionary<string, string> row, string column) => double.Parse(row[column], CultureInfo.InvariantCulture);

    private static string[] MarkdownRows(string text) =>
        text.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| loss ", StringComparison.Ordinal)).ToArray();

    [Fact]
    public void Table_has_a_row_per_loss_with_its_seeds()
    {
        var dir = TempDir("compare");
        var o = Compare(dir, "--losses", "nonsaturating,lsgan", "--seeds", "2", "--steps", "20");
        Assert.True(o.ExitCode == 0, o.Stderr);

        var markdown = File.ReadAllText(Path.Combine(dir, "comparison.md"));
        Assert.Contains(markdown.TrimEnd(), o.Stdout); // the printed table is the file's
        var rows = MarkdownRows(markdown);
        Assert.Equal(2, rows.Length);
        Assert.StartsWith("| nonsaturating | 2 | 0 | ", rows[0]);
        Assert.StartsWith("| lsgan | 2 | 0 | ", rows[1]);
        Assert.Contains("modes covered (of 8)", markdown);

        var table = ReadTable(dir);
        foreach (var loss in new[] { "nonsaturating", "lsgan" })
        {
            var perSeed = table.Where(r => r["loss"] == loss && r["status"] == "completed").ToList();
            Assert.Equal(new[] { "0", "1" }, perSeed.Select(r => r["seed"]));
            Assert.All(perSeed, r => Assert.Equal("20", r["steps"]));
            var mean = Assert.Single(table, r => r["loss"] == loss && r["seed"] == "mean");
            Assert.Equal("2/2", mean["status"]);
            Assert.Equal(perSeed.Average(r => Number(r, "sliced_wasserstein")), Number(mean, "sliced_wasserstein"), 12);
            Assert.Single(table, r => r["loss"] == loss && r["seed"] == "std");
            for (var seed = 0; seed < 2; seed++)
            {
                // Each run is an ordinary train folder.
                var run = Path.Combine(dir, loss, $"seed-{seed}");
                foreach (var file in new[] { "samples.npy", "samples.png", "checkpoint.bin", "metrics.csv", "config.json" })
                    Assert.True(File.Exists(Path.Combine(run, file)), $"{run}/{file} is missing");
            }
        }
        Assert.Contains("\"seed\": 1", File.ReadAllText(Path.Combine(dir, "lsgan", "seed-1", "config.json")));
    }

    [Fact]
    public void Seeds_differ_and_a_seed_reproduces()
    {
        string[] MetricsOf(string dir, string seed)
        {
            var row = ReadTable(dir).Single(r => r["loss"] == "nonsaturating" && r["seed"] == seed);
            return [row["sliced_wasserstein"], row["energy_distance"], row["high_quality_fraction"], row["mean_distance_to_mode"]];
        }
        var first = TempDir("compare-a");
        var second = TempDir("compare-b");
        Assert.Equal(0, Compare(first, "--losses", "nonsaturating", "--seeds", "2", "--steps", "20").ExitCode);
        Assert.Equal(0, Compare(second, "--losses", "nonsaturating", "--seeds", "2", "--steps", "20").ExitCode);

        Assert.Equal(MetricsOf(first, "0"), MetricsOf(second, "0"));
        Assert.Equal(MetricsOf(first, "1"), MetricsOf(second, "1"));
        Assert.NotEqual(MetricsOf(first, "0")[0], MetricsOf(first, "1")[0]);
    }

    [Fact]
    public void Metrics_are_those_of_the_run_samples_and_training_lowers_them()
    {
        var untrained = TempDir("compare-0");
        var trained = TempDir("compare-40");
        Assert.Equal(0, Compare(untrained, "--losses", "wgan-gp", "--seeds", "1", "--steps", "0").ExitCode);
        Assert.Equal(0, Compare(trained, "--losses", "wgan-gp", "--seeds", "1", "--steps", "40").ExitCode);

        // The table's values are Metrics2D of the run's samples.npy against the comparison's reference.npy.
        var samples = NpyFile.Read(Path.Combine(untrained, "wgan-gp", "seed-0", "samples.npy"));
        var reference = NpyFile.Read(Path.Combine(untrained, "reference.npy"));
        Assert.Equal(new long[] { 2000, 2 }, samples.Shape);
        Assert.Equal(new long[] { 2000, 2 }, reference.Shape);
        var row = ReadTable(untrained).Single(r => r["seed"] == "0");
        Assert.Equal(Metrics2D.SlicedWasserstein(samples.Data, reference.Data), Number(row, "sliced_wasserstein"));
        Assert.Equal(Metrics2D.EnergyDistance(samples.Data, reference.Data), Number(row, "energy_distance"));
        var modes = Metrics2D.Modes(samples.Data, GaussianMixture2D.Ring());
        Assert.Equal(modes.HighQualityFraction, Number(row, "high_quality_fraction"));
        Assert.Equal(modes.ModesCovered, Number(row, "modes_covered"));

        // 40 WGAN-GP steps move the untrained cloud at the origin towards the ring (measured: 1.25 -> 0.59).
        var after = ReadTable(trained).Single(r => r["seed"] == "0");
        Assert.True(Number(after, "sliced_wasserstein") < 0.8 * Number(row, "sliced_wasserstein"),
            $"sliced Wasserstein {after["sliced_wasserstein"]} after 40 steps vs {row["sliced_wasserstein"]} untrained");
        Assert.Equal(File.ReadAllBytes(Path.Combine(untrained, "reference.npy")), File.ReadAllBytes(Path.Combine(trained, "reference.npy")));
    }

    [Fact]
    public void Diverged_runs_are_counted_not_dropped()
    {
        var dir = TempDir("compare-nan");
        var o = Compare(dir, "--losses", "test-nan,test-nonsaturating", "--seeds", "2", "--steps", "10");
        Assert.True(o.ExitCode == 0, o.Stderr);
        var rows = MarkdownRows(o.Stdout);
        Assert.StartsWith("| test-nan | 2 | 2 | – | – |", rows[0]);
        Assert.StartsWith("| test-nonsaturating | 2 | 0 | ", rows[1]);
        var diverged = ReadTable(dir).Where(r => r["loss"] == "test-nan" && r["status"] == "diverged").ToList();
        Assert.Equal(2, diverged.Count);
        Assert.All(diverged, r => Assert.Contains("term 'ratio'", r["message"]));
        Assert.All(diverged, r => Assert.Equal("", r["sliced_wasserstein"]));
        Assert.Equal("0/2", ReadTable(dir).Single(r => r["loss"] == "test-nan" && r["seed"] == "mean")["status"]);
    }

    [Fact]
    public void Set_applies_to_the_losses_that_have_the_hyperparameter()
    {
        var dir = TempDir("compare-set");
        var o = Compare(dir, "--losses", "test-stateful,test-nonsaturating", "--seeds", "1", "--steps", "2", "--set", "Lambda=0.5");
        Assert.True(o.ExitCode == 0, o.Stderr);
        Assert.Contains("\"Lambda\": 0.5", File.ReadAllText(Path.Combine(dir, "test-stateful", "seed-0", "config.json")));
        Assert.DoesNotContain("Lambda", File.ReadAllText(Path.Combine(dir, "test-nonsaturating", "seed-0", "config.json")));
    }

    [Fact]
    public void Ctrl_C_finishes_the_current_run_and_writes_the_table_of_what_finished()
    {
        var dir = TempDir("compare-interrupt");
        using var interrupt = new CancellationTokenSource();
        // Ctrl-C arrives while the first run trains: it must still run its 20 steps, and no other run may start.
        var stderr = new ActionWriter(line => { if (line.StartsWith("[1/4]", StringComparison.Ordinal)) interrupt.Cancel(); });
        var code = GanCli.Run(["compare", "--losses", "nonsaturating,lsgan", "--seeds", "2", "--steps", "20", "--data", "ring",
            "--batch", "64", "--threads", "1", "--samples", "2000", "--out", dir], new StringWriter(), stderr, interrupt.Token);

        Assert.Equal(ExitCodes.Interrupted, code);
        var run = Assert.Single(ReadTable(dir), r => r["status"] == "completed");
        Assert.Equal(("nonsaturating", "0", "20"), (run["loss"], run["seed"], run["steps"]));
        Assert.Single(MarkdownRows(File.ReadAllText(Path.Combine(dir, "comparison.md"))));
        Assert.False(Directory.Exists(Path.Combine(dir, "lsgan")));
    }

    /// <summary>comparison.csv without the wall-clock column (the only one that differs between two runs of the same pair).</summary>
    internal static List<string> TableWithoutSeconds(string dir) =>
        ReadTable(dir).Select(r => string.Join(",", r.Where(c => c.Key != "seconds").Select(c => $"{c.Key}={c.Value}"))).ToList();

    [Fact]
    public void Two_shards_then_the_merge_give_the_unsharded_table_and_the_merge_trains_nothing()
    {
        string[] study = ["--losses", "nonsaturating,lsgan", "--seeds", "2", "--steps", "10"];
        var whole = TempDir("compare-whole");
        Assert.Equal(0, Compare(whole, study).ExitCode);
        foreach (var loss in new[] { "nonsaturating", "lsgan" })
            for (var seed = 0; seed < 2; seed++)
                Assert.True(File.Exists(Path.Combine(whole, loss, $"seed-{seed}", "run.json")), "every 2-D run leaves its record");
        foreach (var figure in new[] { "comparison_samples.png", "comparison_metrics.png" })
            Assert.True(new FileInfo(Path.Combine(whole, figure)).Length > 10_000, $"{figure} is written");
        // The grid: a column per seed, a row per loss, under a title band.
        var cellWidth = ComparisonFigures.CellSize + GanDsl.Imaging.ScatterPlot.LegendWidth;
        Assert.Equal((2 * cellWidth, 40 + 2 * ComparisonFigures.CellSize), PngSize(Path.Combine(whole, "comparison_samples.png")));

        var sharded = TempDir("compare-sharded");
        var first = Compare(sharded, [.. study, "--shard", "1/2"]);
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.False(File.Exists(Path.Combine(sharded, "comparison.md")), "a shard writes no partial table");
        // Shard 2 of 2 from a Slurm array task (--array=0-1: task 1 of 2).
        Environment.SetEnvironmentVariable("SLURM_ARRAY_TASK_ID", "1");
        Environment.SetEnvironmentVariable("SLURM_ARRAY_TASK_COUNT", "2");
        Outcome second;
        try { second = Compare(sharded, [.. study, "--shard", "slurm"]); }
        finally
        {
            Environment.SetEnvironmentVariable("SLURM_ARRAY_TASK_ID", null);
            Environment.SetEnvironmentVariable("SLURM_ARRAY_TASK_COUNT", null);
        }
        Assert.True(second.ExitCode == 0, second.Stderr);
        // Pairs in table order go round-robin: shard 1 has seed 0 of nonsaturating and lsgan's... every other pair.
        Assert.Equal(2, MarkdownRows(first.Stdout).Sum(r => int.Parse(r.Split('|')[2], CultureInfo.InvariantCulture)));
        Assert.Equal(2, MarkdownRows(second.Stdout).Sum(r => int.Parse(r.Split('|')[2], CultureInfo.InvariantCulture)));

        var checkpoints = Directory.GetFiles(sharded, "checkpoint.bin", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);
        Assert.Equal(4, checkpoints.Count);
        var merge = Compare(sharded, study);
        Assert.True(merge.ExitCode == 0, merge.Stderr);
        Assert.DoesNotContain("[1/", merge.Stderr);   // no run started
        Assert.Equal(4, merge.Stderr.Split('\n').Count(l => l.Contains("already done", StringComparison.Ordinal)));
        Assert.All(checkpoints, c => Assert.Equal(c.Value, File.GetLastWriteTimeUtc(c.Key)));
        Assert.Equal(TableWithoutSeconds(whole), TableWithoutSeconds(sharded));
        Assert.True(File.Exists(Path.Combine(sharded, "comparison_samples.png")));

        // A record of other settings is not reused: a different --steps trains again.
        var other = Compare(sharded, ["--losses", "nonsaturating", "--seeds", "1", "--steps", "2"]);
        Assert.True(other.ExitCode == 0, other.Stderr);
        Assert.Contains("[1/1] nonsaturating, seed 0", other.Stderr);
    }

    [Fact]
    public void Shard_must_be_K_of_N()
    {
        AssertBadInput("--shard must be K/N", "--losses", "nonsaturating", "--data", "ring", "--shard", "3/2");
        AssertBadInput("SLURM_ARRAY_TASK_ID", "--losses", "nonsaturating", "--data", "ring", "--shard", "slurm");
    }

    /// <summary>A writer that hands every line to a callback (to press Ctrl-C at a chosen moment).</summary>
    private sealed class ActionWriter(Action<string> onLine) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value is not null) onLine(value);
        }
    }

    // ------------------------------------------------------------ bad arguments: one line, exit 2, nothing written

    private static void AssertBadInput(string expectedFragment, params string[] options)
    {
        var dir = Path.Combine(TempDir("compare-args"), "out");
        var o = Run(["compare", "--assembly", TestAssembly, "--out", dir, .. options]);
        Assert.Equal(ExitCodes.BadInput, o.ExitCode);
        var line = Assert.Single(o.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("gan: ", line);
        Assert.Contains(expectedFragment, line);
        Assert.False(Directory.Exists(dir), "no work may start (the output folder must not be created)");
        Assert.Equal("", o.Stdout);
    }

    [Fact]
    public void Bad_arguments_exit_2_before_any_work()
    {
        AssertBadInput("Unknown loss 'no-such-loss'", "--losses", "nonsaturating,no-such-loss", "--data", "ring");
        AssertBadInput("--seeds must be 1 or more, not 0", "--losses", "nonsaturating", "--data", "ring", "--seeds", "0");
        AssertBadInput("--steps must be 0 or more, not -1", "--losses", "nonsaturating", "--data", "ring", "--steps", "-1");
        AssertBadInput("--batch must be positive", "--losses", "nonsaturating", "--data", "ring", "--batch", "0");
        AssertBadInput("--losses names 'lsgan' twice", "--losses", "lsgan,nonsaturating,lsgan", "--data", "ring");
        AssertBadInput("--losses needs loss names", "--losses", "lsgan,,wgan-gp", "--data", "ring");
        AssertBadInput("none of the losses has a hyperparameter 'Lamda'", "--losses", "wgan-gp,lsgan", "--data", "ring", "--set", "Lamda=5");
        AssertBadInput("--set expects NAME=VALUE", "--losses", "wgan-gp", "--data", "ring", "--set", "Lambda");
        AssertBadInput("Unknown dataset 'moons'", "--losses", "wgan-gp", "--data", "moons");
        AssertBadInput("Unknown model 'resnet'", "--losses", "wgan-gp", "--data", "ring", "--model", "resnet");
        AssertBadInput("Option '--losses' is required", "--data", "ring");
        AssertBadInput("Unknown option '--seed' for 'gan compare'. Did you mean '--seeds'?", "--losses", "wgan-gp", "--data", "ring", "--seed", "3");
    }

    [Fact]
    public void Data_that_is_not_2D_is_refused()
    {
        var file = Path.Combine(TempDir("compare-3d"), "points3d.npy");
        NpyFile.Write(file, new float[900], [300, 3]); // more rows than the default batch, so the shape is the only problem
        AssertBadInput("evaluates 2D samples", "--losses", "nonsaturating", "--data", file);
    }
}
