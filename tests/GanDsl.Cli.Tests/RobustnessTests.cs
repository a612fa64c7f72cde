using GanDsl.Formats;
using System.Text.Json.Nodes;
using GanDsl.Cli;
using GanDsl.Nn;
using GanDsl.Training;
using static GanDsl.Tests.Cli.CliRunner;

namespace GanDsl.Tests.Cli;

/// <summary>
/// Issue 22: the user's code fenced (exit 1 with one line naming the type and member, the stack trace in error.log or
/// with --verbose, the checkpoint intact), the dry run before step 1 naming the network at fault, options given
/// with --resume honoured, corrupt checkpoint parts named.
/// </summary>
public class RobustnessTests : TempFolderTests
{
    public RobustnessTests() => UserFaultFamily.Fault = UserFault.None;

    private static string[] ErrorLines(Outcome o) => o.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("gan:", StringComparison.Ordinal)).ToArray();

    [Fact]
    public void A_loss_step_that_throws_is_one_error_naming_its_type_and_member_with_exit_1_and_the_checkpoint_intact()
    {
        var dir = TempDir("throwing-loss");
        var o = Train(dir, "--loss", "test-throwing", "--data", "ring", "--steps", "5", "--batch", "16", "--checkpoint-every", "1", "--sample-every", "0", "--samples", "20");
        Assert.Equal(ExitCodes.Failure, o.ExitCode);
        Assert.Contains("GanDsl.Runtime.Tests.Training.TestThrowing.DiscriminatorStep threw NullReferenceException at generator step 3", o.Stderr);
        Assert.Contains("The last checkpoint written, if any, is intact.", o.Stderr);
        Assert.DoesNotContain("   at ", o.Stderr); // no stack trace without --verbose
        var log = File.ReadAllText(Path.Combine(dir, "error.log"));
        Assert.Contains("System.NullReferenceException", log);
        Assert.Contains("at GanDsl.Runtime.Tests.Training.TestThrowing.DiscriminatorStep", log);
        Assert.Equal(2, CheckpointFile.Load(Path.Combine(dir, CheckpointFile.FileName)).Metadata.Step);

        var verbose = Train(TempDir("throwing-loss-verbose"), "--loss", "test-throwing", "--data", "ring", "--steps", "5", "--batch", "16", "--sample-every", "0", "--verbose");
        Assert.Equal(ExitCodes.Failure, verbose.ExitCode);
        Assert.Contains("at GanDsl.Runtime.Tests.Training.TestThrowing.DiscriminatorStep", verbose.Stderr);
    }

    [Fact]
    public void A_step_that_returns_null_is_named()
    {
        var o = Train(TempDir("null-step"), "--loss", "test-null-step", "--data", "ring", "--steps", "3", "--batch", "16", "--sample-every", "0");
        Assert.Equal(ExitCodes.Failure, o.ExitCode);
        Assert.Contains("GanDsl.Runtime.Tests.Training.TestNullStep.GeneratorStep returned null at generator step 1", ErrorLines(o)[0]);
    }

    [Fact]
    public void A_model_family_whose_Build_throws_or_returns_null_is_named_with_exit_1()
    {
        UserFaultFamily.Fault = UserFault.BuildThrows;
        var o = Train(TempDir("build-throws"), "--loss", "test-nonsaturating", "--data", "ring", "--model", "test-faulty", "--steps", "2");
        Assert.Equal(ExitCodes.Failure, o.ExitCode);
        Assert.Contains("GanDsl.Runtime.Tests.Training.UserFaultFamily.Build threw IndexOutOfRangeException", o.Stderr);
        Assert.DoesNotContain("Unhandled", o.Stderr);

        UserFaultFamily.Fault = UserFault.BuildReturnsNull;
        o = Train(TempDir("build-null"), "--loss", "test-nonsaturating", "--data", "ring", "--model", "test-faulty", "--steps", "2");
        Assert.Equal(ExitCodes.Failure, o.ExitCode);
        Assert.Contains("GanDsl.Runtime.Tests.Training.UserFaultFamily.Build returned null for network 'D'", o.Stderr);
    }

    [Theory]
    [InlineData(UserFault.WideCritic, "D (Sequential) was built for 3 features but the data 'ring' has 2")]
    [InlineData(UserFault.WideGenerator, "G (Sequential) returned [2, 3] for the noise of model family 'test-faulty' [2, 3]; as a generator with Sample output the loss needs samples shaped like the data 'ring': [2, 2]")]
    [InlineData(UserFault.Float64Critic, "D (Sequential) has float64 parameters, but the data 'ring' is float32")]
    [InlineData(UserFault.ExtraRowCritic, "D (Critic) returned [3, 1] for the data 'ring' [2, 2]; as a critic with Score output the loss needs one score per sample: [2] or [2, 1]")]
    [InlineData(UserFault.IntegerCritic, "D (Critic) returned int64 for the data 'ring'")]
    [InlineData(UserFault.DetachedCritic, "D (Critic) returned a tensor with no gradient path to its parameters")]
    public void The_dry_run_names_the_network_input_and_shapes_before_step_1(UserFault fault, string expected)
    {
        UserFaultFamily.Fault = fault;
        var dir = Path.Combine(TempDir("dry-run"), "out");
        var o = Train(dir, "--loss", "test-nonsaturating", "--data", "ring", "--model", "test-faulty", "--steps", "2");
        Assert.Equal(ExitCodes.BadInput, o.ExitCode);
        Assert.Contains(expected, Assert.Single(ErrorLines(o)));
        Assert.DoesNotContain("mat1 and mat2", o.Stderr.Split(':')[0]);
        Assert.False(Directory.Exists(dir), "nothing is written before the run starts");
    }

    [Fact]
    public void Learning_rates_given_with_resume_take_effect_and_are_recorded()
    {
        var first = TempDir("resume-lr");
        var o = Train(first, "--loss", "test-stateful", "--data", "ring", "--steps", "3", "--batch", "32", "--sample-every", "0", "--samples", "20", "--lr-d", "0.005");
        Assert.True(o.ExitCode == 0, o.Stderr);
        var plain = TempDir("resume-plain");
        var faster = TempDir("resume-faster");
        foreach (var f in Directory.GetFiles(first)) { File.Copy(f, Path.Combine(plain, Path.GetFileName(f))); File.Copy(f, Path.Combine(faster, Path.GetFileName(f))); }

        string[] resume = ["--loss", "test-stateful", "--data", "ring", "--steps", "5", "--batch", "32", "--sample-every", "0", "--samples", "20", "--resume"];
        Assert.Equal(0, Train(plain, resume).ExitCode);
        Assert.Equal(0, Train(faster, [.. resume, "--lr-d", "0.5", "--lr-g", "0.25"]).ExitCode);

        // Without the options the checkpoint's rates go on (D's 0.005 of the first run) and config.json says so.
        Assert.Equal([0.005, 0.001], LearningRates(plain));
        Assert.Equal([0.5, 0.25], LearningRates(faster));
        var weights = (string dir) => CheckpointFile.Load(Path.Combine(dir, CheckpointFile.FileName)).Records.Single(r => r.Name == "net.D.0.weight").Data;
        Assert.NotEqual(weights(plain), weights(faster));
    }

    [Fact]
    public void A_seed_that_cannot_take_effect_on_resume_is_refused_naming_the_option()
    {
        var dir = TempDir("resume-seed");
        Assert.Equal(0, Train(dir, "--loss", "test-stateful", "--data", "ring", "--steps", "2", "--batch", "32", "--sample-every", "0", "--samples", "20", "--seed", "5").ExitCode);
        var o = Train(dir, "--loss", "test-stateful", "--data", "ring", "--steps", "4", "--batch", "32", "--sample-every", "0", "--resume");
        Assert.Equal(ExitCodes.BadInput, o.ExitCode);
        Assert.Contains("was trained with seed 5, not 0", o.Stderr);
        Assert.Contains("Resume with --seed 5", o.Stderr);
    }

    /// <summary>The learning rates config.json records for D and G.</summary>
    private static double[] LearningRates(string dir)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        var networks = config["networks"]!.AsArray();
        return new[] { "D", "G" }.Select(n => networks.Single(x => (string?)x!["name"] == n)!["optimizer"]!["lr"]!.GetValue<double>()).ToArray();
    }

    [Theory]
    [InlineData("rng.noise")]
    [InlineData("rng.step")]
    public void A_garbage_random_state_of_the_right_length_is_a_checkpoint_error_naming_the_part(string part)
    {
        var dir = TempDir("garbage-rng");
        Assert.Equal(0, Train(dir, "--loss", "test-stateful", "--data", "ring", "--steps", "2", "--batch", "32", "--sample-every", "0", "--samples", "20").ExitCode);
        ReplaceEntry(dir, part, bytes => { new Random(1).NextBytes(bytes); return bytes; });
        var o = Train(dir, "--loss", "test-stateful", "--data", "ring", "--steps", "4", "--batch", "32", "--sample-every", "0", "--resume");
        Assert.Equal(ExitCodes.BadInput, o.ExitCode);
        Assert.Contains($"part '{part}'", o.Stderr);
        Assert.Contains("mt19937", o.Stderr);
    }

    [Fact]
    public void Corrupt_optimizer_bytes_under_a_valid_checksum_are_a_checkpoint_error_naming_the_part()
    {
        var dir = TempDir("corrupt-optim");
        Assert.Equal(0, Train(dir, "--loss", "test-stateful", "--data", "ring", "--steps", "2", "--batch", "32", "--sample-every", "0", "--samples", "20").ExitCode);
        ReplaceEntry(dir, "optim.D", bytes => { Array.Fill(bytes, (byte)0xFF, 0, Math.Min(64, bytes.Length)); return bytes; });
        var o = Train(dir, "--loss", "test-stateful", "--data", "ring", "--steps", "4", "--batch", "32", "--sample-every", "0", "--resume");
        Assert.Equal(ExitCodes.BadInput, o.ExitCode);
        Assert.Contains("part 'optim.D'", Assert.Single(ErrorLines(o)));
    }

    /// <summary>Rewrites one byte entry of the checkpoint, keeping the file's checksum valid.</summary>
    private static void ReplaceEntry(string dir, string name, Func<byte[], byte[]> edit)
    {
        var path = Path.Combine(dir, CheckpointFile.FileName);
        var records = TensorFile.Read(path).ToList();
        var entry = records.Single(r => r.Name == name);
        records[records.IndexOf(entry)] = CheckpointFile.BytesRecord(name, edit(CheckpointFile.BytesOf(entry, path)));
        TensorFile.Write(path, records);
    }

    [Fact]
    public void Runtime_messages_reach_the_command_line_with_its_flags()
    {
        var o = Train(TempDir("flags"), "--loss", "test-nonsaturating", "--data", "ring", "--batch", "2147483647", "--steps", "2");
        Assert.Equal(ExitCodes.BadInput, o.ExitCode);
        Assert.Contains("gan: --batch 2147483647", o.Stderr);
        Assert.DoesNotContain("TrainOptions.", o.Stderr);
    }

    [Fact]
    public void Every_TrainOptions_property_has_a_flag_in_the_table()
    {
        // DataParallel has no flag: the MPI launcher's environment sets it (docs/distributed.md).
        foreach (var property in typeof(TrainOptions).GetProperties().Where(p => p.CanWrite && p.Name != nameof(TrainOptions.DataParallel)))
            Assert.True(OptionNames.Flags.ContainsKey($"TrainOptions.{property.Name}"), $"TrainOptions.{property.Name} has no flag in OptionNames.Flags");
        Assert.Equal("--lr-d must be positive", OptionNames.ForCommandLine("TrainOptions.LearningRateD must be positive"));
    }
}
