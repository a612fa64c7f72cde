using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using GanDsl.Generator.Ir;

namespace GanDsl.Generator.Passes;

/// <summary>
/// Renders a loss's IR as mathematics, for <c>gan show</c> and <c>LossInfo.Formula</c>: each player's loss, the named
/// terms it uses (scalar macros such as <c>Gp</c>, with their expanded definitions), gradient-penalty points and random
/// draws as symbols with their definitions, state updates, monitors, and hyperparameters as symbols with their defaults.
/// </summary>
/// <remarks>
/// It reads the parsed IR before the optimiser (the formula the user wrote, not the fused kernels that compute it), and is
/// pure: spec in, text out. The two notations differ only in the atoms (<see cref="Notation"/>); structure, precedence and
/// symbol naming are shared.
/// </remarks>
internal static class FormulaRenderer
{
    public static FormulaText Render(LossClassSpec spec) => new(new Writer(spec, latex: false).Document(), new Writer(spec, latex: true).Document());

    /// <summary>Greek letter names a hyperparameter, state or term may start with (Lambda, LambdaK, Gamma, Rho, Beta1...).</summary>
    private static readonly string[] s_greek =
    [
        "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu", "nu", "xi",
        "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
    ];

    private const string GreekLetters = "αβγδεζηθικλμνξπρστυφχψω";

    private sealed class Writer(LossClassSpec spec, bool latex)
    {
        // Symbols given to sub-expressions, in order of first use: named terms, penalty points, random draws.
        private readonly List<(string Symbol, string Relation, string Definition)> _definitions = new();
        private readonly HashSet<string> _usedNames = new(StringComparer.Ordinal);
        private readonly Dictionary<ExprNode, string> _symbols = new();
        private int _points;
        private int _perSampleDraws;
        private int _elementDraws;
        private readonly HashSet<string> _networkNames = new(spec.Networks.Select(n => n.Name), StringComparer.Ordinal);

        public string Document()
        {
            var sb = new StringBuilder();
            if (spec.Discriminator is { } d)
                Section(sb, "Discriminator", "minimised over " + Join(spec.Networks.Where(n => n.Role == NetworkRole.Critic).Select(n => Network(n.Name))),
                    [(Subscripted("L", "D"), Expression(d.Expression))]);
            Section(sb, "Generator", "minimised over " + Join(spec.Networks.Where(n => n.Role == NetworkRole.Generator).Select(n => Network(n.Name))),
                [(Subscripted("L", "G"), Expression(spec.Generator.Expression))]);

            // Every timing of the DSL's enum (src/Dsl/Enums.cs, linked), in its declaration order.
            foreach (StateUpdateTiming timing in Enum.GetValues(typeof(StateUpdateTiming)))
            {
                var states = spec.States.Where(s => s.Timing == timing).ToList();
                if (states.Count == 0) continue;
                var when = timing switch
                {
                    StateUpdateTiming.AfterCriticStep => "after each critic step",
                    StateUpdateTiming.AfterGeneratorStep => "after each generator step",
                    _ => "at the end of each epoch",
                };
                Section(sb, "State", "updated " + when + " (initial values " + Join(states.Select(s => Identifier(s.Name) + " = " + Number(s.Initial))) + ")",
                    states.Select(s => (Identifier(s.Name), Expression(s.Update))).ToList(), latex ? @"\leftarrow" : "←");
            }

            // Scalar macro properties are monitors; those the losses already use are defined above.
            var monitors = spec.Monitors.Where(m => !_symbols.ContainsKey(m.Expression)
                && !_symbols.ContainsKey(new NamedNode(m.MemberName, Analysis.Unwrap(m.Expression)))).ToList();
            if (monitors.Count > 0)
                Section(sb, "Monitors", "reported after each critic step, not optimised",
                    monitors.Select(m => (NamedSymbol(m.MemberName), Expression(m.Expression is NamedNode n ? n.Body : m.Expression))).ToList());

            if (spec.Discriminator is not null)
            {
                // The schedule is part of the method a paper states: how many critic steps, and WGAN's clipping.
                var steps = spec.CriticSteps + (spec.CriticSteps == 1 ? " critic step" : " critic steps") + " per generator step";
                var clips = spec.Clipping.Select(c => (latex ? "$" + Network(c.Network) + "$" : Network(c.Network)) + "'s parameters are clamped to "
                    + Interval(c.Min, c.Max) + " after each critic step");
                sb.Append(latex ? @"\paragraph{Schedule} " : "Schedule: ").Append(string.Join("; ", new[] { steps }.Concat(clips))).Append(".\n\n");
            }

            if (spec.Hypers.Count > 0)
            {
                sb.Append(latex ? @"\paragraph{Hyperparameters}" : "Hyperparameters:").Append('\n').Append('\n');
                foreach (var h in spec.Hypers)
                {
                    if (latex)
                        sb.Append("$").Append(Identifier(h.Name)).Append(" = ").Append(Number(h.Default)).Append(@"$ (\texttt{").Append(h.Name).Append("})")
                            .Append(h == spec.Hypers[spec.Hypers.Count - 1] ? "." : ",").Append('\n');
                    else
                        sb.Append("- ").Append(Identifier(h.Name)).Append(" = ").Append(Number(h.Default)).Append(" (`").Append(h.Name).Append("`)")
                            .Append(h.Description is { Length: > 0 } text ? ": " + text : "").Append('\n');
                }
            }
            return sb.ToString().TrimEnd('\n') + "\n";
        }

        /// <summary>A heading line, then an aligned block: the given equations, then every symbol they introduced.</summary>
        private void Section(StringBuilder sb, string title, string note, IReadOnlyList<(string Left, string Right)> equations, string? relation = null)
        {
            var lines = equations.Select(e => (e.Left, e.Right, relation ?? "=")).ToList();
            // Definitions introduced while rendering these equations (and their own definitions, recursively) follow them here.
            foreach (var (symbol, rel, definition) in _definitions) lines.Add((symbol, definition, rel));
            _definitions.Clear();

            if (latex)
            {
                sb.Append(@"\paragraph{").Append(title).Append("} ").Append(note).Append(":\n");
                sb.Append(@"\begin{align*}").Append('\n');
                for (var i = 0; i < lines.Count; i++)
                {
                    var (left, right, rel) = lines[i];
                    sb.Append("  ").Append(left).Append(" &").Append(rel).Append(' ').Append(right).Append(i < lines.Count - 1 ? @" \\" : "").Append('\n');
                }
                sb.Append(@"\end{align*}").Append('\n').Append('\n');
            }
            else
            {
                sb.Append(title).Append(", ").Append(note).Append(":\n\n");
                foreach (var (left, right, rel) in lines) sb.Append("    ").Append(left).Append(' ').Append(rel).Append(' ').Append(right).Append('\n');
                sb.Append('\n');
            }
        }

        // ------------------------------------------------------------------ expressions

        private string Expression(ExprNode node) => Write(node, 0);

        // Precedence as the Printer's: 0 anything, 1 additive, 2 multiplicative, 3 unary, 4 atomic (postfix powers bind to atoms).
        private string Write(ExprNode node, int context)
        {
            if (_symbols.TryGetValue(node, out var symbol)) return symbol;
            switch (node)
            {
                case ConstNode c:
                    var number = Number(c.Value);
                    return c.Value < 0 && context > 0 ? Paren(number) : number;
                case HyperNode h: return Identifier(h.Name);
                case StateNode s: return Identifier(s.Name);
                case InputNode i:
                    return i.Kind switch
                    {
                        InputKind.Real => "x",
                        InputKind.Noise => "z",
                        InputKind.RealLabels => "y",
                        InputKind.NoiseLabels => Subscripted("y", "z"),
                        _ => Subscripted("z", "2"),
                    };
                // D(G(z)), D(x, y): plain parentheses, even in LaTeX
                case ApplyNode a: return Network(a.Network) + "(" + Write(a.Argument, 0) + (a.Labels is { } l ? ", " + Write(l, 0) : "") + ")";
                case HeadNode h: return Network(h.Name) + "(" + Write(h.Output.Argument, 0) + ")";   // D(x) or Q(x): one pass of D gives both
                case NamedNode n: return Named(n);
                case CallNode call: return Call(call, context);
                default: return node.ToString();
            }
        }

        private string Named(NamedNode node)
        {
            if (_symbols.TryGetValue(node, out var known)) return known;
            var symbol = NamedSymbol(node.Name);
            while (!_usedNames.Add(symbol)) symbol += latex ? "'" : "′";   // two terms of one macro on different arguments
            _symbols[node] = symbol;
            Define(symbol, "=", () => Write(node.Body, 0));
            return symbol;
        }

        private string Call(CallNode call, int context)
        {
            var a = call.Args;
            string Arg(int i, int p = 0) => Write(a[i], p);
            switch (call.Op)
            {
                case Op.Add: return Infix(Arg(0, 1) + " + " + Arg(1, 2), 1, context);
                case Op.Sub: return Infix(Arg(0, 1) + (latex ? " - " : " − ") + Arg(1, 2), 1, context);
                // Unicode has no fraction bar: a quotient inside a product gets parentheses ((ρ / 2)·a, not ρ / 2·a).
                case Op.Mul: return Infix(Arg(0, IsQuotient(a[0]) ? 3 : 2) + (latex ? @" \cdot " : "·") + Arg(1, 3), 2, context);
                case Op.Div:
                    return latex ? @"\frac{" + Arg(0) + "}{" + Arg(1) + "}" : Infix(Arg(0, 2) + " / " + Arg(1, 3), 2, context);
                case Op.Neg: return Infix((latex ? "-" : "−") + Arg(0, 3), 3, context);
                case Op.Log: return Function(latex ? @"\log" : "log", Arg(0));
                case Op.Exp: return Function(latex ? @"\exp" : "exp", Arg(0));
                case Op.Sqrt: return latex ? @"\sqrt{" + Arg(0) + "}" : "√" + Paren(Arg(0));
                case Op.Abs: return latex ? @"\left|" + Arg(0) + @"\right|" : "|" + Arg(0) + "|";
                case Op.Square: return Power(Arg(0, 4), "2");
                case Op.Pow: return Power(Arg(0, 4), Arg(1, 4));
                case Op.Sigmoid: return Function(latex ? @"\sigma" : "σ", Arg(0));
                case Op.LogSigmoid: return Function(latex ? @"\log\sigma" : "log σ", Arg(0));
                case Op.Softplus: return Function(Operator("softplus"), Arg(0));
                case Op.Relu: return Function(latex ? @"\max" : "max", "0, " + Arg(0));
                case Op.Min: return Function(latex ? @"\min" : "min", Arg(0) + ", " + Arg(1));
                case Op.Max: return Function(latex ? @"\max" : "max", Arg(0) + ", " + Arg(1));
                case Op.Clamp: return Function(Operator("clamp"), Arg(0) + ", " + Arg(1) + ", " + Arg(2));
                case Op.Mean: return latex ? @"\mathbb{E}\left[" + Arg(0) + @"\right]" : "𝔼[" + Arg(0) + "]";
                case Op.Sum: return Function(latex ? @"\sum" : "Σ", Arg(0));
                case Op.MeanPerSample: return Function(Operator("mean"), Arg(0));
                case Op.Norm: return latex ? @"\left\lVert " + Arg(0) + @" \right\rVert" : "‖" + Arg(0) + "‖";
                case Op.Std: return Function(Operator("std"), Arg(0));
                case Op.BatchMean: return Function(latex ? @"\operatorname{mean}_B" : "mean_B", Arg(0));
                case Op.Step: return latex ? @"\mathbf{1}\left[" + Arg(0) + @" > 0\right]" : "𝟙[" + Arg(0) + " > 0]";
                case Op.StopGradient: return Function(Operator("sg"), Arg(0));
                case Op.Grad:
                    // A batch (x, G(z)) is written as it is; anything computed (an interpolate, a perturbation) gets a symbol x̂.
                    var at = a[1] is InputNode or ApplyNode ? Arg(1) : Point(a[1]);
                    return Infix((latex ? @"\nabla_{" + at + "} " : "∇_" + at + " ") + Arg(0, 3), 3, context);
                case Op.Between: return Point(call);
                case Op.UniformPerSample: return Draw(call, perSample: true);
                case Op.UniformLike: return Draw(call, perSample: false);
                case Op.Mmd2:
                    var widths = a.Count > 2 ? "; " + (latex ? @"\sigma \in \{" : "σ ∈ {") + string.Join(", ", a.Skip(2).Select(w => Write(w, 0)))
                        + (latex ? @"\}" : "}") : "";
                    return Function(latex ? @"\mathrm{MMD}^2" : "MMD²", Arg(0) + ", " + Arg(1) + widths);
                case Op.BceWithLogitsMean: return Function(Operator("BCE"), Arg(0) + ", " + Arg(1));
                case Op.CrossEntropy: return Function(Operator("CE"), Arg(0) + ", " + Arg(1));
                case Op.CrossEntropyMean: return latex ? @"\mathbb{E}\left[" + Function(Operator("CE"), Arg(0) + ", " + Arg(1)) + @"
ight]" : "𝔼[" + Function(Operator("CE"), Arg(0) + ", " + Arg(1)) + "]";
                case Op.MeanSquaredNorm:
                    return latex ? @"\mathbb{E}\left[" + Power(@"\left\lVert " + Arg(0) + @" \right\rVert", "2") + @"\right]"
                        : "𝔼[" + Power("‖" + Arg(0) + "‖", "2") + "]";
                case Op.MseMean:
                    return latex ? @"\mathbb{E}\left[" + Power(Paren(Arg(0, 1) + " - " + Arg(1, 2)), "2") + @"\right]"
                        : "𝔼[" + Power(Paren(Arg(0, 1) + " − " + Arg(1, 2)), "2") + "]";
                default: return Function(Operator(Operations.Of(call.Op).Printed), string.Join(", ", a.Select(x => Write(x, 0))));
            }
        }

        /// <summary>A point a gradient is taken at (an interpolate, a perturbed batch): a symbol x̂ with its definition.</summary>
        private string Point(ExprNode node)
        {
            if (_symbols.TryGetValue(node, out var known)) return known;
            _points++;
            var hat = latex ? @"\hat{x}" : "x̂";
            var symbol = _points == 1 ? hat : Subscripted(hat, _points.ToString(CultureInfo.InvariantCulture));
            _symbols[node] = symbol;
            if (node is CallNode { Op: Op.Between } between)
            {
                // LossOps.Between: ε a + (1 - ε) b with one ε ~ U[0,1) per sample.
                var eps = latex ? @"\epsilon" : "ε";
                if (_points > 1) eps = Subscripted(eps, _points.ToString(CultureInfo.InvariantCulture));
                var mul = latex ? @" \cdot " : "·";
                var minus = latex ? " - " : " − ";
                Define(symbol, "=", () => eps + mul + Write(between.Args[0], 2) + " + " + Paren("1" + minus + eps) + mul + Write(between.Args[1], 2)
                    + (latex ? @",\quad " + eps + @" \sim U[0, 1) \text{ per sample}" : ",  " + eps + " ∼ U[0, 1) per sample"));
            }
            else
            {
                // Rendered without its own symbol (the lookup in Write would return x̂ for x̂).
                _symbols.Remove(node);
                Define(symbol, "=", () => Write(node, 0));
                _symbols[node] = symbol;
            }
            return symbol;
        }

        /// <summary>A random draw: α (one per sample) or u (one per element), with its distribution as the definition.</summary>
        private string Draw(CallNode node, bool perSample)
        {
            if (_symbols.TryGetValue(node, out var known)) return known;
            var count = perSample ? ++_perSampleDraws : ++_elementDraws;
            var symbol = perSample ? (latex ? @"\alpha" : "α") : "u";
            if (count > 1) symbol = Subscripted(symbol, count.ToString(CultureInfo.InvariantCulture));
            _symbols[node] = symbol;
            var what = perSample ? "one per sample of " : "one per element of ";
            Define(symbol, latex ? @"\sim" : "∼", () => latex ? @"U[0, 1)\text{, " + what + "}" + Write(node.Args[0], 0)
                : "U[0, 1), " + what + Write(node.Args[0], 0));
            return symbol;
        }

        /// <summary>Adds a definition line, in its place before those its own text introduces (read top-down: Gp, then the x̂ it uses).</summary>
        private void Define(string symbol, string relation, Func<string> definition)
        {
            var index = _definitions.Count;
            _definitions.Add((symbol, relation, ""));
            _definitions[index] = (symbol, relation, definition());
        }

        private bool IsQuotient(ExprNode node) => !latex && node is CallNode { Op: Op.Div } && !_symbols.ContainsKey(node);

        // ------------------------------------------------------------------ atoms

        private static string Infix(string text, int precedence, int context) => precedence < context ? "(" + text + ")" : text;

        private string Paren(string inner) => latex ? @"\left(" + inner + @"\right)" : "(" + inner + ")";

        private string Function(string name, string args) => name + Paren(args);

        private string Operator(string name) => latex ? @"\operatorname{" + name + "}" : name;

        private string Power(string @base, string exponent) =>
            latex ? "{" + @base + "}^{" + exponent + "}" : @base + (exponent == "2" ? "²" : "^" + exponent);

        private string Subscripted(string symbol, string subscript)
        {
            if (latex) return symbol + "_{" + subscript + "}";
            var small = UnicodeSubscript(subscript);
            return symbol + (small ?? "_" + subscript);
        }

        private static string? UnicodeSubscript(string text)
        {
            const string from = "0123456789aehijklmnoprstuvx";
            const string to = "₀₁₂₃₄₅₆₇₈₉ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ";
            var sb = new StringBuilder();
            foreach (var ch in text)
            {
                var i = from.IndexOf(char.ToLowerInvariant(ch));
                if (i < 0) return null;
                sb.Append(to[i]);
            }
            return sb.ToString();
        }

        private string Network(string name) => name.Length == 1 ? name : latex ? @"\mathrm{" + name + "}" : name;

        /// <summary>
        /// A hyperparameter, state or term name as a symbol: a Greek letter's name becomes the letter, with what follows as a
        /// subscript (<c>LambdaK</c> is λ_k, <c>Beta1</c> β₁); a one-letter name stays italic; a longer one is upright.
        /// </summary>
        private string Identifier(string name)
        {
            foreach (var greek in s_greek)
            {
                if (!name.StartsWith(greek, StringComparison.OrdinalIgnoreCase)) continue;
                var rest = name.Substring(greek.Length);
                if (rest.Length > 2) continue;   // 'Pixel' is not π followed by "xel"
                if (rest.Length > 0 && !(char.IsUpper(rest[0]) || char.IsDigit(rest[0]))) continue;
                var letter = latex ? "\\" + greek : GreekLetter(greek);
                return rest.Length == 0 ? letter : Subscripted(letter, rest.ToLowerInvariant());
            }
            if (name.Length == 1) return name;
            return latex ? @"\mathrm{" + Escape(name) + "}" : name;
        }

        /// <summary>A named term (<c>Gp</c>, <c>L(x)</c>, <c>R1(Gamma)</c>): its head as a symbol, its arguments' identifiers as symbols.</summary>
        private string NamedSymbol(string name)
        {
            // A macro called on an expression (PenaltyOnH(Between(x, G(z)))) is named by its head alone: its argument is in the definition.
            var open = name.IndexOf('(');
            if (open > 0 && name.EndsWith(")", StringComparison.Ordinal)
                && !SplitArguments(name.Substring(open + 1, name.Length - open - 2)).All(IsBatchOrName))
                name = name.Substring(0, open);
            var sb = new StringBuilder();
            var i = 0;
            while (i < name.Length)
            {
                if (char.IsLetter(name[i]) || name[i] == '_')
                {
                    var start = i;
                    while (i < name.Length && (char.IsLetterOrDigit(name[i]) || name[i] == '_')) i++;
                    var word = name.Substring(start, i - start);
                    sb.Append(word switch
                    {
                        "x" or "z" => word,
                        "z2" => Subscripted("z", "2"),
                        _ when _networkNames.Contains(word) => Network(word),
                        _ => Identifier(word),
                    });
                    continue;
                }
                var ch = name[i++];
                if (latex && ch == ' ') continue;
                sb.Append(latex ? Escape(ch.ToString()) : ch.ToString());
            }
            return sb.ToString();
        }

        /// <summary>A name (x, Gamma) or a network applied to one (D(x), D(G(z))): short enough to stay in a term's symbol.</summary>
        private bool IsBatchOrName(string text)
        {
            text = text.Trim();
            var open = text.IndexOf('(');
            if (open < 0) return text.Length > 0 && text.All(c => char.IsLetterOrDigit(c) || c == '_');
            return _networkNames.Contains(text.Substring(0, open)) && text.EndsWith(")", StringComparison.Ordinal)
                && IsBatchOrName(text.Substring(open + 1, text.Length - open - 2));
        }

        /// <summary>A macro call's argument texts, split at the commas outside parentheses.</summary>
        private static IEnumerable<string> SplitArguments(string text)
        {
            var depth = 0;
            var start = 0;
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i] == '(') depth++;
                else if (text[i] == ')') depth--;
                else if (text[i] == ',' && depth == 0)
                {
                    yield return text.Substring(start, i - start);
                    start = i + 1;
                }
            }
            yield return text.Substring(start);
        }

        private string Number(double value)
        {
            var text = value.ToString("R", CultureInfo.InvariantCulture);
            var e = text.IndexOf('E');
            if (e < 0) return text;
            // 1E-06 is written 10⁻⁶-style: m·10^k.
            var mantissa = text.Substring(0, e);
            var exponent = int.Parse(text.Substring(e + 1), CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
            var power = latex ? "10^{" + exponent + "}" : "10^" + exponent;
            return mantissa == "1" ? power : mantissa + (latex ? @" \cdot " : "·") + power;
        }

        private string Interval(double min, double max) =>
            latex ? "$[" + Number(min) + ", " + Number(max) + "]$" : "[" + Number(min).Replace("-", "−") + ", " + Number(max).Replace("-", "−") + "]";

        private string Join(IEnumerable<string> symbols)
        {
            var list = symbols.ToList();
            return latex ? string.Join(", ", list.Select(s => "$" + s + "$")) : string.Join(", ", list);
        }
    }

    private static string GreekLetter(string name) => GreekLetters[Array.IndexOf(s_greek, name)].ToString();

    /// <summary>LaTeX's special characters in text that is not a command.</summary>
    private static string Escape(string text)
    {
        var sb = new StringBuilder();
        foreach (var ch in text)
        {
            switch (ch)
            {
                case '_': case '#': case '$': case '%': case '&': case '{': case '}': sb.Append('\\').Append(ch); break;
                case '\\': sb.Append(@"\backslash "); break;
                case '^': sb.Append(@"\hat{}"); break;
                case '~': sb.Append(@"\sim "); break;
                default: sb.Append(ch); break;
            }
        }
        return sb.ToString();
    }
}
