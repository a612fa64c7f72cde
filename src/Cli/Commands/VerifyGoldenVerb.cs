using System.CommandLine;
using GanDsl.Verification;

namespace GanDsl.Cli.Commands;

/// <summary><c>gan verify-golden FILE...</c>: checks each golden file with the zoo helper's <see cref="GoldenVerifier"/>.</summary>
public static class VerifyGoldenVerb
{
    /// <summary>Printed after the options by <c>gan verify-golden --help</c>.</summary>
    internal const string Notes = """
        Runs each loss of a golden file (tests/reference/golden, tests/reference/zoo) on the file's inputs and compares
        losses and gradients with the reference values (the file format: docs/golden-files.md). --assembly YOUR.dll
        adds the losses your assembly declares, so a golden file of your own losses, computed by an independent
        implementation, checks them. Exit code: the worst of the files (0 all match, 1 a mismatch, 2 a bad file).
        """;

    /// <summary>The <c>verify-golden</c> command, running with <paramref name="cli"/>'s writers.</summary>
    internal static Command Create(CliContext cli)
    {
        var files = new Argument<string[]>("FILE")
        {
            Description = "golden JSON files (e.g. tests/reference/golden/core.json; format: docs/golden-files.md)",
            Arity = ArgumentArity.OneOrMore
        };
        var assembly = CliOptions.Assembly("losses");
        var command = new Command("verify-golden", "Check the generated losses and gradients against golden reference files.") { files, assembly };
        command.SetAction(parse => Run(parse.GetValue(files) ?? [], LossCatalog.Load(parse.GetValue(assembly) ?? []), cli.Stdout, cli.Stderr));
        return command;
    }

    private static int Run(IReadOnlyList<string> paths, LossRegistry registry, TextWriter stdout, TextWriter stderr)
    {
        var worst = ExitCodes.Success;
        foreach (var path in paths) worst = Math.Max(worst, GoldenVerifier.Run(path, stdout, stderr, registry));
        return worst;
    }
}
