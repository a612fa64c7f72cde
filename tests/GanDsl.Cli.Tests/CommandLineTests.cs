using GanDsl.Cli;
using GanDsl.Formats;
using GanDsl.Training;
using static GanDsl.Tests.Cli.CliRunner;

namespace GanDsl.Tests.Cli;

/// <summary>The System.CommandLine front end: help, typo suggestions, option-named errors, completion; and the progress display.</summary>
public class CommandLineTests : TempFolderTests
{
    private static string NewOut() => Path.Combine(TempDir("cl"), "run");

    private static string SingleErrorLine(Outcome o)
    {
        Assert.Equal(ExitCodes.BadInput, o.ExitCode);
        var lines = o.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("gan: ", lines[0]);
        return lines[0];
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public void Mistyped_option_gets_a_suggestion_and_exit_code_2()
    {
        var dir = NewOut();
        var line = SingleErrorLine(Train(dir, "--loss", "test-nonsaturating", "--data", "ring", "--stepz", "5"));
        Assert.Contains("Unknown option '--stepz' for 'gan train'.", line);
        Assert.Contains("Did you mean '--steps'?", line);
        Assert.False(Directory.Exists(dir));

        Assert.Contains("Did you mean '--no-ema'?", SingleErrorLine(Run("sample", "--checkpoint", "x.bin", "--no-emma")));
    }

    [Fact]
    public void Mistyped_command_gets_a_suggestion()
    {
        var line = SingleErrorLine(Run("trian", "--loss", "wgan-gp"));
        Assert.Contains("Unknown command 'trian'. Did you mean 'train'?", line);
    }

    [Fact]
    public void Bad_values_are_reported_with_the_users_option_name()
    {
        var batch = SingleErrorLine(Train(NewOut(), "--loss", "test-nonsaturating", "--data", "ring", "--batch", "many"));
        Assert.Equal("gan: --batch must be a whole number, not 'many'.", batch);
        var lr = SingleErrorLine(Train(NewOut(), "--loss", "test-nonsaturating", "--data", "ring", "--lr-d", "fast"));
        Assert.Equal("gan: --lr-d must be a number, not 'fast'.", lr);
        var threads = SingleErrorLine(Run("eval", "--samples", "noise", "--threads", "0"));
        Assert.Equal("gan: --threads must be positive, not 0.", threads);
        // System.CommandLine's own conversion message would name a .NET type (System.Int32); ours never does.
        foreach (var message in new[] { batch, lr, threads }) Assert.DoesNotContain("System.", message);
    }

    [Fact]
    public void Missing_and_extra_arguments_exit_with_2()
    {
        Assert.Contains("'--loss' is required", SingleErrorLine(Run("train", "--data", "ring", "--out", NewOut())));
        Assert.Contains("'gan train' takes no argument 'extra'", SingleErrorLine(Train(NewOut(), "--loss", "test-nonsaturating", "--data", "ring", "extra")));

        var none = Run();
        Assert.Equal(ExitCodes.BadInput, none.ExitCode);
        Assert.Contains("Usage:", none.Stderr); // the overview, on stderr
        Assert.Equal("", none.Stdout);
    }

    [Fact]
    public void Help_lists_commands_and_options_with_descriptions()
    {
        var root = Run("--help");
        Assert.Equal(ExitCodes.Success, root.ExitCode);
        Assert.Contains("gan [command] [options]", root.Stdout);
        foreach (var command in new[] { "train", "compare", "sample", "eval", "list", "verify-golden" })
            Assert.Contains(Lines(root.Stdout), l => l.StartsWith(command + " ", StringComparison.Ordinal) && l.Length > command.Length + 10);
        Assert.Contains("Exit codes: 0 done", root.Stdout);

        var train = Run("train", "--help");
        Assert.Equal(ExitCodes.Success, train.ExitCode);
        var lines = Lines(train.Stdout);
        Assert.Contains(lines, l => l.StartsWith("--steps <N>", StringComparison.Ordinal) && l.Contains("generator steps in total") && l.Contains("[default: 1000]"));
        Assert.Contains(lines, l => l.StartsWith("--loss <NAME> (REQUIRED)", StringComparison.Ordinal) && l.Contains("a loss of 'gan list'"));
        Assert.Contains(lines, l => l.StartsWith("--assembly <PATH>", StringComparison.Ordinal) && l.Contains("model families"));
        Assert.Contains("Ctrl-C finishes the current step", train.Stdout); // the command's notes follow the options
        Assert.Equal(train.Stdout, Run("help", "train").Stdout);
    }

    [Fact]
    public void Completion_of_loss_lists_the_zoo_and_the_assemblys_losses()
    {
        // dotnet-suggest calls `gan [suggest:POSITION] "COMMAND LINE"`; the completions come one a line on stdout.
        var all = Run("[suggest:13]", "train --loss ");
        Assert.Equal(ExitCodes.Success, all.ExitCode);
        var zoo = GanDsl.Losses.Zoo.CreateRegistry().Names;
        Assert.True(zoo.Count > 10);
        Assert.Equal(zoo.Order(StringComparer.Ordinal), Lines(all.Stdout).Order(StringComparer.Ordinal));

        var w = Lines(Run("[suggest:14]", "train --loss w").Stdout);
        Assert.Contains("wgan-gp", w);
        Assert.All(w, name => Assert.Contains("w", name));

        var line = $"train --assembly {TestAssembly} --loss test-";
        var withAssembly = Lines(Run($"[suggest:{line.Length}]", line).Stdout);
        Assert.Contains("test-nonsaturating", withAssembly);
        Assert.Contains("test-stateful", withAssembly);
    }

    [Fact]
    public void Completion_of_data_and_model()
    {
        var data = Lines(Run("[suggest:13]", "train --data ").Stdout);
        Assert.Superset(new HashSet<string>(["ring", "grid", "swissroll", "fashion-mnist"]), data.ToHashSet());

        var models = Lines(Run("[suggest:14]", "train --model ").Stdout);
        Assert.Equal(["dcgan28", "mlp", "mlp-sn"], models.Order(StringComparer.Ordinal));
        var line = $"train --assembly {TestAssembly} --model ";
        Assert.Contains("test-tiny", Lines(Run($"[suggest:{line.Length}]", line).Stdout));
    }

    [Fact]
    public void Train_uses_a_model_family_from_the_assembly()
    {
        var dir = NewOut();
        var before = TinyTestFamily.Builds;
        var o = Train(dir, "--loss", "test-nonsaturating", "--data", "ring", "--model", "test-tiny", "--steps", "3", "--samples", "20", "--sample-every", "0");
        Assert.True(o.ExitCode == 0, o.Stderr);
        Assert.Contains("with test-tiny, batch 32", o.Stderr); // the family's own default batch
        Assert.True(TinyTestFamily.Builds >= before + 2, "the family built G and D");
        Assert.Equal("test-tiny", CheckpointFile.Load(Path.Combine(dir, CheckpointFile.FileName)).Metadata.Model);

        // gan sample needs the same --assembly to rebuild the generator, and says so without it.
        var checkpoint = Path.Combine(dir, CheckpointFile.FileName);
        var sampled = Run("sample", "--checkpoint", checkpoint, "--count", "10", "--assembly", TestAssembly);
        Assert.True(sampled.ExitCode == 0, sampled.Stderr);
        Assert.Equal([10L, 2L], GanDsl.Formats.NpyFile.Read(Path.Combine(dir, "generated.npy")).Shape);
        Assert.Contains("Unknown model 'test-tiny'. Use one of: mlp, mlp-sn, dcgan28", SingleErrorLine(Run("sample", "--checkpoint", checkpoint)));
    }

    [Fact]
    public void Unknown_model_lists_the_families_of_the_assembly()
    {
        var dir = NewOut();
        var line = SingleErrorLine(Train(dir, "--loss", "test-nonsaturating", "--data", "ring", "--model", "tiny"));
        Assert.Contains("Unknown model 'tiny'. Use one of: mlp, mlp-sn, dcgan28, test-tiny", line);
        Assert.DoesNotContain("not-a-family", line); // no public parameterless constructor: not a family
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void Plain_progress_lines_when_stderr_is_not_a_terminal()
    {
        var o = Train(NewOut(), "--loss", "test-nonsaturating", "--data", "ring", "--steps", "20", "--batch", "16", "--samples", "10", "--sample-every", "0");
        Assert.Equal(0, o.ExitCode);
        var progress = Lines(o.Stderr).Where(l => l.StartsWith("step ", StringComparison.Ordinal)).ToList();
        Assert.Equal(Enumerable.Range(1, 10).Select(k => $"step {2 * k}/20"), progress.Select(l => l[..l.IndexOf("  ", StringComparison.Ordinal)]));
        Assert.All(progress, l => Assert.Matches(@"steps/s  \d+:\d\d left  D \S+  G \S+$", l));
        Assert.DoesNotContain('\r', o.Stderr);
    }

    [Fact]
    public void Live_display_on_a_terminal_shows_the_bar_rate_and_losses()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = GanCli.Run(["train", "--assembly", TestAssembly, "--threads", "1", "--out", NewOut(), "--loss", "test-nonsaturating", "--data", "ring",
            "--steps", "10", "--batch", "16", "--samples", "10", "--sample-every", "0"], stdout, stderr, default, interactiveProgress: true);
        Assert.Equal(0, code);
        var text = stderr.ToString();
        Assert.Contains("test-nonsaturating on ring", text);
        Assert.Contains("100%", text);
        Assert.Contains("10/10", text);
        Assert.Contains("steps/s", text);
        Assert.Contains("\u001b[", text); // drawn with ANSI control sequences (redrawn in place), not plain lines
        // The last losses (a narrow console wraps the column, hence \s+).
        Assert.Matches(@"D\s+-?\d[\d.]*\s+G\s+-?\d", text);
        Assert.Contains("Done: 10 steps", stdout.ToString());
    }

    [Fact]
    public void Live_display_of_a_comparison_shows_run_i_of_n_and_the_time_left()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = GanCli.Run(["compare", "--losses", "nonsaturating,lsgan", "--seeds", "1", "--steps", "6", "--batch", "16", "--samples", "100",
            "--data", "ring", "--threads", "1", "--out", NewOut()], stdout, stderr, default, interactiveProgress: true);
        Assert.True(code == 0, stderr.ToString());
        var text = stderr.ToString();
        Assert.Contains("run 1/2", text);
        Assert.Contains("run 2/2", text);
        Assert.Contains("lsgan, seed 0", text);
        Assert.Matches(@"\d+:\d\d\s+left", text);
        Assert.Contains("[2/2] lsgan, seed 0", text); // the comparison's own log lines, written above the bars
        Assert.Contains("| lsgan", stdout.ToString()); // the table
    }
}
