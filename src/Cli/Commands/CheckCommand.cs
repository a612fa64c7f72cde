using System.CommandLine;
using GanDsl.Verification;

namespace GanDsl.Cli.Commands;

/// <summary><c>gan check [LOSS...]</c>: each loss's generated gradients against finite differences (<see cref="GradientChecker"/>).</summary>
public static class CheckCommand
{
    /// <summary>Printed after the options by <c>gan check --help</c>.</summary>
    internal const string Notes = """
        Runs the loss's critic and generator steps in float64 on small random tanh networks and batches (seeded) and
        compares every parameter-gradient element with a central finite difference of the step's loss, and, for each
        gradient the loss takes (penalties), its double backward with finite differences of a projection of it. Random
        draws (Between, UniformLike...) are the same in every evaluation. Without LOSS, every loss.
        Exit code: 0 every element within tolerance, 1 an element out of tolerance or a step that failed.
        """;

    /// <summary>The <c>check</c> command, writing to <paramref name="cli"/>'s writers.</summary>
    internal static Command Create(CliContext cli)
    {
        var assembly = CliOptions.Assembly("losses");
        var losses = new Argument<string[]>("LOSS") { Description = "loss names (default: every loss)", Arity = ArgumentArity.ZeroOrMore };
        var seed = CliOptions.Long("--seed", "seed of the networks, batches, state values and random draws", 1);
        var tolerance = CliOptions.Number("--tolerance", "largest error |analytic - numeric| / max(1, |analytic|, |numeric|) (default: " +
            $"{new GradientCheckOptions().Tolerance:0e+0})");
        var worst = CliOptions.Int("--worst", "rows of the table per loss (the worst elements)", 5);
        var command = new Command("check", "Check each loss's gradients (and its penalties' double backward) against finite differences.")
        {
            losses, seed, tolerance, worst, assembly,
        };
        command.SetAction(parse =>
        {
            var registry = LossCatalog.Load(parse.GetValue(assembly) ?? []);
            var names = parse.GetValue(losses) is { Length: > 0 } given ? given : registry.Names.ToArray();
            foreach (var n in names)
                if (!registry.Contains(n)) throw new UsageException($"check: no loss named '{n}' (losses: {string.Join(", ", registry.Names)}).");
            if (parse.GetValue(tolerance) is { } t && !(t > 0)) throw new UsageException($"--tolerance must be positive, not {t}.");
            var options = new GradientCheckOptions
            {
                Seed = unchecked((ulong)parse.GetValue(seed)),
                Tolerance = parse.GetValue(tolerance) ?? new GradientCheckOptions().Tolerance,
            };
            var failed = new List<string>();
            foreach (var name in names)
            {
                var report = GradientChecker.Check(registry.Create(name), options);
                report.Print(cli.Stdout, Math.Max(1, parse.GetValue(worst)));
                cli.Stdout.WriteLine();
                if (!report.Passed) failed.Add(name);
            }
            if (failed.Count == 0) return ExitCodes.Success;
            cli.Stderr.WriteLine($"gan: check failed for {string.Join(", ", failed)}.");
            return ExitCodes.Failure;
        });
        return command;
    }
}
