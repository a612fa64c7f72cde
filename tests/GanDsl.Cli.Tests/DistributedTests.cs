using System.Diagnostics;
using System.Text.Json.Nodes;
using GanDsl;
using GanDsl.Distributed;
using GanDsl.Tests.Cli;
using GanDsl.Training;
using TorchSharp;
using static GanDsl.Tests.Cli.CliRunner;

[assembly: GeneratedGanLoss("test-nan-on-rank-1", typeof(TestNaNOnRank1))]

namespace GanDsl.Tests.Cli;

/// <summary>
/// The non-saturating loss, except that rank 1 of an Open MPI launch makes its generator gradients NaN at its third
/// generator step: the other rank sees finite values of its own and must still stop, with the guard's message.
/// </summary>
public sealed class TestNaNOnRank1() : TestLossBase(MakeInfo("test-nan-on-rank-1"))
{
    private int _generatorSteps;

    public override StepResult DiscriminatorStep(StepContext c)
    {
        var loss = c.Network("D").call(c.Real).neg().softplus().mean() + CriticOnFake(c).softplus().mean();
        loss.backward();
        return new StepResult(loss.ToDouble());
    }

    public override StepResult GeneratorStep(StepContext c)
    {
        _generatorSteps++;
        var loss = GeneratorThroughCritic(c).neg().softplus().mean();
        if (_generatorSteps == 3 && Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_RANK") == "1") loss = loss * double.NaN;
        loss.backward();
        return new StepResult(loss.ToDouble());
    }
}

/// <summary>
/// Data-parallel training under <c>mpirun --oversubscribe</c> (docs/distributed.md): 2 ranks x batch B/2 against 1
/// process x batch B, with and without the gradient all-reduce, resume, a NaN on one rank, and which losses are exact.
/// Needs Open MPI's mpirun (build/test.sh installs openmpi-bin).
/// </summary>
public sealed class DistributedTests : TempFolderTests
{
    /// <summary>Float32 round-off after 8 Adam steps: 2 x 32 and 1 x 64 sum the same gradients in another order.</summary>
    private const double RoundOff = 1e-5;

    private static readonly string[] Small = ["--data", "ring", "--batch", "64", "--samples", "100", "--sample-every", "0", "--log-every", "1"];

    [Fact]
    public void Training_alone_never_loads_libmpi()
    {
        var dir = TempDir("alone");
        var o = Train(dir, ["--loss", "test-nonsaturating", "--steps", "2", .. Small]);
        Assert.True(o.ExitCode == 0, o.Stderr);
        Assert.False(Mpi.IsInitialized);
        Assert.False(Mpi.LibraryIsMapped(), "libmpi is mapped into a process that trained alone");
        Assert.False(File.Exists(Path.Combine(dir, "distributed.json")));
    }

    [Fact]
    public void Two_ranks_of_half_the_batch_train_as_one_process_with_the_whole_batch()
    {
        var (alone, ranks) = AloneAndTwoRanks("test-nonsaturating", "8");
        Assert.True(ranks.BitwiseIdentical, "the ranks ended with different networks");
        Assert.True(alone.MaxDifference(ranks.Dir) < RoundOff, $"2 ranks differ from 1 process by {alone.MaxDifference(ranks.Dir):G3}");
        // The logged (averaged) losses are the single process's, up to round-off.
        var d1 = ReadCsv(Path.Combine(alone.Dir, "metrics.csv")).Rows.Select(r => double.Parse(r[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var d2 = ReadCsv(Path.Combine(ranks.Dir, "metrics.csv")).Rows.Select(r => double.Parse(r[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(d1.Length, d2.Length);
        for (var i = 0; i < d1.Length; i++) Assert.True(Math.Abs(d1[i] - d2[i]) < RoundOff, $"step {i + 1}: D loss {d2[i]} on 2 ranks, {d1[i]} alone");
    }

    /// <summary>
    /// A conditional loss (its terms weighted by y and yz): each rank gets its rows of the batch's labels and of yz with its
    /// rows of the batch and the noise, so 2 ranks train as one process (labels not sliced would not even fit the rows).
    /// </summary>
    [Fact]
    public void A_conditional_loss_on_two_ranks_trains_as_one_process()
    {
        var (alone, ranks) = AloneAndTwoRanks("test-conditional", "8");
        Assert.True(ranks.BitwiseIdentical, "the ranks ended with different networks");
        Assert.True(alone.MaxDifference(ranks.Dir) < RoundOff, $"2 ranks differ from 1 process by {alone.MaxDifference(ranks.Dir):G3}");
    }

    /// <summary>The negative control of the equivalence: without the gradient all-reduce, the same check fails.</summary>
    [Fact]
    public void Without_the_gradient_allreduce_the_ranks_drift_apart()
    {
        var (alone, ranks) = AloneAndTwoRanks("test-nonsaturating", "8", skipAllReduce: true);
        Assert.False(ranks.BitwiseIdentical);
        Assert.True(alone.MaxDifference(ranks.Dir) > 100 * RoundOff, $"without the all-reduce 2 ranks still match 1 process ({alone.MaxDifference(ranks.Dir):G3})");
    }

    /// <summary>
    /// Fisher GAN's λ is averaged over the ranks after each update: exact, since the update is affine in the batch's
    /// second moment Ω (the mean of the per-rank updates is the update with the whole batch's Ω). Compared after the
    /// first critic step: later steps also carry Adam's amplification of round-off (docs/distributed.md), while a
    /// per-rank λ would already differ here by ρ·|Ω_rank − Ω| ≈ 1e-3 of λ.
    /// </summary>
    [Fact]
    public void Fisher_multiplier_on_two_ranks_is_the_single_process_value()
    {
        var (alone, ranks) = AloneAndTwoRanks("fisher", "1");
        Assert.True(ranks.BitwiseIdentical);
        double Lambda(string dir)
        {
            var (header, rows) = ReadCsv(Path.Combine(dir, "metrics.csv"));
            return double.Parse(rows[0][Array.IndexOf(header, "state.Lambda")], System.Globalization.CultureInfo.InvariantCulture);
        }
        var (lambda1, lambda2) = (Lambda(alone.Dir), Lambda(ranks.Dir));
        Assert.NotEqual(0, lambda1);
        Assert.True(Math.Abs(lambda1 - lambda2) <= 1e-6 * Math.Abs(lambda1), $"λ: {lambda2} on 2 ranks, {lambda1} alone");
    }

    /// <summary>
    /// GMMN's MMD² compares samples across the batch: each rank computes it on its own slice (documented as per-rank in
    /// docs/distributed.md), so 2 ranks do not reproduce 1 process, although they stay identical to each other.
    /// </summary>
    [Fact]
    public void Mmd_losses_are_per_rank()
    {
        var (alone, ranks) = AloneAndTwoRanks("gmmn", "4");
        Assert.True(ranks.BitwiseIdentical);
        Assert.True(alone.MaxDifference(ranks.Dir) > 100 * RoundOff, $"gmmn on 2 ranks matches 1 process ({alone.MaxDifference(ranks.Dir):G3}): is it exact now? Update docs/distributed.md");
    }

    /// <summary>
    /// BatchNorm keeps per-rank batch statistics; its running statistics are averaged over the ranks before the
    /// checkpoint. After one step (G unchanged by then, so every rank's batches come from the same network) the averaged
    /// running mean is the single process's (the mean of half-batch means is the batch mean), the running variance is
    /// not (the mean of half-batch variances misses the variance between the halves), and the ranks hold the same bytes.
    /// </summary>
    [Fact]
    public void Batch_norm_running_statistics_are_averaged_over_the_ranks()
    {
        var data = Path.Combine(TempDir("images"), "images.npy");
        var random = new Random(7);
        GanDsl.Formats.NpyFile.Write(data, Enumerable.Range(0, 64 * 28 * 28).Select(_ => (float)(2 * random.NextDouble() - 1)).ToArray(), [64, 1, 28, 28]);
        string[] args = ["--loss", "test-nonsaturating", "--model", "dcgan28", "--data", data, "--batch", "64", "--steps", "1", "--samples", "4", "--sample-every", "0"];
        var alone = TempDir("bn-alone");
        var o = Train(alone, args);
        Assert.True(o.ExitCode == 0, o.Stderr);
        var ranks = TempDir("bn-ranks");
        Check(MpiTrain(2, ranks, args));
        Assert.True(Distributed(ranks)["ranksBitwiseIdentical"]!.GetValue<bool>(), "the ranks' running statistics differ");

        float[] Buffer(string dir, string name) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(
            CheckpointFile.Load(Path.Combine(dir, CheckpointFile.FileName)).Records.Single(r => r.Name == name).Data).ToArray();
        static double MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
        Assert.True(MaxDifference(Buffer(alone, "net.G.1.running_mean"), Buffer(ranks, "net.G.1.running_mean")) < RoundOff);
        Assert.True(MaxDifference(Buffer(alone, "net.G.1.running_var"), Buffer(ranks, "net.G.1.running_var")) > 100 * RoundOff);
    }

    [Fact]
    public void A_two_rank_run_stopped_and_resumed_equals_an_uninterrupted_one()
    {
        string[] run = ["--loss", "test-nonsaturating", "--checkpoint-every", "3", .. Small];
        var whole = TempDir("whole");
        Check(MpiTrain(2, whole, [.. run, "--steps", "6"]));
        // The checkpoint a run killed after step 3 leaves is the one a run ending at step 3 writes.
        var parts = TempDir("parts");
        Check(MpiTrain(2, parts, [.. run, "--steps", "3"]));
        Check(MpiTrain(2, parts, [.. run, "--steps", "6", "--resume"]));
        Assert.Equal(0, new Run(whole).MaxDifference(parts));
        Assert.True(Distributed(parts)["ranksBitwiseIdentical"]!.GetValue<bool>());
    }

    [Fact]
    public void A_global_batch_that_does_not_split_over_the_ranks_is_refused()
    {
        var o = MpiTrain(2, TempDir("uneven"), ["--loss", "test-nonsaturating", "--data", "ring", "--batch", "63", "--steps", "1"]);
        Assert.NotEqual(0, o.ExitCode);
        Assert.Contains("gan: --batch 63 does not split evenly over 2 ranks", o.Stderr);
        Assert.Contains("(for example 62 or 64)", o.Stderr);
    }

    /// <summary>
    /// SIGINT reaching one rank only (as Ctrl-C does when the ranks get it at different moments): both ranks finish the
    /// same step, the checkpoint is written at that step and both report the interruption.
    /// </summary>
    [Fact]
    public void An_interrupt_seen_by_one_rank_stops_every_rank_at_the_same_step()
    {
        var dir = TempDir("interrupt");
        var run = MpiTrainAsync(2, dir, ["--loss", "test-nonsaturating", "--steps", "1000000", "--checkpoint-every", "0", .. Small]);
        var metrics = Path.Combine(dir, "metrics.csv");
        var clock = Stopwatch.StartNew();
        while (!File.Exists(metrics) && clock.Elapsed < TimeSpan.FromMinutes(2) && !run.Process.HasExited) Thread.Sleep(100);
        Assert.True(File.Exists(metrics), "the run did not start logging");
        var rank1 = RankProcess(dir, "1");
        using (var kill = Process.Start("kill", ["-INT", rank1.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        var o = run.Wait();

        var steps = o.Stderr.Split('\n').Where(l => l.StartsWith("Interrupted at step ", StringComparison.Ordinal))
            .Select(l => long.Parse(l["Interrupted at step ".Length..l.IndexOf(';')], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.True(steps.Length == 2, $"expected both ranks to report the interruption:\n{o.Stderr}");
        Assert.Equal(steps[0], steps[1]);
        Assert.Equal(steps[0], CheckpointFile.Load(Path.Combine(dir, CheckpointFile.FileName)).Metadata.Step);
        Assert.True(Distributed(dir)["ranksBitwiseIdentical"]!.GetValue<bool>());
    }

    /// <summary>The process id of rank <paramref name="rank"/> of the run writing to <paramref name="outDir"/> (from /proc).</summary>
    private static int RankProcess(string outDir, string rank)
    {
        foreach (var p in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(p), out var pid)) continue;
            try
            {
                if (!File.ReadAllText(Path.Combine(p, "cmdline")).Contains(outDir, StringComparison.Ordinal)) continue;
                if (File.ReadAllText(Path.Combine(p, "environ")).Split('\0').Contains($"OMPI_COMM_WORLD_RANK={rank}")) return pid;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        throw new InvalidOperationException($"no process of rank {rank} writes to {outDir}");
    }

    [Fact]
    public void A_nan_on_one_rank_stops_every_rank_with_the_guards_message()
    {
        var dir = TempDir("nan");
        var o = MpiTrain(2, dir, ["--loss", "test-nan-on-rank-1", "--steps", "10", .. Small]);
        Assert.NotEqual(0, o.ExitCode);
        // Both ranks print the guard's message (rank 0 saw only finite values of its own).
        var stops = o.Stderr.Split('\n').Count(l => l.Contains("gan: Stopped at generator step 3: the generator loss is NaN", StringComparison.Ordinal));
        Assert.True(stops == 2, $"expected the guard's message from both ranks:\n{o.Stderr}");
        Assert.False(File.Exists(Path.Combine(dir, "distributed.json")));
    }

    // ------------------------------------------------------------------ helpers

    private sealed record Run(string Dir, bool BitwiseIdentical = true)
    {
        /// <summary>The largest absolute difference between the networks of this run's checkpoint and <paramref name="other"/>'s.</summary>
        public double MaxDifference(string other)
        {
            var a = CheckpointFile.Load(Path.Combine(Dir, CheckpointFile.FileName));
            var b = CheckpointFile.Load(Path.Combine(other, CheckpointFile.FileName));
            var max = 0.0;
            var compared = 0;
            foreach (var r in a.Records.Where(r => r.Name.StartsWith("net.", StringComparison.Ordinal)))
            {
                var s = b.Records.Single(x => x.Name == r.Name);
                var x = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(r.Data);
                var y = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(s.Data);
                Assert.Equal(x.Length, y.Length);
                for (var i = 0; i < x.Length; i++) max = Math.Max(max, Math.Abs((double)x[i] - y[i]));
                compared++;
            }
            Assert.True(compared > 0, "no network in the checkpoint");
            return max;
        }
    }

    [Fact]
    public void Compare_under_mpirun_shares_the_pairs_and_rank_zero_writes_the_unsharded_table()
    {
        string[] study = ["--data", "ring", "--losses", "nonsaturating,lsgan", "--seeds", "2", "--steps", "6", "--samples", "500"];
        var alone = TempDir("mpi-compare-alone");
        Check(Run(["compare", "--threads", "1", "--out", alone, .. study]));
        var ranks = TempDir("mpi-compare-ranks");
        var outcome = MpiTrainAsync(2, ranks, study, verb: "compare").Wait();
        Check(outcome);
        // Each rank trained its half of the four pairs, and the table (written once, by rank 0) is the one-process table.
        Assert.Equal(4, Directory.GetFiles(ranks, "run.json", SearchOption.AllDirectories).Length);
        Assert.Equal(2, outcome.Stderr.Split('\n').Count(l => l.Contains("[1/2]", StringComparison.Ordinal)));
        Assert.Equal(CompareTests.TableWithoutSeconds(alone), CompareTests.TableWithoutSeconds(ranks));
    }

    /// <summary>One process with the whole batch (in-process), then 2 ranks with half of it each (mpirun).</summary>
    private static (Run Alone, Run Ranks) AloneAndTwoRanks(string loss, string steps, bool skipAllReduce = false)
    {
        string[] args = ["--loss", loss, "--steps", steps, .. Small];
        var alone = TempDir("alone");
        var o = Train(alone, args);
        Assert.True(o.ExitCode == 0, o.Stderr);
        var ranks = TempDir("ranks");
        Check(MpiTrain(2, ranks, args, skipAllReduce));
        var json = Distributed(ranks);
        Assert.Equal(2, json["ranks"]!.GetValue<int>());
        Assert.Equal(32, json["localBatch"]!.GetValue<int>());
        Assert.Equal(!skipAllReduce, json["averagesGradients"]!.GetValue<bool>());
        return (new Run(alone), new Run(ranks, json["ranksBitwiseIdentical"]!.GetValue<bool>()));
    }

    private static JsonNode Distributed(string dir) => JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "distributed.json")))!;

    private static void Check(Outcome o) => Assert.True(o.ExitCode == 0, $"exit code {o.ExitCode}\n{o.Stdout}\n{o.Stderr}");

    /// <summary>
    /// <c>mpirun -np N --oversubscribe dotnet gan.dll train ...</c> with the test losses and one thread per rank; as root
    /// (CI) with Open MPI's consent variables. Bounded: a run that does not end within 3 minutes fails the test.
    /// </summary>
    private static Outcome MpiTrain(int ranks, string outDir, string[] options, bool skipAllReduce = false) =>
        MpiTrainAsync(ranks, outDir, options, skipAllReduce).Wait();

    private sealed record Launched(Process Process, Task<string> Stdout, Task<string> Stderr)
    {
        public Outcome Wait()
        {
            using (Process)
            {
                if (!Process.WaitForExit(180_000))
                {
                    Process.Kill(entireProcessTree: true);
                    Assert.Fail($"mpirun did not end within 3 minutes (a hang?):\n{Stderr.Result}");
                }
                return new Outcome(Process.ExitCode, Stdout.Result, Stderr.Result);
            }
        }
    }

    private static Launched MpiTrainAsync(int ranks, string outDir, string[] options, bool skipAllReduce = false, string verb = "train")
    {
        var gan = Path.Combine(AppContext.BaseDirectory, "gan.dll");
        var start = new ProcessStartInfo("mpirun") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["-np", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), "--oversubscribe", "--bind-to", "none",
                     "-x", "GANDSL_MPI_SKIP_GRADIENT_ALLREDUCE", "dotnet", gan, verb, "--assembly", TestAssembly, "--threads", "1", "--out", outDir, .. options])
            start.ArgumentList.Add(a);
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        start.Environment["GANDSL_MPI_SKIP_GRADIENT_ALLREDUCE"] = skipAllReduce ? "1" : "0";
        Process p;
        try { p = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("mpirun is not installed: apt-get install openmpi-bin (build/test.sh does it when run as root).", e);
        }
        return new Launched(p, p.StandardOutput.ReadToEndAsync(), p.StandardError.ReadToEndAsync());
    }
}
