using GanDsl.Verification;

namespace GanDsl.Cli.Commands;

/// <summary><c>gan verify-golden FILE...</c>: checks each golden file with the zoo helper's <see cref="GoldenVerifier"/>.</summary>
public static class VerifyGoldenVerb
{
    private const string Help = """
        gan verify-golden FILE...

        Runs each loss of a golden file (shared/golden) on the file's inputs and compares losses and gradients
        with the reference values. Exit code: the worst of the files (0 all match, 1 a mismatch, 2 a bad file).
        """;

    /// <summary>Runs the command.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (GanCli.WantsHelp(args)) { stdout.WriteLine(Help); return ExitCodes.Success; }
        var a = new ArgumentReader("verify-golden", args, [], []);
        if (a.Positionals.Count == 0) throw new UsageException("'gan verify-golden' needs at least one FILE.");
        var worst = ExitCodes.Success;
        foreach (var path in a.Positionals) worst = Math.Max(worst, GoldenVerifier.Run(path, stdout, stderr, GanDsl.Losses.Zoo.CreateRegistry()));
        return worst;
    }
}
