using System.CommandLine;
using System.Globalization;

namespace GanDsl.Cli.Commands;

/// <summary><c>gan list</c>: every registered loss with its hyperparameters, schedule, networks and paper.</summary>
public static class ListCommand
{
    /// <summary>The <c>list</c> command, writing to <paramref name="cli"/>'s stdout.</summary>
    internal static Command Create(CliContext cli)
    {
        var assembly = CliOptions.Assembly("losses");
        var command = new Command("list", "List every loss: name, paper, hyperparameters, state, schedule, optimizer and networks.") { assembly };
        command.SetAction(parse => Run(parse.GetValue(assembly) ?? [], cli.Stdout));
        return command;
    }

    private static int Run(IReadOnlyList<string> assemblies, TextWriter stdout)
    {
        var registry = LossCatalog.Load(assemblies);
        if (registry.Names.Count == 0)
        {
            stdout.WriteLine("No losses are registered.");
            return ExitCodes.Success;
        }
        var ci = CultureInfo.InvariantCulture;
        foreach (var name in registry.Names)
        {
            var info = registry.Create(name).Info;
            stdout.WriteLine($"{info.Name}  {OneLine(info.Summary)}");
            var hypers = info.Hyperparameters.Count == 0 ? "none"
                : string.Join(", ", info.Hyperparameters.Select(h =>
                    string.Create(ci, $"{h.Name}={h.Default:G6}") + (string.IsNullOrWhiteSpace(h.Description) ? "" : $" ({OneLine(h.Description)})")));
            stdout.WriteLine($"    hyperparameters: {hypers}");
            if (info.States.Count > 0)
                stdout.WriteLine("    state: " + string.Join(", ", info.States.Select(s =>
                    string.Create(ci, $"{s.Name} from {s.Initial:G6}, {s.Timing}: {s.UpdateExpression}"))));
            var schedule = info.HasCritic ? $"{info.CriticSteps} critic step{(info.CriticSteps == 1 ? "" : "s")} per generator step"
                : "generator steps only (no critic)";
            var clipping = info.Clipping.Count == 0 ? "" : "; clip " + string.Join(", ",
                info.Clipping.Select(c => string.Create(ci, $"{c.Network} to [{c.Min:G6}, {c.Max:G6}]")));
            stdout.WriteLine($"    schedule: {schedule}{clipping}");
            stdout.WriteLine($"    optimizer: {Optimizers(info)}");
            stdout.WriteLine("    networks: " + string.Join(", ", info.Networks.Select(n =>
                $"{n.Name} ({n.Role.ToString().ToLowerInvariant()}, {n.Output.ToString().ToLowerInvariant()})")));
        }
        return ExitCodes.Success;
    }

    /// <summary>
    /// The loss's optimizer settings on one line: the one for every network, or, where networks have their own (the
    /// two-time-scale update rule), each network's (<c>D adam lr 0.0004, betas (0, 0.9); G adam lr 0.0001, ...</c>).
    /// </summary>
    internal static string Optimizers(LossInfo info) => info.NetworkOptimizers.Count == 0
        ? Optimizer(info.Optimizer)
        : string.Join("; ", info.Networks.Select(n => $"{n.Name} {Optimizer(info.OptimizerOf(n.Name))}"));

    private static string Optimizer(OptimizerDefaults o) => o.Kind.Equals("rmsprop", StringComparison.OrdinalIgnoreCase)
        ? string.Create(CultureInfo.InvariantCulture, $"rmsprop lr {o.LearningRate:G6}, alpha {o.Alpha:G6}")
        : string.Create(CultureInfo.InvariantCulture, $"{o.Kind} lr {o.LearningRate:G6}, betas ({o.Beta1:G6}, {o.Beta2:G6})");

    private static string OneLine(string? text) => string.Join(' ', (text ?? "").Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
}
