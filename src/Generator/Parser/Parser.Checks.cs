using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using GanDsl.Generator.Diagnostics;
using GanDsl.Generator.Ir;
using GanDsl.Generator.Passes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GanDsl.Generator;

public sealed partial class GanLossGenerator
{
    // Phase (c), checks: the diagnostics on the lowered IR, behind "if it builds, it trains". Each one stands for a class
    // of declarations that compiled and then failed at the first training step (or meant something other than C# says).
    internal sealed partial class Parser
    {
        /// <summary>Where each Grad was written (the first place), for the per-step gradient checks.</summary>
        private readonly Dictionary<ExprNode, (Location Where, string Text, string AtText)> _gradSites = new();
        private readonly List<WarnedSpec> _warnings = new();

        // ----- roots: losses, clipping -----

        /// <summary>A lowered loss: a scalar (GAN0020), its Grads with a gradient path (GAN0024), training a network of its role (GAN0021/22).</summary>
        private LossSpec? CheckLoss(IPropertySymbol property, ExpressionSyntax body, ExprNode expression, bool isDiscriminator)
        {
            var facts = _analysis.Of(expression);
            var text = SourceText(body);
            if (facts.Shape != Shape.Scalar)
            {
                Report(DiagnosticDescriptors.LossNotScalar, body.GetLocation(), Shorten(text), Describe(facts.Shape));
                return null;
            }
            var role = isDiscriminator ? NetworkRole.Critic : NetworkRole.Generator;
            var step = isDiscriminator ? StepKind.Critic : StepKind.Generator;
            CheckGradients(expression, step);
            // Trained means reached by a gradient in this step, not merely mentioned (StopGradient, Step, G in the critic step).
            if (!GradientFlow.TrainedNetworks(expression, step, _analysis.Network).Any(n => _networks.TryGetValue(n, out var spec) && spec.Role == role))
            {
                Report(isDiscriminator ? DiagnosticDescriptors.DiscriminatorLossWithoutCritic : DiagnosticDescriptors.GeneratorLossWithoutGenerator,
                    body.GetLocation(), Shorten(text));
                return null;
            }
            return new LossSpec(property.Name, text, expression);
        }

        /// <summary><c>[ClipWeights]</c> names a network the loss uses, with finite bounds in order (GAN0041).</summary>
        private List<ClipSpec> CheckClipping(IEnumerable<(string Network, double Min, double Max, Location Where)> clipping, ISet<string> used,
            IReadOnlyList<NetworkSpec> networks)
        {
            var clips = new List<ClipSpec>();
            foreach (var (net, min, max, where) in clipping)
            {
                if (_hasErrors) break;   // which networks are used is unknown when an expression failed
                if (!used.Contains(net))
                    Report(DiagnosticDescriptors.InvalidClipping, where, net,
                        "names no network the loss uses: use one of " + string.Join(", ", networks.Select(n => n.Name)));
                else if (double.IsNaN(min) || double.IsNaN(max) || double.IsInfinity(min) || double.IsInfinity(max))
                    Report(DiagnosticDescriptors.InvalidClipping, where, net,
                        "has a bound that is not a finite number (" + Format(min) + ", " + Format(max) + "): write finite bounds, e.g. [ClipWeights(\"" + net
                            + "\", 0.01)]");
                else if (min > max)
                    Report(DiagnosticDescriptors.InvalidClipping, where, net,
                        "has min " + Format(min) + " above max " + Format(max) + ": write [ClipWeights(\"" + net + "\", min, max)] with min <= max");
                else clips.Add(new ClipSpec(net, min, max));
            }
            return clips;
        }

        // ----- gradients -----

        /// <summary>Every Grad in <paramref name="root"/> must have a gradient path to its 'at' in the step it runs in.</summary>
        private void CheckGradients(ExprNode root, StepKind step)
        {
            foreach (var grad in GradientFlow.Grads(root))
            {
                if (!_gradSites.TryGetValue(grad, out var site)) continue;
                var at = grad.Args[1];
                if (!_analysis.Of(at).IsHost && GradientFlow.Reaches(grad.Args[0], at, step, _analysis.Network)) continue;
                var stepText = step switch { StepKind.Critic => "critic step", StepKind.Generator => "generator step", _ => "end-of-epoch update" };
                Report(DiagnosticDescriptors.GradWithoutDependence, site.Where, site.Text, site.AtText, stepText);
            }
        }

        // ----- C# semantics and constants -----

        /// <summary>C# computes an int-typed expression on a hyperparameter in integers (K / 2 truncates); runs set it to any double, so the meaning would
        /// change.</summary>
        private bool IntegerArithmeticOnHyper(ExpressionSyntax syntax, Scope scope)
        {
            if (scope.Model is null) return false;
            var type = scope.Model.GetTypeInfo(syntax, _ct).Type;
            if (type?.SpecialType is not (SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_Int16 or SpecialType.System_Byte
                or SpecialType.System_SByte or SpecialType.System_UInt16 or SpecialType.System_UInt32 or SpecialType.System_UInt64 or SpecialType.System_Char))
                return false;
            if (MentionedHyper(syntax, scope) is not { } hyper) return false;
            Report(DiagnosticDescriptors.IntegerArithmeticOnHyper, syntax.GetLocation(), Shorten(Normalize(syntax)), hyper);
            return true;
        }

        /// <summary>The value of an IR constant expression (no hyperparameters or state), folded as the operation table says, or null.</summary>
        private static double? ConstValue(ExprNode node)
        {
            switch (node)
            {
                case ConstNode c: return c.Value;
                case CallNode call when Operations.Of(call.Op).Fold is { } fold:
                    {
                        var values = new double[call.Args.Count];
                        for (var i = 0; i < values.Length; i++)
                        {
                            if (ConstValue(call.Args[i]) is not { } v) return null;
                            values[i] = v;
                        }
                        return fold(values);
                    }
                default: return null;
            }
        }

        /// <summary>The operands the table says must be host values are (constants, hyperparameters, state), and constant ones can run.</summary>
        private bool CheckHostOperands(InvocationExpressionSyntax call, Operation operation, HostOperands host, IReadOnlyList<object?> syntax,
            IReadOnlyList<ExprNode> operands, Scope scope)
        {
            for (var i = host.From; i < operands.Count; i++)
            {
                if (!_analysis.Of(operands[i]).IsHost)
                {
                    ShapeMismatch(call, host.Needs, syntax[i], operands[i], scope);
                    return false;
                }
                if (ConstValue(operands[i]) is { } value && (double.IsNaN(value) || double.IsInfinity(value) || host.Valid?.Invoke(value) == false))
                {
                    var where = syntax[i] as ExpressionSyntax ?? call;
                    Report(DiagnosticDescriptors.ConstantCannotRun, LocationFor(where, scope),
                        "The " + host.What + " '" + Normalize(where) + "' of " + operation.Word,
                        Format(value), host.Fix.Length > 0 ? host.Fix : "use a finite " + host.What);
                    return false;
                }
            }
            return true;
        }

        /// <summary>A range [min, max] given as constants must be in order (Clamp's bounds).</summary>
        private bool CheckOrderedBounds(InvocationExpressionSyntax call, IReadOnlyList<ExprNode> operands, Scope scope)
        {
            if (ConstValue(operands[1]) is { } min && ConstValue(operands[2]) is { } max && !(min <= max))
            {
                Report(DiagnosticDescriptors.ConstantCannotRun, LocationFor(call, scope), "The range of '" + Shorten(Normalize(call)) + "'",
                    "[" + Format(min) + ", " + Format(max) + "]", "write Clamp(v, min, max) with min <= max");
                return false;
            }
            return true;
        }

        // ----- shapes and roles -----

        private ExprNode? ShapeMismatch(InvocationExpressionSyntax call, string needs, object? argSyntax, ExprNode arg, Scope scope)
        {
            var facts = _analysis.Of(arg);
            var where = argSyntax as ExpressionSyntax ?? call;
            Report(DiagnosticDescriptors.ShapeMismatch, LocationFor(where, scope), Normalize(call.Expression) + "(...)", needs, Normalize(where),
                facts.IsHost ? "a constant" : Describe(facts.Shape));
            return null;
        }

        /// <summary>A network reads a batch of samples: data for a critic, noise for a generator-role network.</summary>
        private bool CheckNetworkArgument(InvocationExpressionSyntax call, string network, object? argSyntax, ExprNode arg, Scope scope)
        {
            var facts = _analysis.Of(arg);
            if (facts.IsHost || facts.Shape != Shape.Samples)
            {
                ShapeMismatch(call, "a batch of samples", argSyntax, arg, scope);
                return false;
            }
            var role = _networks.TryGetValue(network, out var spec) ? spec.Role : NetworkRole.Critic;
            var wanted = role == NetworkRole.Critic ? Space.Data : Space.Noise;
            if (facts.Space == wanted || facts.Space == Space.None) return true;
            var where = argSyntax as ExpressionSyntax ?? call;
            Report(DiagnosticDescriptors.ShapeMismatch, LocationFor(where, scope), Normalize(call.Expression) + "(...)",
                role == NetworkRole.Critic ? "a batch of data samples (x, G(z), ...)" : "a batch of noise vectors (z, z2)", Normalize(where),
                DescribeSpace(facts.Space));
            return false;
        }

        /// <summary>Elementwise operands must agree: data with data, noise with noise, features with features.</summary>
        private bool CheckOperands(SyntaxNode whole, string what, IReadOnlyList<object?> syntax, IReadOnlyList<ExprNode> operands, Scope scope)
        {
            if (!CheckRows(whole, what, syntax, operands, scope)) return false;
            Facts? first = null;
            for (var i = 0; i < operands.Count && i < syntax.Count; i++)
            {
                var facts = _analysis.Of(operands[i]);
                if (facts.IsHost || facts.Shape < Shape.Features) continue;
                if (first is null)
                {
                    first = facts;
                    continue;
                }
                string? problem = null;
                if (facts.Space == Space.Mixed || first.Space == Space.Mixed) problem = null;   // reported where the mix happened
                else if (facts.Shape != first.Shape) problem = facts.Shape == Shape.Features ? "per-sample features" : "a batch of samples";
                else if (facts.Space != Space.None && first.Space != Space.None && facts.Space != first.Space) problem = DescribeSpace(facts.Space);
                if (problem is null) continue;
                var where = syntax[i] as ExpressionSyntax ?? whole;
                Report(DiagnosticDescriptors.ShapeMismatch, LocationFor(where, scope), what,
                    "operands of one kind (data samples with data samples, noise with noise, features with features)", Normalize(where), problem);
                return false;
            }
            return true;
        }

        /// <summary>
        /// Operands combined elementwise must cover the same rows: a TopK result has fewer rows than the batch, so
        /// combining it with a full-batch per-sample value would fail at run time with a shape error.
        /// </summary>
        private bool CheckRows(SyntaxNode whole, string what, IReadOnlyList<object?> syntax, IReadOnlyList<ExprNode> operands, Scope scope)
        {
            Facts? first = null;
            for (var i = 0; i < operands.Count && i < syntax.Count; i++)
            {
                var facts = _analysis.Of(operands[i]);
                if (facts.IsHost || facts.Shape == Shape.Scalar) continue;
                if (first is null)
                {
                    first = facts;
                    continue;
                }
                if (Equals(facts.Rows, first.Rows)) continue;
                var where = syntax[i] as ExpressionSyntax ?? whole;
                Report(DiagnosticDescriptors.ShapeMismatch, LocationFor(where, scope), what,
                    "operands over the same samples (a TopK(...) result keeps only the top rows of the batch: reduce it first, e.g. 'Mean(TopK(v, f))', or " +
                        "take TopK of the whole per-sample expression, e.g. 'TopK(a - b, f)')",
                    Normalize(where), facts.Rows is null ? "over the whole batch" : "over the top rows of the batch only");
                return false;
            }
            return true;
        }

        private static string DescribeSpace(Space space) => space switch
        {
            Space.Noise => "a batch of noise vectors",
            Space.Data => "a batch of data samples",
            Space.Mixed => "a mix of data samples and noise vectors",
            _ => "not a batch of samples",
        };

        // ----- class labels and class outputs -----

        /// <summary>
        /// Class labels are indices, not numbers: no operand of <paramref name="what"/> may be labels, except operand
        /// <paramref name="allowed"/> (CrossEntropy's labels). Network label arguments are checked in <see cref="LowerApplication"/>.
        /// </summary>
        private bool RejectLabels(SyntaxNode whole, string what, IReadOnlyList<object?> syntax, IReadOnlyList<ExprNode> operands, Scope scope, int allowed = -1)
        {
            for (var i = 0; i < operands.Count; i++)
            {
                if (i == allowed || _analysis.Of(operands[i]).Shape != Shape.Labels) continue;
                var where = i < syntax.Count && syntax[i] is ExpressionSyntax e ? e : whole;
                Report(DiagnosticDescriptors.LabelsMisused, LocationFor(where, scope), Normalize(where), what);
                return false;
            }
            return true;
        }

        /// <summary>CrossEntropy(logits, labels): class logits [B,K] (a class head or a ClassLogits network), then y or yz.</summary>
        private bool CheckClassLogitsAndLabels(InvocationExpressionSyntax call, IReadOnlyList<object?> syntax, IReadOnlyList<ExprNode> operands, Scope scope)
        {
            var logits = _analysis.Of(operands[0]);
            if (logits.IsHost || logits.Shape != Shape.ClassLogits)
            {
                var where = syntax[0] as ExpressionSyntax ?? call;
                var fix = logits.Shape == Shape.PerSample && !logits.IsHost
                    ? "a per-sample score is a binary (real/fake) logit, for which write 'Softplus(-D(x))' (BCE against 1) or 'Softplus(D(G(z)))' (against " +
                        "0); for classes, declare a class head '[ClassHead(\"D\")] static partial Expr Q(Expr v);' and write 'CrossEntropy(Q(x), y)'"
                    : "give it a class head ('[ClassHead(\"D\")] static partial Expr Q(Expr v);', then 'CrossEntropy(Q(x), y)') or a network declared " +
                        "'[Network(NetworkRole.Critic, NetworkOutput.ClassLogits)]'";
                Report(DiagnosticDescriptors.CrossEntropyOperand, LocationFor(where, scope), "logits", "class logits [B,K]", Normalize(where),
                    logits.IsHost ? "a constant" : Describe(logits.Shape), fix);
                return false;
            }
            if (_analysis.Of(operands[1]).Shape != Shape.Labels)
            {
                var where = syntax[1] as ExpressionSyntax ?? call;
                var facts = _analysis.Of(operands[1]);
                Report(DiagnosticDescriptors.CrossEntropyOperand, LocationFor(where, scope), "labels", "class labels", Normalize(where),
                    facts.IsHost ? "a constant" : Describe(facts.Shape),
                    "write y (the real batch's labels) or yz (the labels drawn with z), e.g. 'CrossEntropy(Q(x), y)', 'CrossEntropy(Q(G(z, yz)), yz)'");
                return false;
            }
            return true;
        }

        // ----- unbounded critic outputs (GAN0023, GAN0026) -----

        /// <summary>
        /// Log of an unbounded critic output (a logit or score) is NaN for negative values, Exp of one is infinite above 88:
        /// warn with the stable forms, and remember the warning for the loss being parsed (the run's non-finite guard names it).
        /// </summary>
        private void CheckUnboundedOperand(InvocationExpressionSyntax call, OperandWarning warning, ExprNode argument, Scope scope)
        {
            if (!IsUnboundedCriticOutput(argument)) return;
            var argSyntax = call.ArgumentList.Arguments.FirstOrDefault()?.Expression;
            var text = Normalize(call);
            var argText = argSyntax is null ? "?" : Normalize(argSyntax);
            string id, fix;
            if (warning == OperandWarning.Log)
            {
                var logits = argSyntax is null ? "?" : SameLossOfLogits(argSyntax);
                Report(DiagnosticDescriptors.LogOfUnboundedCriticOutput, LocationFor(call, scope), text, argText, logits);
                (id, fix) = (DiagnosticDescriptors.LogOfUnboundedCriticOutput.Id,
                    "if the critic outputs a logit, write '" + logits
                        + "' (its output read as the probability sigmoid(logit)); for a critic score, drop the Log");
            }
            else
            {
                fix = "bound it, e.g. 'Exp(Clamp(" + argText + ", -80, 80))', or write the stable word for the whole expression: "
                    + "LogSumExp(v) for Log(Sum(Exp(v))), Softplus(v) for Log(1 + Exp(v)), Expm1(v) for Exp(v) - 1";
                Report(DiagnosticDescriptors.ExpOfUnboundedCriticOutput, LocationFor(call, scope), text, argText, fix);
                id = DiagnosticDescriptors.ExpOfUnboundedCriticOutput.Id;
            }
            if (_lossBeingParsed is { } inDiscriminator)
            {
                var warned = new WarnedSpec(inDiscriminator, id, text, fix);
                if (!_warnings.Contains(warned)) _warnings.Add(warned);
            }
        }

        /// <summary>A critic score, or a value the table's <see cref="RangeRule"/>s keep as unbounded as one.</summary>
        private bool IsUnboundedCriticOutput(ExprNode node)
        {
            node = Analysis.Unwrap(node);
            if (node is ApplyNode a) return _networks.TryGetValue(a.Network, out var n) && n.Role == NetworkRole.Critic && n.Output == NetworkOutput.Score
                && n.ClassHeads == 0;
            // a critic's score column (class logits are bounded in no useful sense either, but Log of them is not the usual slip)
            if (node is HeadNode h) return h.Index < 0;
            if (node is not CallNode c) return false;
            return Operations.Of(c.Op).Range switch
            {
                RangeRule.KeepsFirst => IsUnboundedCriticOutput(c.Args[0]),
                RangeRule.KeepsEither => IsUnboundedCriticOutput(c.Args[0]) || IsUnboundedCriticOutput(c.Args[1]),
                RangeRule.KeepsScaled => (IsUnboundedCriticOutput(c.Args[0]) && _analysis.Of(c.Args[1]).IsHost)
                                      || (IsUnboundedCriticOutput(c.Args[1]) && _analysis.Of(c.Args[0]).IsHost),
                _ => false,
            };
        }

        // Reporting

        /// <summary>
        /// The same loss with each critic output read as a probability σ(logit): Log(D) is LogSigmoid(D),
        /// Log(1 - D) is -Softplus(D), anything else wraps each critic call in Sigmoid.
        /// </summary>
        private string SameLossOfLogits(ExpressionSyntax argument)
        {
            var arg = Strip(argument);
            if (arg is InvocationExpressionSyntax direct && IsCriticCall(direct)) return "LogSigmoid(" + Normalize(direct) + ")";
            if (arg is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.SubtractExpression } b
                && Strip(b.Left) is LiteralExpressionSyntax { Token.Value: var one } && one is not null && IsNumeric(one) && ToDouble(one) == 1
                && Strip(b.Right) is InvocationExpressionSyntax right && IsCriticCall(right))
                return "-Softplus(" + Normalize(right) + ")";
            var calls = argument.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>()
                .Where(IsCriticCall)
                .Where(c => !c.Ancestors().TakeWhile(a => a != argument).OfType<InvocationExpressionSyntax>().Any(IsCriticCall))
                .ToList();
            var rewritten = argument.ReplaceNodes(calls, (original, _) => SyntaxFactory.ParseExpression("Sigmoid(" + original.ToString() + ")"));
            return "Log(" + Normalize(rewritten) + ")";

            static ExpressionSyntax Strip(ExpressionSyntax e)
            {
                while (e is ParenthesizedExpressionSyntax p) e = p.Expression;
                return e;
            }
        }

        private bool IsCriticCall(InvocationExpressionSyntax call) =>
            SimpleName(call.Expression) is { } name && _networks.TryGetValue(name, out var n) && n.Role == NetworkRole.Critic
                && n.Output == NetworkOutput.Score;

        // ----- undeclared names -----

        /// <summary>
        /// GAN0015's advice: the nearest declared names first (hyperparameters, state, networks, macros of the class,
        /// vocabulary and penalty words: a typo like 'Lamda' is far likelier than a new network), then how to declare a network.
        /// </summary>
        private string UndeclaredAdvice(string name)
        {
            var network = "for a network, declare it in the loss class with '[Network(NetworkRole.Critic, NetworkOutput.Score)] private static partial Expr "
                + name + "(Expr v);'";
            var nearest = NearestNames(name, KnownNames());
            if (nearest.Count == 0) return network + "; otherwise use a member of GanDsl.Vocabulary";
            var quoted = nearest.Select(n => "'" + n + "'").ToList();
            var options = quoted.Count == 1 ? quoted[0] : string.Join(", ", quoted.Take(quoted.Count - 1)) + " or " + quoted[quoted.Count - 1];
            return "did you mean " + options + "? If not, " + network;
        }

        /// <summary>Every name a loss expression of this class can use.</summary>
        private IEnumerable<string> KnownNames()
        {
            foreach (var hyper in _hypers.Values) yield return hyper.Name;
            foreach (var state in _states.Values) yield return state;
            foreach (var network in _networks.Keys) yield return network;
            foreach (var member in _lossClass.GetMembers())
                if (member is IPropertySymbol { Type: var t } && IsExpr(t) || member is IMethodSymbol { MethodKind: MethodKind.Ordinary, ReturnType: var r }
                    && IsExpr(r))
                    yield return member.Name;
            foreach (var type in new[] { _symbols.Vocabulary, _symbols.Penalties })
                foreach (var member in type?.GetMembers() ?? ImmutableArray<ISymbol>.Empty)
                    if (member.CanBeReferencedByName && member.DeclaredAccessibility == Accessibility.Public) yield return member.Name;
        }

        /// <summary>
        /// The names closest to <paramref name="name"/> in edit distance (insertions, deletions, substitutions and swaps of
        /// neighbours; a change of case costs 1): at most 3, within 1 edit for names up to 4 letters and 2 beyond.
        /// </summary>
        internal static List<string> NearestNames(string name, IEnumerable<string> candidates)
        {
            var limit = name.Length <= 4 ? 1 : 2;
            if (name.Length <= 1) limit = 0;
            var scored = candidates.Distinct(StringComparer.Ordinal)
                .Where(c => c != name)
                .Select(c => (Name: c, Distance: string.Equals(c, name, StringComparison.OrdinalIgnoreCase) ? 1 : EditDistance(name, c)))
                .Where(c => c.Distance <= System.Math.Max(limit, string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase) ? 1 : 0))
                .ToList();
            if (scored.Count == 0) return new List<string>();
            var best = scored.Min(c => c.Distance);
            return scored.Where(c => c.Distance == best).Select(c => c.Name).OrderBy(n => n, StringComparer.Ordinal).Take(3).ToList();
        }

        /// <summary>Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), case-sensitive.</summary>
        private static int EditDistance(string a, string b)
        {
            var d = new int[a.Length + 1, b.Length + 1];
            for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
            for (var j = 0; j <= b.Length; j++) d[0, j] = j;
            for (var i = 1; i <= a.Length; i++)
                for (var j = 1; j <= b.Length; j++)
                {
                    var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                    d[i, j] = System.Math.Min(System.Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                    if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = System.Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            return d[a.Length, b.Length];
        }
    }
}
