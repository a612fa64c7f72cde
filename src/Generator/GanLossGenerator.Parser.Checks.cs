using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
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
    // The checks behind "if it builds, it trains": each one stands for a class of declarations that
    // compiled and then failed at the first training step (or meant something other than C# says).
    internal sealed partial class Parser
    {
        /// <summary>Deepest expression lowered (syntax levels, and IR height after inlining): every pass below is safe to this depth on a 1 MB stack.</summary>
        internal const int MaxDepth = 1000;

        /// <summary>More critic steps than this per generator step is a typo, not a schedule.</summary>
        internal const int MaxCriticSteps = 1000;

        private static readonly string[] s_generatedMembers = { "Info", "Hyper", "State", "s_info", "DiscriminatorStep", "GeneratorStep" };

        /// <summary>
        /// A sum or product of more terms than this (C# parses it as one level per term, left-nested) is lowered
        /// iteratively into a balanced tree; shorter ones keep C#'s left-to-right order.
        /// </summary>
        internal const int BalanceAbove = 64;

        /// <summary>More terms than this in one sum or product is GAN0018 (binding them would take the compiler minutes).</summary>
        internal const int MaxTerms = 10_000;

        private int _depth;
        private bool _tooDeepReported;
        private HashSet<string>? _vocabularyNames;
        /// <summary>Where each Grad was written (the first place), for the per-step gradient checks.</summary>
        private readonly Dictionary<ExprNode, (Location Where, string Text, string AtText)> _gradSites = new();

        // ----- depth -----

        private ExprNode? TooDeep(SyntaxNode syntax, Scope scope)
        {
            if (!_tooDeepReported)
            {
                _tooDeepReported = true;
                Report(DiagnosticDescriptors.ExpressionTooDeep, LocationFor(syntax, scope), MaxDepth.ToString(CultureInfo.InvariantCulture));
            }
            _hasErrors = true;
            return null;
        }

        /// <summary>
        /// The first expression nested deeper than <see cref="MaxDepth"/> in <paramref name="root"/>, found without
        /// binding (iteratively): a huge body is rejected before the semantic model binds all of it, which for
        /// 50,000 operators takes Roslyn most of a minute.
        /// </summary>
        private static SyntaxNode? DeepestNode(ExpressionSyntax root)
        {
            // A sum or product counts as one level however many terms it has (up to MaxTerms): 'a + b + c' is flat, not nested.
            var stack = new Stack<(SyntaxNode Node, int Depth, int Terms)>();
            stack.Push((root, 1, 2));
            while (stack.Count > 0)
            {
                var (node, depth, terms) = stack.Pop();
                if (depth > MaxDepth || terms > MaxTerms) return node;
                foreach (var child in node.ChildNodes())
                {
                    if (node is BinaryExpressionSyntax parent && child == parent.Left && child is BinaryExpressionSyntax left && SameChain(parent, left))
                        stack.Push((child, depth, terms + 1));
                    else
                        // Parentheses group, they do not nest a value: '((v))' is v.
                        stack.Push((child, child is ExpressionSyntax and not ParenthesizedExpressionSyntax ? depth + 1 : depth, 2));
                }
            }
            return null;
        }

        /// <summary>True when <paramref name="left"/> continues <paramref name="parent"/>'s sum (+, -) or product (*, /).</summary>
        private static bool SameChain(BinaryExpressionSyntax parent, BinaryExpressionSyntax left) =>
            IsAdditive(parent) ? IsAdditive(left) : IsMultiplicative(parent) && IsMultiplicative(left);

        private static bool IsAdditive(BinaryExpressionSyntax b) => b.IsKind(SyntaxKind.AddExpression) || b.IsKind(SyntaxKind.SubtractExpression);

        private static bool IsMultiplicative(BinaryExpressionSyntax b) => b.IsKind(SyntaxKind.MultiplyExpression) || b.IsKind(SyntaxKind.DivideExpression);

        /// <summary>The number of terms of the sum or product <paramref name="b"/> ends (its left spine), without binding.</summary>
        private static int ChainLength(BinaryExpressionSyntax b)
        {
            var terms = 2;
            for (var node = b; node.Left is BinaryExpressionSyntax left && SameChain(node, left); node = left) terms++;
            return terms;
        }

        /// <summary>
        /// Lowers a long sum or product (<see cref="BalanceAbove"/> terms or more) without recursing along it: the left
        /// spine is walked in a loop, each term lowered on its own, and the result built as a balanced tree
        /// (a - b + c is a + (-b) + c; a * b / c is (a * b) / c), so its IR height grows with log(terms), not terms.
        /// C#'s constant folding still applies to a constant prefix ('1 / 2 * v' reads 1 / 2 as 0).
        /// </summary>
        private ExprNode? LowerChain(BinaryExpressionSyntax whole, Scope scope)
        {
            var spine = new List<BinaryExpressionSyntax>();   // outermost first
            ExpressionSyntax first = whole;
            while (first is BinaryExpressionSyntax b && (spine.Count == 0 || SameChain(spine[spine.Count - 1], b)) && (spine.Count == 0 || ConstantOf(b, scope) is null))
            {
                if (IntegerArithmeticOnHyper(b, scope)) return null;
                spine.Add(b);
                first = b.Left;
            }
            var additive = IsAdditive(whole);
            var terms = new List<(ExpressionSyntax Syntax, ExprNode Node, bool Inverse)>();
            var firstNode = Lower(first, scope);
            if (firstNode is null) return null;
            terms.Add((first, firstNode, false));
            for (var i = spine.Count - 1; i >= 0; i--)
            {
                _ct.ThrowIfCancellationRequested();
                var b = spine[i];
                var node = Lower(b.Right, scope);
                if (node is null) return null;
                terms.Add((b.Right, node, b.IsKind(SyntaxKind.SubtractExpression) || b.IsKind(SyntaxKind.DivideExpression)));
            }
            if (!RejectLabels(whole, additive ? "'+'" : "'*'", terms.Select(t => (object?)t.Syntax).ToList(), terms.Select(t => t.Node).ToList(), scope)) return null;
            // Every tensor term must be of one kind with the first (data with data, ...), as each '+' of the chain checks.
            var anchor = terms.FirstOrDefault(t => !_analysis.Of(t.Node).IsHost);
            if (anchor.Node is not null)
                for (var i = 0; i < terms.Count; i++)
                    if (!CheckOperands(whole, additive ? "+" : "*", new object?[] { anchor.Syntax, terms[i].Syntax }, new[] { anchor.Node, terms[i].Node }, scope)) return null;

            if (additive) return Balanced(terms.Select(t => t.Inverse ? Call(Op.Neg, t.Node) : t.Node).ToList(), Op.Add);
            var numerator = Balanced(terms.Where(t => !t.Inverse).Select(t => t.Node).ToList(), Op.Mul);
            var denominators = terms.Where(t => t.Inverse).Select(t => t.Node).ToList();
            return denominators.Count == 0 ? numerator : Call(Op.Div, numerator, Balanced(denominators, Op.Mul));
        }

        /// <summary>op over <paramref name="nodes"/> (at least one) as a balanced tree, in order.</summary>
        private static ExprNode Balanced(IReadOnlyList<ExprNode> nodes, Op op)
        {
            var level = nodes.ToList();
            while (level.Count > 1)
            {
                var next = new List<ExprNode>((level.Count + 1) / 2);
                for (var i = 0; i + 1 < level.Count; i += 2) next.Add(Call(op, level[i], level[i + 1]));
                if (level.Count % 2 == 1) next.Add(level[level.Count - 1]);
                level = next;
            }
            return level[0];
        }

        // ----- C# constants and integer arithmetic -----

        /// <summary>The value C# gives a constant expression (integer division included), unless it reads a hyperparameter.</summary>
        private ExprNode? ConstantOf(ExpressionSyntax syntax, Scope scope)
        {
            if (syntax is not (LiteralExpressionSyntax or BinaryExpressionSyntax or PrefixUnaryExpressionSyntax or ParenthesizedExpressionSyntax or CastExpressionSyntax))
                return null;
            object? value;
            if (scope.Model is null)
            {
                value = MetadataConstant(syntax, 0);
            }
            else
            {
                var constant = scope.Model.GetConstantValue(syntax, _ct);
                if (!constant.HasValue || MentionedHyper(syntax, scope) is not null) return null;
                value = constant.Value;
            }
            return value is not null && IsNumeric(value) ? new ConstNode(ToDouble(value)) : null;
        }

        /// <summary>C#'s constant folding for a [Macro] text (no semantic model): int op int stays int.</summary>
        private static object? MetadataConstant(ExpressionSyntax syntax, int depth)
        {
            if (depth > MaxDepth) return null;
            switch (syntax)
            {
                case LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NumericLiteralExpression } lit:
                    return lit.Token.Value is int or long or double ? lit.Token.Value : lit.Token.Value is { } v && IsNumeric(v) ? ToDouble(v) : null;
                case ParenthesizedExpressionSyntax p:
                    return MetadataConstant(p.Expression, depth + 1);
                case PrefixUnaryExpressionSyntax u when u.IsKind(SyntaxKind.UnaryMinusExpression):
                    return MetadataConstant(u.Operand, depth + 1) switch { int i => -i, long l => -l, double d => -d, _ => null };
                case PrefixUnaryExpressionSyntax u when u.IsKind(SyntaxKind.UnaryPlusExpression):
                    return MetadataConstant(u.Operand, depth + 1);
                case BinaryExpressionSyntax b:
                {
                    var (l, r) = (MetadataConstant(b.Left, depth + 1), MetadataConstant(b.Right, depth + 1));
                    if (l is null || r is null) return null;
                    if (l is double || r is double)
                    {
                        double x = ToDouble(l), y = ToDouble(r);
                        return b.Kind() switch
                        {
                            SyntaxKind.AddExpression => x + y, SyntaxKind.SubtractExpression => x - y,
                            SyntaxKind.MultiplyExpression => x * y, SyntaxKind.DivideExpression => x / y, _ => null,
                        };
                    }
                    long a = Convert.ToInt64(l, CultureInfo.InvariantCulture), c = Convert.ToInt64(r, CultureInfo.InvariantCulture);
                    if (b.IsKind(SyntaxKind.DivideExpression) && c == 0) return null;
                    long? result = b.Kind() switch
                    {
                        SyntaxKind.AddExpression => a + c, SyntaxKind.SubtractExpression => a - c,
                        SyntaxKind.MultiplyExpression => a * c, SyntaxKind.DivideExpression => a / c, _ => null,
                    };
                    return result is null ? null : l is long || r is long ? result.Value : (object)(int)result.Value;
                }
                default:
                    return null;
            }
        }

        /// <summary>The first hyperparameter an expression reads, or null.</summary>
        private string? MentionedHyper(ExpressionSyntax syntax, Scope scope)
        {
            if (scope.Model is null) return null;
            foreach (var id in syntax.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
                if (scope.Model.GetSymbolInfo(id, _ct).Symbol is IFieldSymbol field && _hypers.TryGetValue(field, out var hyper))
                    return hyper.Name;
            return null;
        }

        /// <summary>C# computes an int-typed expression on a hyperparameter in integers (K / 2 truncates); runs set it to any double, so the meaning would change.</summary>
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
        private bool CheckHostOperands(InvocationExpressionSyntax call, Operation operation, HostOperands host, IReadOnlyList<object?> syntax, IReadOnlyList<ExprNode> operands, Scope scope)
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
                    Report(DiagnosticDescriptors.ConstantCannotRun, LocationFor(where, scope), "The " + host.What + " '" + Normalize(where) + "' of " + operation.Word,
                        Format(value), host.Fix.Length > 0 ? host.Fix : "use a finite " + host.What);
                    return false;
                }
            }
            return true;
        }

        // ----- shapes and roles -----

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
                role == NetworkRole.Critic ? "a batch of data samples (x, G(z), ...)" : "a batch of noise vectors (z, z2)", Normalize(where), DescribeSpace(facts.Space));
            return false;
        }

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
                    ? "a per-sample score is a binary (real/fake) logit, for which write 'Softplus(-D(x))' (BCE against 1) or 'Softplus(D(G(z)))' (against 0); for classes, declare a class head '[ClassHead(\"D\")] static partial Expr Q(Expr v);' and write 'CrossEntropy(Q(x), y)'"
                    : "give it a class head ('[ClassHead(\"D\")] static partial Expr Q(Expr v);', then 'CrossEntropy(Q(x), y)') or a network declared '[Network(NetworkRole.Critic, NetworkOutput.ClassLogits)]'";
                Report(DiagnosticDescriptors.CrossEntropyOperand, LocationFor(where, scope), "logits", "class logits [B,K]", Normalize(where), logits.IsHost ? "a constant" : Describe(logits.Shape), fix);
                return false;
            }
            if (_analysis.Of(operands[1]).Shape != Shape.Labels)
            {
                var where = syntax[1] as ExpressionSyntax ?? call;
                var facts = _analysis.Of(operands[1]);
                Report(DiagnosticDescriptors.CrossEntropyOperand, LocationFor(where, scope), "labels", "class labels", Normalize(where), facts.IsHost ? "a constant" : Describe(facts.Shape),
                    "write y (the real batch's labels) or yz (the labels drawn with z), e.g. 'CrossEntropy(Q(x), y)', 'CrossEntropy(Q(G(z, yz)), yz)'");
                return false;
            }
            return true;
        }

        /// <summary>
        /// A network or class head applied: <c>D(v)</c>, <c>D(v, y)</c>, <c>E(v)</c>, <c>Q(v)</c>. Checks the batch, the label
        /// argument (y or yz itself), that a network takes labels in all its applications or in none, and that a network with
        /// class heads is applied without labels. The score of a network with heads is column 0 of its forward pass
        /// (<see cref="HeadNode"/> −1), so <c>D(x)</c> and <c>Q(x)</c> read one pass.
        /// </summary>
        private ExprNode? LowerApplication(InvocationExpressionSyntax call, string name, IReadOnlyList<object?> syntax, IReadOnlyList<ExprNode> args, Scope scope)
        {
            var head = _heads.TryGetValue(name, out var h) ? h : null;
            var network = head?.Network ?? name;
            if (!RejectLabels(call, name + "(...) as its batch", syntax.Take(1).ToList(), args.Take(1).ToList(), scope)) return null;
            if (!CheckNetworkArgument(call, network, syntax[0], args[0], scope)) return null;
            var text = Normalize(call);
            // A network with heads is never applied with labels (GAN0031 below), so its heads read unlabelled passes.
            if (head is not null) return new HeadNode(name, head.Index, new ApplyNode(network, args[0]));

            ExprNode? labels = null;
            if (args.Count > 1)
            {
                labels = args[1];
                if (labels is not InputNode { Kind: InputKind.RealLabels or InputKind.NoiseLabels })
                {
                    var where = syntax[1] as ExpressionSyntax ?? call;
                    var facts = _analysis.Of(labels);
                    Report(DiagnosticDescriptors.InvalidLabelArgument, LocationFor(where, scope), Normalize(where), Normalize(call.Expression) + "(...)",
                        facts.IsHost ? "a constant" : "not class labels but " + Describe(facts.Shape));
                    return null;
                }
                if (_heads.Values.FirstOrDefault(x => x.Network == network) is { } headOfIt)
                {
                    Report(DiagnosticDescriptors.ClassHeadOfConditionalNetwork, LocationFor(call, scope), headOfIt.Name, network, text);
                    return null;
                }
            }
            var withLabels = labels is not null;
            if (_applications.TryGetValue(network, out var first) && first.WithLabels != withLabels)
            {
                Report(DiagnosticDescriptors.NetworkLabelsMixed, LocationFor(call, scope), text, network, withLabels ? "with" : "without", first.Text,
                    first.WithLabels ? "with labels" : "without", withLabels ? "'" + first.Text + "' with labels too, or this one without" : "this one with labels too, e.g. '" + network + "(v, y)', or '" + first.Text + "' without");
                return null;
            }
            if (!_applications.ContainsKey(network)) _applications[network] = (withLabels, text);
            var apply = new ApplyNode(network, args[0], labels);
            return _networks.TryGetValue(network, out var spec) && spec.ClassHeads > 0 ? new HeadNode(network, -1, apply) : apply;
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
                    "operands over the same samples (a TopK(...) result keeps only the top rows of the batch: reduce it first, e.g. 'Mean(TopK(v, f))', or take TopK of the whole per-sample expression, e.g. 'TopK(a - b, f)')",
                    Normalize(where), facts.Rows is null ? "over the whole batch" : "over the top rows of the batch only");
                return false;
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

        private static string DescribeSpace(Space space) => space switch
        {
            Space.Noise => "a batch of noise vectors",
            Space.Data => "a batch of data samples",
            Space.Mixed => "a mix of data samples and noise vectors",
            _ => "not a batch of samples",
        };

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

        // ----- the class and its members -----

        /// <summary>The trainer creates the loss with its public parameterless constructor; the generator writes a class, not a record.</summary>
        private void CheckInstantiable(TypeDeclarationSyntax syntax, Location identifier)
        {
            var name = _lossClass.Name;
            if (syntax is RecordDeclarationSyntax)
                Report(DiagnosticDescriptors.UnsupportedDeclaration, identifier, name, "is a record: declare it 'public partial class " + name + "'");
            else if (_lossClass.IsAbstract && !_lossClass.IsStatic)
                Report(DiagnosticDescriptors.UnsupportedDeclaration, identifier, name, "is abstract: remove 'abstract' (the trainer creates an instance of the loss class)");
            else if (!_lossClass.IsStatic && !_lossClass.InstanceConstructors.Any(c => c.Parameters.Length == 0 && c.DeclaredAccessibility == Accessibility.Public))
                Report(DiagnosticDescriptors.UnsupportedDeclaration, identifier, name, "has no public parameterless constructor: add 'public " + name + "() { }' (the trainer creates the loss with it)");
        }

        private void CheckOptimizer(AttributeData attribute, string kind, double learningRate, params (string Name, double Value, int Index)[] fractions)
        {
            var example = kind == "Adam" ? "[Adam(2e-4, 0.5, 0.999)]" : "[RMSprop(5e-5, 0.99)]";
            if (!(learningRate > 0) || double.IsInfinity(learningRate))
                Report(DiagnosticDescriptors.InvalidOptimizer, AttributeArgumentLocation(attribute, 0) ?? LocationOf(_lossClass), "learning rate", kind, Format(learningRate),
                    "use a positive finite learning rate, e.g. " + example);
            foreach (var (name, value, index) in fractions)
                if (!(value >= 0 && value < 1))
                    Report(DiagnosticDescriptors.InvalidOptimizer, AttributeArgumentLocation(attribute, index) ?? LocationOf(_lossClass), name, kind, Format(value),
                        "use a value in [0, 1), e.g. " + example);
        }

        /// <summary>
        /// An enum argument cast from an integer outside the enum would print as code that does not compile. The enum is
        /// the DSL's own (src/Dsl/Enums.cs, linked into the generator): its members are read, not typed in.
        /// </summary>
        private bool EnumInRange<TEnum>(AttributeData attribute, int index) where TEnum : struct, Enum
        {
            var enumName = typeof(TEnum).Name;
            var names = Enum.GetNames(typeof(TEnum));
            var members = string.Join(", ", names.Select(n => enumName + "." + n));
            var value = Convert.ToInt64(attribute.ConstructorArguments[index].Value ?? 0L, CultureInfo.InvariantCulture);
            if (value >= 0 && value < names.Length) return true;
            var location = AttributeArgumentLocation(attribute, index) ?? LocationOf(_lossClass);
            var text = Read(attribute.ApplicationSyntaxReference) is AttributeSyntax { ArgumentList: { } list } && index < list.Arguments.Count
                ? Normalize(list.Arguments[index]) : "(" + enumName + ")" + value.ToString(CultureInfo.InvariantCulture);
            Report(DiagnosticDescriptors.EnumValueOutOfRange, location, text, enumName, members);
            return false;
        }

        /// <summary>A member named like a vocabulary member (a hyperparameter 'x') silently changes what loss expressions mean.</summary>
        private void CheckMemberName(ISymbol member)
        {
            if (member.IsImplicitlyDeclared || member is IMethodSymbol { MethodKind: not MethodKind.Ordinary }) return;
            // A macro method named like a word ('static Expr Mean(Expr v) => ...') is what C# calls in this class: the user's own word.
            if (member is IMethodSymbol method && IsMacroCandidate(method, method.ReturnType) && !method.GetAttributes().Any(_symbols.IsDslAttribute)) return;
            _vocabularyNames ??= new HashSet<string>(
                _symbols.Vocabulary?.GetMembers().Where(m => m.CanBeReferencedByName).Select(m => m.Name) ?? Enumerable.Empty<string>(),
                StringComparer.Ordinal);
            if (_vocabularyNames.Contains(member.Name)) Report(DiagnosticDescriptors.NameHidesVocabulary, LocationOf(member), member.Name);
        }

        // ----- undeclared names -----

        /// <summary>
        /// GAN0015's advice: the nearest declared names first (hyperparameters, state, networks, macros of the class,
        /// vocabulary and penalty words: a typo like 'Lamda' is far likelier than a new network), then how to declare a network.
        /// </summary>
        private string UndeclaredAdvice(string name)
        {
            var network = "for a network, declare it in the loss class with '[Network(NetworkRole.Critic, NetworkOutput.Score)] private static partial Expr " + name + "(Expr v);'";
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
                if (member is IPropertySymbol { Type: var t } && IsExpr(t) || member is IMethodSymbol { MethodKind: MethodKind.Ordinary, ReturnType: var r } && IsExpr(r))
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

        /// <summary>Members the generated half declares; a user member of the same name would not compile.</summary>
        private void CheckGeneratedNames(bool writesEndOfEpoch)
        {
            foreach (var member in _lossClass.GetMembers())
            {
                if (member.IsImplicitlyDeclared || member is IMethodSymbol { MethodKind: not MethodKind.Ordinary }) continue;
                if (s_generatedMembers.Contains(member.Name) || (writesEndOfEpoch && member.Name == "EndOfEpoch"))
                    Report(DiagnosticDescriptors.GeneratedMemberCollision, LocationOf(member), member.Name, "the IGanLoss implementation");
            }
        }

        /// <summary>Macro parameters are values: Expr or a number, passed plainly.</summary>
        private bool IsMacroParameter(IParameterSymbol parameter) =>
            parameter.RefKind == RefKind.None && !parameter.IsParams
            && (IsExpr(parameter.Type) || parameter.Type.SpecialType is SpecialType.System_Double or SpecialType.System_Single or SpecialType.System_Int32 or SpecialType.System_Int64);

        // ----- GAN0023's rewrite -----

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
            SimpleName(call.Expression) is { } name && _networks.TryGetValue(name, out var n) && n.Role == NetworkRole.Critic && n.Output == NetworkOutput.Score;
    }
}
