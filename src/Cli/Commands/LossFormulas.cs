using System.Text;

namespace GanDsl.Cli.Commands;

/// <summary>Documents made of the formulas the generator wrote into each loss (<see cref="LossInfo.Formula"/>).</summary>
public static class LossFormulas
{
    /// <summary>The marker a generated block starts with; the loss's name follows.</summary>
    public const string BlockStart = "<!-- gan show ";

    /// <summary>The marker a generated block ends with.</summary>
    public const string BlockEnd = "<!-- end gan show -->";

    /// <summary>One Markdown section per loss: name, summary, formula.</summary>
    public static string Markdown(IEnumerable<LossInfo> infos)
    {
        var sb = new StringBuilder();
        foreach (var info in infos)
        {
            if (sb.Length > 0) sb.Append('\n');
            sb.Append("## ").Append(info.Name).Append("\n\n").Append(OneLine(info.Summary)).Append("\n\n").Append(Text(info));
            // Per-network optimizers (the two-time-scale update rule) are part of what the loss means; 'gan list' shows every loss's.
            if (info.NetworkOptimizers.Count > 0) sb.Append("\nOptimizers: ").Append(ListCommand.Optimizers(info)).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>One LaTeX section per loss (name, summary in text, formula), optionally wrapped as a complete document.</summary>
    public static string Latex(IEnumerable<LossInfo> infos, bool document)
    {
        var sb = new StringBuilder();
        if (document)
            sb.Append("\\documentclass{article}\n\\usepackage[utf8]{inputenc}\n\\usepackage[T1]{fontenc}\n\\usepackage{amsmath,amssymb}\n")
              .Append("\\usepackage[margin=2cm]{geometry}\n\\setlength{\\parindent}{0pt}\n\\allowdisplaybreaks\n\\begin{document}\n\n");
        foreach (var info in infos)
        {
            sb.Append("\\section*{").Append(LatexText(info.Name)).Append("}\n").Append(LatexText(OneLine(info.Summary))).Append("\n\n");
            sb.Append(info.Formula?.Latex ?? "(No formula: the loss was not declared with [GanLoss].)\n").Append('\n');
        }
        if (document) sb.Append("\\end{document}\n");
        return sb.ToString();
    }

    /// <summary>
    /// <paramref name="document"/> with each loss's generated block replaced by its formula; a loss without a block gets a
    /// new section at the end (its summary as the text). A block naming a loss not in <paramref name="infos"/> is left as is.
    /// </summary>
    /// <exception cref="FormatException">A block has no end marker.</exception>
    public static string UpdateDocument(string document, IReadOnlyList<LossInfo> infos)
    {
        var text = document.Replace("\r\n", "\n", StringComparison.Ordinal);
        var byName = infos.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var sb = new StringBuilder();
        var position = 0;
        while (true)
        {
            var start = text.IndexOf(BlockStart, position, StringComparison.Ordinal);
            if (start < 0) break;
            var nameEnd = text.IndexOf(" -->", start, StringComparison.Ordinal);
            var end = text.IndexOf(BlockEnd, start, StringComparison.Ordinal);
            if (nameEnd < 0 || end < 0) throw new FormatException($"the block at character {start} has no '{BlockEnd}' after it.");
            var name = text[(start + BlockStart.Length)..nameEnd].Trim();
            sb.Append(text, position, start - position);
            if (byName.TryGetValue(name, out var info))
            {
                seen.Add(name);
                sb.Append(Block(info));
            }
            else
            {
                sb.Append(text, start, end + BlockEnd.Length - start);
            }
            position = end + BlockEnd.Length;
        }
        sb.Append(text, position, text.Length - position);
        foreach (var info in infos.Where(i => !seen.Contains(i.Name)))
        {
            if (sb.Length > 0 && sb[^1] != '\n') sb.Append('\n');
            // A loss section as docs/losses.md writes them (### under a family's ##); its prose is the declaration's summary until someone writes more.
            sb.Append("\n### `").Append(info.Name).Append("`\n\n").Append(OneLine(info.Summary)).Append("\n\n").Append(Block(info)).Append('\n');
        }
        return sb.ToString();
    }

    private static string Block(LossInfo info) => BlockStart + info.Name + " -->\n\n" + Text(info) + "\n" + BlockEnd;

    private static string Text(LossInfo info) => info.Formula?.Text ?? "(No formula: the loss was not declared with [GanLoss].)\n";

    private static string OneLine(string? text) => string.Join(' ', (text ?? "").Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Text for LaTeX: special characters escaped, the Greek and typographic characters of summaries as commands.</summary>
    public static string LatexText(string text)
    {
        var sb = new StringBuilder();
        foreach (var ch in text)
        {
            if (ch == '\u0302' && sb.Length > 0)
            {
                // A combining circumflex (x̂): the letter before it gets a hat.
                var letter = sb[^1];
                sb.Length--;
                sb.Append("$\\hat{").Append(letter).Append("}$");
                continue;
            }
            sb.Append(ch switch
            {
                '\\' => "\\textbackslash{}",
                '_' or '#' or '$' or '%' or '&' or '{' or '}' => "\\" + ch,
                '^' => "\\^{}",
                '~' => "\\~{}",
                '–' => "--",
                '—' => "---",
                '‖' => "$\\|$",
                '∇' => "$\\nabla$",
                '·' => "$\\cdot$",
                '≥' => "$\\geq$",
                '≤' => "$\\leq$",
                '∼' => "$\\sim$",
                '²' => "$^2$",
                '½' => "$\\frac{1}{2}$",
                '←' => "$\\leftarrow$",
                '∈' => "$\\in$",
                '±' => "$\\pm$",
                'Ê' => "\\^E",
                '₀' or '₁' or '₂' => "$_" + (ch - '₀') + "$",
                'ₓ' => "$_x$",
                'ₖ' => "$_k$",
                'α' => "$\\alpha$",
                'β' => "$\\beta$",
                'γ' => "$\\gamma$",
                'δ' => "$\\delta$",
                'ε' => "$\\epsilon$",
                'λ' => "$\\lambda$",
                'μ' => "$\\mu$",
                'ρ' => "$\\rho$",
                'σ' => "$\\sigma$",
                'τ' => "$\\tau$",
                'ω' => "$\\omega$",
                'Ω' => "$\\Omega$",
                'Φ' => "$\\Phi$",
                'φ' => "$\\phi$",
                'θ' => "$\\theta$",
                'ψ' => "$\\psi$",
                'η' => "$\\eta$",
                'κ' => "$\\kappa$",
                _ when ch < 128 || "éèêëáàâäíìîïóòôöúùûüçñÉÈÁÀÖÜßæøå".Contains(ch) => ch.ToString(),
                _ => "\\texttt{U+" + ((int)ch).ToString("X4", System.Globalization.CultureInfo.InvariantCulture) + "}",
            });
        }
        return sb.ToString();
    }
}
