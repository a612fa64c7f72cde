using System;
using System.Collections.Generic;
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
            var stack = new Stack<(SyntaxNode Node, int Depth)>();
            stack.Push((root, 1));
            while (stack.Count > 0)
            {
                var (node, depth) = stack.Pop();
                if (depth > MaxDepth) return node;
                foreach (var child in node.ChildNodes())
                    stack.Push((child, child is ExpressionSyntax ? depth + 1 : depth));
            }
            return null;
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
            var role = _networks.TryGetValue(network, out var spec) ? spec.Role : NetRole.Critic;
            var wanted = role == NetRole.Critic ? Space.Data : Space.Noise;
            if (facts.Space == wanted || facts.Space == Space.None) return true;
            var where = argSyntax as ExpressionSyntax ?? call;
            Report(DiagnosticDescriptors.ShapeMismatch, LocationFor(where, scope), Normalize(call.Expression) + "(...)",
                role == NetRole.Critic ? "a batch of data samples (x, G(z), ...)" : "a batch of noise vectors (z, z2)", Normalize(where), DescribeSpace(facts.Space));
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

        /// <summary>An enum argument cast from an integer outside the enum would print as code that does not compile.</summary>
        private bool EnumInRange(AttributeData attribute, int index, string enumName, string members, int count)
        {
            var value = Convert.ToInt64(attribute.ConstructorArguments[index].Value ?? 0L, CultureInfo.InvariantCulture);
            if (value >= 0 && value < count) return true;
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
            _vocabularyNames ??= new HashSet<string>(
                _compilation.GetTypeByMetadataName(DslNamespace + ".Vocabulary")?.GetMembers().Where(m => m.CanBeReferencedByName).Select(m => m.Name) ?? Enumerable.Empty<string>(),
                StringComparer.Ordinal);
            if (_vocabularyNames.Contains(member.Name)) Report(DiagnosticDescriptors.NameHidesVocabulary, LocationOf(member), member.Name);
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
        private static bool IsMacroParameter(IParameterSymbol parameter) =>
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
            SimpleName(call.Expression) is { } name && _networks.TryGetValue(name, out var n) && n.Role == NetRole.Critic && n.Output == NetOutput.Score;
    }
}
