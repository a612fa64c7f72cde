using System.CommandLine;
using System.Text;

namespace GanDsl.Cli.Commands;

/// <summary>
/// <c>gan show [LOSS...]</c>: each loss's objective as mathematics, from the formula the source generator wrote into the
/// loss (<see cref="LossInfo.Formula"/>): Unicode/Markdown by default, LaTeX with <c>--latex</c>; <c>--doc FILE</c>
/// rewrites the generated formula blocks of a Markdown catalogue (docs/losses.md).
/// </summary>
public static class ShowCommand
{
    /// <summary>Printed after the options by <c>gan show --help</c>.</summary>
    internal const string Notes = """
        Without LOSS, every loss (the zoo and --assembly). --latex --document writes a whole LaTeX document (amsmath,
        amssymb; compiles with pdflatex). --doc FILE rewrites the blocks between '<!-- gan show NAME -->' and
        '<!-- end gan show -->' in FILE, appends a section for each loss it lacks, and writes the same losses as a LaTeX
        document beside it (FILE with .tex); with --check it changes nothing and exits 1 when either is out of date.
        """;

    /// <summary>The <c>show</c> command, writing to <paramref name="cli"/>'s writers.</summary>
    internal static Command Create(CliContext cli)
    {
        var assembly = CliOptions.Assembly("losses");
        var losses = new Argument<string[]>("LOSS") { Description = "loss names (default: every loss)", Arity = ArgumentArity.ZeroOrMore };
        var latex = CliOptions.Flag("--latex", "LaTeX instead of Unicode/Markdown");
        var document = CliOptions.Flag("--document", "with --latex: a complete document (preamble included) that pdflatex compiles");
        var doc = CliOptions.Text("--doc", "rewrite the generated formula blocks of this Markdown file (docs/losses.md)", "FILE");
        var check = CliOptions.Flag("--check", "with --doc: change nothing, exit 1 when the file is out of date");
        var command = new Command("show", "Print each loss's objective as a formula (players' losses, penalties, state updates, hyperparameters).")
        {
            losses, latex, document, doc, check, assembly,
        };
        command.SetAction(parse =>
        {
            var registry = LossCatalog.Load(parse.GetValue(assembly) ?? []);
            var names = parse.GetValue(losses) is { Length: > 0 } given ? given : registry.Names.ToArray();
            var infos = names.Select(n => registry.Contains(n) ? registry.Create(n).Info
                : throw new UsageException($"show: no loss named '{n}' (losses: {string.Join(", ", registry.Names)}).")).ToList();
            if (parse.GetValue(doc) is { } file) return UpdateDocument(file, infos, parse.GetValue(check), cli.Stdout, cli.Stderr);
            if (parse.GetValue(check)) throw new UsageException("show: --check goes with --doc FILE.");
            if (parse.GetValue(document) && !parse.GetValue(latex)) throw new UsageException("show: --document goes with --latex.");
            cli.Stdout.Write(parse.GetValue(latex) ? LossFormulas.Latex(infos, parse.GetValue(document)) : LossFormulas.Markdown(infos));
            return ExitCodes.Success;
        });
        return command;
    }

    private static int UpdateDocument(string path, IReadOnlyList<LossInfo> infos, bool check, TextWriter stdout, TextWriter stderr)
    {
        if (!File.Exists(path)) throw new UsageException($"show --doc: '{Path.GetFullPath(path)}' does not exist.");
        var before = File.ReadAllText(path);
        string after;
        try
        {
            after = LossFormulas.UpdateDocument(before, infos);
        }
        catch (FormatException e)
        {
            stderr.WriteLine($"gan: show --doc {path}: {e.Message}");
            return ExitCodes.BadInput;
        }
        // The LaTeX twin (docs/losses.tex beside docs/losses.md): the same losses as one compilable document.
        var texPath = Path.ChangeExtension(path, ".tex");
        var tex = LossFormulas.Latex(infos, document: true);
        var texBefore = File.Exists(texPath) ? File.ReadAllText(texPath) : null;

        var stale = new List<string>();
        if (after != before) stale.Add(path);
        if (tex != texBefore) stale.Add(texPath);
        if (stale.Count == 0)
        {
            stdout.WriteLine($"{path} and {texPath}: the formulas of {infos.Count} losses are up to date.");
            return ExitCodes.Success;
        }
        if (check)
        {
            stderr.WriteLine($"gan: {string.Join(" and ", stale)} out of date (formulas differ from the generated ones, or a loss has no section). " +
                $"Rerun: gan show --doc {path}");
            return ExitCodes.Failure;
        }
        File.WriteAllText(path, after, new UTF8Encoding(false));
        File.WriteAllText(texPath, tex, new UTF8Encoding(false));
        stdout.WriteLine($"{string.Join(" and ", stale)}: formulas of {infos.Count} losses rewritten.");
        return ExitCodes.Success;
    }
}
