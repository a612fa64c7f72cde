using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using GanDsl.Generator.Diagnostics;
using GanDsl.Generator.Helpers;
using GanDsl.Generator.Ir;
using GanDsl.Generator.Passes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GanDsl.Generator;

public sealed partial class GanLossGenerator
{
    // Phase (b), lowering: C# expression syntax to the IR (ExprNode), macros inlined, vocabulary words looked up in the
    // operation table. Every lowered sub-expression goes through the checks of phase (c) before it is used.
    internal sealed partial class Parser
    {
        /// <summary>Deepest expression lowered (syntax levels, and IR height after inlining): every pass below is safe to this depth on a 1 MB stack.</summary>
        internal const int MaxDepth = 1000;
        /// <summary>
        /// A sum or product of more terms than this (C# parses it as one level per term, left-nested) is lowered
        /// iteratively into a balanced tree; shorter ones keep C#'s left-to-right order.
        /// </summary>
        internal const int BalanceAbove = 64;
        /// <summary>More terms than this in one sum or product is GAN0018 (binding them would take the compiler minutes).</summary>
        internal const int MaxTerms = 10_000;
        private readonly List<ISymbol> _macroStack = new();
        /// <summary>While a loss is lowered: true for the discriminator loss, false for the generator loss; null otherwise.</summary>
        private bool? _lossBeingParsed;
        /// <summary>Per network, its first application: with labels or not, where, as written (GAN0030 compares the others with it).</summary>
        private readonly Dictionary<string, (bool WithLabels, string Text)> _applications = new(StringComparer.Ordinal);
        private int _depth;
        private bool _tooDeepReported;

        /// <summary>What phase (b) lowered: the losses, the state updates and the monitors, each checked as a root.</summary>
        private sealed class LoweredClass
        {
            public LossSpec? Discriminator { get; set; }
            public LossSpec? Generator { get; set; }
            public List<StateSpec> States { get; } = new();
            public List<LossSpec> Monitors { get; } = new();

            /// <summary>Every lowered root: the losses, the state updates, the monitors.</summary>
            public IEnumerable<ExprNode> Expressions =>
                new[] { Discriminator?.Expression, Generator?.Expression }.Concat(States.Select(s => s.Update)).Concat(Monitors.Select(m => m.Expression))
                    .Where(e => e is not null).Select(e => e!);
        }

        /// <summary>Phase (b): every expression the class declares, lowered to the IR; the checks (c) run on each lowered sub-expression and root.</summary>
        private LoweredClass LowerBodies(DeclaredClass declared)
        {
            _analysis = new Analysis(_networks);
            var lowered = new LoweredClass();
            LowerLosses(declared, lowered);
            LowerStates(declared, lowered);
            LowerMonitors(declared, lowered);
            return lowered;
        }

        /// <summary>The <c>[DiscriminatorLoss]</c> (optional) and <c>[GeneratorLoss]</c> (required), one of each.</summary>
        private void LowerLosses(DeclaredClass declared, LoweredClass lowered)
        {
            foreach (var (property, isDiscriminator) in declared.LossMembers)
            {
                if ((isDiscriminator ? lowered.Discriminator : lowered.Generator) is not null)
                {
                    Report(DiagnosticDescriptors.DuplicateLossMember, LocationOf(property), property.Name,
                        isDiscriminator ? "DiscriminatorLoss" : "GeneratorLoss");
                    continue;
                }
                var loss = LowerLoss(property, isDiscriminator);
                if (isDiscriminator) lowered.Discriminator = loss;
                else lowered.Generator = loss;
            }
            if (!declared.LossMembers.Any(l => !l.IsDiscriminator)) Report(DiagnosticDescriptors.MissingGeneratorLoss, declared.Identifier, declared.TypeName);
        }

        private LossSpec? LowerLoss(IPropertySymbol property, bool isDiscriminator)
        {
            var body = ExpressionBody(property);
            if (body is null)
            {
                Report(DiagnosticDescriptors.LossNotExpression, LocationOf(property), property.Name);
                return null;
            }
            _lossBeingParsed = isDiscriminator;
            var expression = LowerRoot(body, Scope.ForSource(Model(body.SyntaxTree)));
            _lossBeingParsed = null;
            return expression is null ? null : CheckLoss(property, body, expression, isDiscriminator);
        }

        /// <summary><c>[State]</c> update rules: scalars, their Grads checked in the step their timing runs them in.</summary>
        private void LowerStates(DeclaredClass declared, LoweredClass lowered)
        {
            foreach (var (property, initial, timing) in declared.StateMembers)
            {
                var body = ExpressionBody(property);
                if (body is null)
                {
                    Report(DiagnosticDescriptors.InvalidStateDeclaration, LocationOf(property), property.Name);
                    continue;
                }
                var update = LowerRoot(body, Scope.ForSource(Model(body.SyntaxTree)));
                if (update is null) continue;
                CheckGradients(update, timing switch
                {
                    StateUpdateTiming.AfterCriticStep => StepKind.Critic,
                    StateUpdateTiming.AfterGeneratorStep => StepKind.Generator,
                    _ => StepKind.EndOfEpoch,
                });
                var facts = _analysis.Of(update);
                if (facts.Shape != Shape.Scalar)
                {
                    Report(DiagnosticDescriptors.StateUpdateNotScalar, body.GetLocation(), property.Name, Describe(facts.Shape));
                    continue;
                }
                lowered.States.Add(new StateSpec(property.Name, initial, timing, SourceText(body), update));
            }
        }

        /// <summary>Monitors: scalar macro properties of the class, reported as terms after each critic step.</summary>
        private void LowerMonitors(DeclaredClass declared, LoweredClass lowered)
        {
            foreach (var property in declared.MonitorCandidates)
            {
                var body = ExpressionBody(property);
                if (body is null) continue;
                _macroStack.Add(property);
                var value = LowerRoot(body, Scope.ForSource(Model(body.SyntaxTree)));
                _macroStack.RemoveAt(_macroStack.Count - 1);
                if (value is not null && _analysis.Of(value) is { Shape: Shape.Scalar, IsHost: false })
                {
                    // Monitors run after the critic step (after the generator step for a loss with no critic).
                    CheckGradients(value, declared.LossMembers.Any(l => l.IsDiscriminator) ? StepKind.Critic : StepKind.Generator);
                    lowered.Monitors.Add(new LossSpec(property.Name, SourceText(body), Analysis.Unwrap(value)));
                }
            }
        }

        // ----- expressions -----

        /// <summary>
        /// Where names resolve while lowering: through the semantic model for source, or by name
        /// (parameters, the macro's type, then the vocabulary) for a [Macro] text from metadata,
        /// whose diagnostics fall back to the call site.
        /// </summary>
        private sealed class Scope
        {
            public SemanticModel? Model { get; private set; }
            public INamedTypeSymbol? MacroType { get; private set; }
            public Location? CallSite { get; private set; }
            public Dictionary<string, ExprNode> Parameters { get; } = new(StringComparer.Ordinal);

            public static Scope ForSource(SemanticModel model) => new() { Model = model };

            public static Scope ForMetadata(INamedTypeSymbol macroType, Location callSite) => new() { MacroType = macroType, CallSite = callSite };
        }

        /// <summary>Lowers the body of a loss, state or monitor: the depth limit's report is per root.</summary>
        private ExprNode? LowerRoot(ExpressionSyntax syntax, Scope scope)
        {
            _tooDeepReported = false;
            return DeepestNode(syntax) is { } tooDeep ? TooDeep(tooDeep, scope) : Lower(syntax, scope);
        }

        /// <summary>
        /// Lowers one expression. Recursion is bounded: past <see cref="MaxDepth"/> levels of syntax or of
        /// lowered IR (macros inline bodies into arguments) it reports GAN0018 and stops, so every later pass,
        /// recursive or not, sees IR of bounded height.
        /// </summary>
        private ExprNode? Lower(ExpressionSyntax syntax, Scope scope)
        {
            _ct.ThrowIfCancellationRequested();
            // Parentheses only group (C# gives '((1 / 2))' the value of '1 / 2'): strip them in a loop, not a level each.
            while (syntax is ParenthesizedExpressionSyntax parenthesized) syntax = parenthesized.Expression;
            if (_depth >= MaxDepth) return TooDeep(syntax, scope);
            _depth++;
            try
            {
                var node = LowerUnbounded(syntax, scope);
                return node is not null && _analysis.Of(node).Height > MaxDepth ? TooDeep(syntax, scope) : node;
            }
            finally
            {
                _depth--;
            }
        }

        private ExprNode? LowerUnbounded(ExpressionSyntax syntax, Scope scope)
        {
            // C# folds constant expressions with its own rules (1 / 2 is 0); a hyperparameter is never folded (runs override it).
            if (ConstantOf(syntax, scope) is { } constant) return constant;
            switch (syntax)
            {
                case ParenthesizedExpressionSyntax p:
                    return Lower(p.Expression, scope);
                case CastExpressionSyntax c:
                    if (IntegerArithmeticOnHyper(c, scope)) return null;
                    return Lower(c.Expression, scope);
                case LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NumericLiteralExpression } lit:
                    return lit.Token.Value is { } v && IsNumeric(v) ? new ConstNode(ToDouble(v)) : Unsupported(syntax, scope);
                case PrefixUnaryExpressionSyntax u when u.IsKind(SyntaxKind.UnaryMinusExpression):
                    return Lower(u.Operand, scope) is { } negated && RejectLabels(u, "'-'", new object?[] { u.Operand }, new[] { negated }, scope)
                        ? Call(Op.Neg, negated) : null;
                case PrefixUnaryExpressionSyntax u when u.IsKind(SyntaxKind.UnaryPlusExpression):
                    return Lower(u.Operand, scope);
                case BinaryExpressionSyntax b:
                    return LowerBinary(b, scope);
                case IdentifierNameSyntax or MemberAccessExpressionSyntax:
                    return LowerName(syntax, scope);
                case InvocationExpressionSyntax i:
                    return LowerInvocation(i, scope);
                default:
                    return Unsupported(syntax, scope);
            }
        }

        private ExprNode? LowerBinary(BinaryExpressionSyntax b, Scope scope)
        {
            Op? op = b.Kind() switch
            {
                SyntaxKind.AddExpression => Op.Add,
                SyntaxKind.SubtractExpression => Op.Sub,
                SyntaxKind.MultiplyExpression => Op.Mul,
                SyntaxKind.DivideExpression => Op.Div,
                _ => null,
            };
            if (op is null) return Unsupported(b, scope);
            if (ChainLength(b) > BalanceAbove) return LowerChain(b, scope);
            if (IntegerArithmeticOnHyper(b, scope)) return null;
            var left = Lower(b.Left, scope);
            var right = Lower(b.Right, scope);
            if (left is null || right is null) return null;
            if (!RejectLabels(b, "'" + b.OperatorToken.Text + "'", new object?[] { b.Left, b.Right }, new[] { left, right }, scope)) return null;
            if (Operations.Of(op.Value).OperandsAgree
                && !CheckOperands(b, b.OperatorToken.Text, new object?[] { b.Left, b.Right }, new[] { left, right }, scope)) return null;
            return Call(op.Value, left, right);
        }

        private ExprNode? LowerName(ExpressionSyntax syntax, Scope scope)
        {
            var name = SimpleName(syntax);
            if (scope.Model is null && name is not null && scope.Parameters.TryGetValue(name, out var bound)) return bound;
            var symbol = Resolve(syntax, scope, argumentCount: -1);
            switch (symbol)
            {
                case null:
                    return Unresolved(syntax, scope);
                case IParameterSymbol parameter when scope.Parameters.TryGetValue(parameter.Name, out var value):
                    return value;
                case IFieldSymbol field when _hypers.TryGetValue(field, out var hyper):
                    return new HyperNode(hyper.Name);
                case IFieldSymbol { IsConst: true, ConstantValue: { } constant } when IsNumeric(constant):
                    return new ConstNode(ToDouble(constant));
                case IPropertySymbol property when _symbols.IsVocabulary(property.ContainingType):
                    return property.Name switch
                    {
                        "x" => new InputNode(InputKind.Real),
                        "z" => new InputNode(InputKind.Noise),
                        "z2" => new InputNode(InputKind.Noise2),
                        "y" => new InputNode(InputKind.RealLabels),
                        "yz" => new InputNode(InputKind.NoiseLabels),
                        _ => NotInVocabulary(syntax, scope),
                    };
                case IPropertySymbol property when _states.ContainsKey(property):
                    return new StateNode(property.Name);
                case IPropertySymbol property when IsMacroCandidate(property, property.Type):
                    return InlineMacro(property, syntax, new Dictionary<string, ExprNode>(), property.Name, scope);
                default:
                    return NotInVocabulary(syntax, scope);
            }
        }

        private ExprNode? LowerInvocation(InvocationExpressionSyntax call, Scope scope)
        {
            var args = call.ArgumentList.Arguments;
            var resolved = Resolve(call, scope, args.Count);
            if (resolved is not IMethodSymbol symbol)
                return resolved is null ? Unresolved(call, scope) : NotInVocabulary(call.Expression, scope);

            // Arguments in parameter order (named arguments allowed; defaults filled in; params collected).
            var ordered = OrderArguments(symbol, args, out var extra);
            if (ordered is null) return Unsupported(call, scope);

            if (_symbols.IsVocabulary(symbol.ContainingType)) return LowerVocabularyCall(symbol.Name, call, ordered, extra, scope);

            if ((_networks.ContainsKey(symbol.Name) && DslSymbols.Has(symbol, _symbols.Network))
                || (_heads.ContainsKey(symbol.Name) && DslSymbols.Has(symbol, _symbols.ClassHead)))
            {
                var lowered = new ExprNode[ordered.Length];
                for (var i = 0; i < ordered.Length; i++)
                    if ((lowered[i] = LowerArgument(ordered[i], scope)!) is null) return null;
                return LowerApplication(call, symbol.Name, ordered, lowered, scope);
            }

            // An extension-method macro called as v.F(...): the receiver is its first parameter.
            var macro = symbol.ReducedFrom ?? symbol;
            if (IsMacroCandidate(macro, macro.ReturnType))
            {
                if (macro.Parameters.FirstOrDefault(p => !IsMacroParameter(p)) is { } bad)
                {
                    Report(DiagnosticDescriptors.UnsupportedMacroSignature, LocationFor(call, scope), macro.Name, bad.Name, bad.ToDisplayString());
                    return null;
                }
                var actual = new List<object?>();
                if (symbol.ReducedFrom is not null)
                {
                    if (call.Expression is not MemberAccessExpressionSyntax access) return Unsupported(call, scope);
                    actual.Add(access.Expression);
                }
                actual.AddRange(ordered);
                var parameters = new Dictionary<string, ExprNode>(StringComparer.Ordinal);
                for (var i = 0; i < macro.Parameters.Length && i < actual.Count; i++)
                {
                    var value = LowerArgument(actual[i], scope);
                    if (value is null) return null;
                    parameters[macro.Parameters[i].Name] = value;
                }
                if (parameters.Count != macro.Parameters.Length) return Unsupported(call, scope);
                return InlineMacro(macro, call, parameters, Normalize(call), scope);
            }
            return NotInVocabulary(call.Expression, scope);
        }

        private ExprNode? LowerVocabularyCall(string name, InvocationExpressionSyntax call, object?[] args, List<ExpressionSyntax> extra, Scope scope)
        {
            var lowered = new ExprNode[args.Length];
            for (var i = 0; i < args.Length; i++)
            {
                var value = LowerArgument(args[i], scope);
                if (value is null) return null;
                lowered[i] = value;
            }

            if (name is "D" or "G" or "AE") return LowerApplication(call, name, args, lowered, scope);
            if (Operations.FromWord(name, args.Length + extra.Count) is not { } operation) return NotInVocabulary(call.Expression, scope);

            // Everything below reads the operation's table row: which operands must be constants, which must agree, ...
            var operands = new List<ExprNode>(lowered);
            var operandSyntax = new List<object?>(args);
            foreach (var extraSyntax in extra)
            {
                var value = Lower(extraSyntax, scope);
                if (value is null) return null;
                operands.Add(value);
                operandSyntax.Add(extraSyntax);
            }
            // Labels are read only by CrossEntropy (its second operand), which also needs class logits first.
            if (!RejectLabels(call, name + "(...)", operandSyntax, operands, scope, allowed: operation.ClassLogitsAndLabels ? 1 : -1)) return null;
            if (operation.ClassLogitsAndLabels && !CheckClassLogitsAndLabels(call, operandSyntax, operands, scope)) return null;
            if (operation.NeedsPerSampleOperand && _analysis.Of(operands[0]) is { IsHost: true } or { Shape: not Shape.PerSample })
                return ShapeMismatch(call, "a per-sample value (one number per sample, e.g. D(G(z)))", args[0], operands[0], scope);
            if (operation.Host is { } host && !CheckHostOperands(call, operation, host, operandSyntax, operands, scope)) return null;
            if (operation.OperandsAgree && !CheckOperands(call, name + "(...)", args, lowered, scope)) return null;
            if (operation.OrderedBounds && !CheckOrderedBounds(call, operands, scope)) return null;
            if (operation.UnboundedOperand != OperandWarning.None) CheckUnboundedOperand(call, operation.UnboundedOperand, operands[0], scope);
            if (extra.Count == 0 && operation.DefaultExtra.Length > 0) operands.AddRange(operation.DefaultExtra.Select(d => (ExprNode)new ConstNode(d)));

            var node = new CallNode(operation.Op, operands.ToEquatableArray());
            // Whether a gradient reaches 'at' depends on the step the Grad runs in: checked per root (CheckGradients).
            if (operation.Op == Op.Grad && !_gradSites.ContainsKey(node))
                _gradSites[node] = (LocationFor(call, scope), Normalize(call), Normalize(ArgumentSyntax(args[1]) ?? call));
            return node;
        }

        /// <summary>
        /// A network or class head applied: <c>D(v)</c>, <c>D(v, y)</c>, <c>E(v)</c>, <c>Q(v)</c>. Checks the batch, the label
        /// argument (y or yz itself), that a network takes labels in all its applications or in none, and that a network with
        /// class heads is applied without labels. The score of a network with heads is column 0 of its forward pass
        /// (<see cref="HeadNode"/> −1), so <c>D(x)</c> and <c>Q(x)</c> read one pass.
        /// </summary>
        private ExprNode? LowerApplication(InvocationExpressionSyntax call, string name, IReadOnlyList<object?> syntax, IReadOnlyList<ExprNode> args,
            Scope scope)
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
                    first.WithLabels ? "with labels" : "without",
                    withLabels ? "'" + first.Text + "' with labels too, or this one without"
                        : "this one with labels too, e.g. '" + network + "(v, y)', or '" + first.Text + "' without");
                return null;
            }
            if (!_applications.ContainsKey(network)) _applications[network] = (withLabels, text);
            var apply = new ApplyNode(network, args[0], labels);
            return _networks.TryGetValue(network, out var spec) && spec.ClassHeads > 0 ? new HeadNode(network, -1, apply) : apply;
        }

        private ExprNode? LowerArgument(object? argument, Scope scope) => argument switch
        {
            ExpressionSyntax e => Lower(e, scope),
            ExprNode n => n,
            _ => null,
        };

        private static ExpressionSyntax? ArgumentSyntax(object? argument) => argument as ExpressionSyntax;

        /// <summary>
        /// Maps invocation arguments to the method's parameters: each slot is the argument's
        /// syntax, or an <see cref="ExprNode"/> constant for an omitted parameter with a default.
        /// Arguments bound to a <c>params</c> parameter are returned in <paramref name="extra"/>.
        /// </summary>
        private static object?[]? OrderArguments(IMethodSymbol method, SeparatedSyntaxList<ArgumentSyntax> args, out List<ExpressionSyntax> extra)
        {
            extra = new List<ExpressionSyntax>();
            var parameters = method.Parameters;
            var slots = new object?[parameters.Length];
            var position = 0;
            foreach (var arg in args)
            {
                if (arg.NameColon is { } nameColon)
                {
                    var index = parameters.IndexOf(parameters.FirstOrDefault(p => p.Name == nameColon.Name.Identifier.ValueText)!);
                    if (index < 0) return null;
                    // 'sigmas: 3' binds one element of a params array, as C# does.
                    if (parameters[index].IsParams) extra.Add(arg.Expression);
                    else slots[index] = arg.Expression;
                    continue;
                }
                if (position < parameters.Length && parameters[position].IsParams) extra.Add(arg.Expression);
                else if (position < parameters.Length) slots[position] = arg.Expression;
                else if (parameters.Length > 0 && parameters[parameters.Length - 1].IsParams) extra.Add(arg.Expression);
                else return null;
                position++;
            }
            for (var i = 0; i < parameters.Length; i++)
            {
                if (slots[i] is not null || parameters[i].IsParams) continue;
                if (parameters[i].HasExplicitDefaultValue && parameters[i].ExplicitDefaultValue is { } d && IsNumeric(d)) slots[i] = new ConstNode(ToDouble(d));
                else return null;
            }
            // The params slot itself is not an argument of the IR call.
            return parameters.Length > 0 && parameters[parameters.Length - 1].IsParams ? slots.Take(parameters.Length - 1).ToArray() : slots;
        }

        private static CallNode Call(Op op, params ExprNode[] args) => new(op, args);

        // ----- macros -----

        /// <summary>Inlines a macro: its body (from source, or its [Macro] text) lowered with the parameters bound.</summary>
        private ExprNode? InlineMacro(ISymbol macro, ExpressionSyntax callSite, Dictionary<string, ExprNode> parameters, string termName, Scope outer)
        {
            if (_macroStack.Contains(macro, SymbolEqualityComparer.Default))
            {
                Report(DiagnosticDescriptors.RecursiveMacro, LocationFor(callSite, outer), macro.Name);
                return null;
            }

            ExpressionSyntax? body;
            Scope scope;
            var sourceBody = ExpressionBody(macro);
            if (sourceBody is not null)
            {
                body = sourceBody;
                scope = Scope.ForSource(Model(sourceBody.SyntaxTree));
            }
            else if (MacroText(macro) is { } text)
            {
                body = SyntaxFactory.ParseExpression(text);
                if (body.ContainsDiagnostics)
                {
                    Report(DiagnosticDescriptors.UnsupportedSyntax, LocationFor(callSite, outer), "[Macro(\"" + text + "\")] on " + macro.Name);
                    return null;
                }
                scope = Scope.ForMetadata(macro.ContainingType, LocationFor(callSite, outer));
            }
            else
            {
                return NotInVocabulary(callSite is InvocationExpressionSyntax inv ? inv.Expression : callSite, outer);
            }

            foreach (var kv in parameters) scope.Parameters[kv.Key] = kv.Value;
            if (scope.Model is not null && DeepestNode(body) is not null) return TooDeep(callSite, outer);
            _macroStack.Add(macro);
            try
            {
                var value = Lower(body, scope);
                if (value is null) return null;
                // A scalar macro's value is reported by name as a step term (gp, L(x)); other shapes are just inlined.
                // The outermost name wins: 'Gp => GradientPenalty(...)' is reported as Gp.
                return _analysis.Of(value) is { Shape: Shape.Scalar, IsHost: false } ? new NamedNode(termName, Analysis.Unwrap(value)) : value;
            }
            finally
            {
                _macroStack.RemoveAt(_macroStack.Count - 1);
            }
        }

        private ISymbol? Resolve(ExpressionSyntax syntax, Scope scope, int argumentCount)
        {
            if (scope.Model is not null)
            {
                var info = scope.Model.GetSymbolInfo(syntax, _ct);
                return Noted(info.Symbol ?? (info.CandidateSymbols.Length > 0 ? info.CandidateSymbols[0] : null));
            }

            // [Macro] text from metadata: resolve by name like the C# compiler would in the macro's type
            // with 'using static GanDsl.Vocabulary'. Qualified names use their last part.
            var target = syntax is InvocationExpressionSyntax inv ? inv.Expression : syntax;
            var name = SimpleName(target);
            if (name is null) return null;
            foreach (var type in new[] { scope.MacroType, _symbols.Vocabulary })
            {
                if (type is null) continue;
                foreach (var member in type.GetMembers(name))
                {
                    if (argumentCount < 0 && member is IPropertySymbol or IFieldSymbol) return Noted(member);
                    if (argumentCount >= 0 && member is IMethodSymbol m && Accepts(m, argumentCount)) return Noted(m);
                }
            }
            return null;

            static bool Accepts(IMethodSymbol m, int count) =>
                m.Parameters.Length == count
                || (m.Parameters.Length > 0 && m.Parameters[m.Parameters.Length - 1].IsParams && count >= m.Parameters.Length - 1)
                || (count < m.Parameters.Length && m.Parameters.Skip(count).All(p => p.HasExplicitDefaultValue));
        }

        // Checks on lowered sub-expressions

        private string? MacroText(ISymbol symbol)
        {
            foreach (var attr in symbol.GetAttributes())
                if (DslSymbols.Is(attr.AttributeClass, _symbols.Macro) && attr.ConstructorArguments.Length == 1
                    && attr.ConstructorArguments[0].Value is string text)
                    return text;
            return null;
        }

        /// <summary>An Expr-typed (or Loss-typed) property or method that is not part of the vocabulary: inlined if it has a body or [Macro].</summary>
        private bool IsMacroCandidate(ISymbol symbol, ITypeSymbol type) =>
            !_symbols.IsVocabulary(symbol.ContainingType) && (IsExpr(type) || DslSymbols.Is(type, _symbols.Loss));

        /// <summary>Macro parameters are values: Expr or a number, passed plainly.</summary>
        private bool IsMacroParameter(IParameterSymbol parameter) =>
            parameter.RefKind == RefKind.None && !parameter.IsParams
            && (IsExpr(parameter.Type) || parameter.Type.SpecialType is SpecialType.System_Double or SpecialType.System_Single or SpecialType.System_Int32
                or SpecialType.System_Int64);

        // ----- depth, and long sums and products -----

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
            while (first is BinaryExpressionSyntax b && (spine.Count == 0 || SameChain(spine[spine.Count - 1], b))
                && (spine.Count == 0 || ConstantOf(b, scope) is null))
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
            if (!RejectLabels(whole, additive ? "'+'" : "'*'", terms.Select(t => (object?)t.Syntax).ToList(), terms.Select(t => t.Node).ToList(),
                scope)) return null;
            // Every tensor term must be of one kind with the first (data with data, ...), as each '+' of the chain checks.
            var anchor = terms.FirstOrDefault(t => !_analysis.Of(t.Node).IsHost);
            if (anchor.Node is not null)
                for (var i = 0; i < terms.Count; i++)
                    if (!CheckOperands(whole, additive ? "+" : "*", new object?[] { anchor.Syntax, terms[i].Syntax }, new[] { anchor.Node, terms[i].Node },
                        scope)) return null;

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

        // ----- C# constants -----

        /// <summary>The value C# gives a constant expression (integer division included), unless it reads a hyperparameter.</summary>
        private ExprNode? ConstantOf(ExpressionSyntax syntax, Scope scope)
        {
            if (syntax is not (LiteralExpressionSyntax or BinaryExpressionSyntax or PrefixUnaryExpressionSyntax or ParenthesizedExpressionSyntax
                or CastExpressionSyntax))
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
                                SyntaxKind.AddExpression => x + y,
                                SyntaxKind.SubtractExpression => x - y,
                                SyntaxKind.MultiplyExpression => x * y,
                                SyntaxKind.DivideExpression => x / y,
                                _ => null,
                            };
                        }
                        long a = Convert.ToInt64(l, CultureInfo.InvariantCulture), c = Convert.ToInt64(r, CultureInfo.InvariantCulture);
                        if (b.IsKind(SyntaxKind.DivideExpression) && c == 0) return null;
                        long? result = b.Kind() switch
                        {
                            SyntaxKind.AddExpression => a + c,
                            SyntaxKind.SubtractExpression => a - c,
                            SyntaxKind.MultiplyExpression => a * c,
                            SyntaxKind.DivideExpression => a / c,
                            _ => null,
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
    }
}
