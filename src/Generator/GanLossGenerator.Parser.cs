using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
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
    /// <summary>
    /// Syntax and semantic model to IR and diagnostics. The only code that sees Roslyn symbols,
    /// syntax or locations; checks that need a location run here, on the lowered IR of each
    /// sub-expression, so a diagnostic points at the smallest offending piece of source.
    /// </summary>
    internal sealed partial class Parser
    {
        private static readonly Regex s_lossName = new("^[a-z0-9][a-z0-9-]*$", RegexOptions.CultureInvariant);

        private readonly Compilation _compilation;
        /// <summary>The DSL's types in this compilation, compared as symbols.</summary>
        private readonly DslSymbols _symbols;
        private readonly INamedTypeSymbol _lossClass;
        private readonly CancellationToken _ct;
        private readonly List<Diagnostic> _diagnostics = new();
        private readonly HashSet<(string, Location, string)> _reported = new();
        private readonly Dictionary<SyntaxTree, SemanticModel> _models = new();
        /// <summary>Every source tree whose syntax or declarations this parse read: the memo is valid while they are unchanged.</summary>
        private readonly HashSet<SyntaxTree> _treesRead = new();
        private readonly Dictionary<string, NetworkSpec> _networks = new(StringComparer.Ordinal);
        private readonly List<string> _networkOrder = new();
        private readonly Dictionary<IFieldSymbol, HyperSpec> _hypers = new(SymbolEqualityComparer.Default);
        private readonly Dictionary<IPropertySymbol, string> _states = new(SymbolEqualityComparer.Default);
        private readonly List<ISymbol> _macroStack = new();
        private Analysis _analysis = null!;
        /// <summary>While a loss is lowered: true for the discriminator loss, false for the generator loss; null otherwise.</summary>
        private bool? _lossBeingParsed;
        private readonly List<WarnedSpec> _warnings = new();
        /// <summary>Class heads by name ([ClassHead("D")] Q), each with its index among its network's heads.</summary>
        private readonly Dictionary<string, ClassHeadSpec> _heads = new(StringComparer.Ordinal);
        /// <summary>Per network, its first application: with labels or not, where, as written (GAN0030 compares the others with it).</summary>
        private readonly Dictionary<string, (bool WithLabels, string Text)> _applications = new(StringComparer.Ordinal);
        private bool _hasErrors;

        private Parser(Compilation compilation, INamedTypeSymbol lossClass, SemanticModel model, CancellationToken ct)
        {
            _compilation = compilation;
            _symbols = DslSymbols.For(compilation);
            _lossClass = lossClass;
            _ct = ct;
            _models[model.SyntaxTree] = model;
            _treesRead.Add(model.SyntaxTree);
            foreach (var part in lossClass.DeclaringSyntaxReferences) _treesRead.Add(part.SyntaxTree);
        }

        /// <summary>The transform of the pipeline: never throws except for cancellation.</summary>
        public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken ct) => Parse(context, ct, out _);

        /// <summary>
        /// Parses one class; <paramref name="treesRead"/> gets every source tree the result depends on
        /// (the class's parts, macro bodies, declarations of resolved symbols), or null when the parse
        /// failed internally (such a result is not worth remembering). Never throws except for cancellation.
        /// </summary>
        public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken ct, out IReadOnlyCollection<SyntaxTree>? treesRead)
        {
            var classSyntax = (TypeDeclarationSyntax)context.TargetNode;
            treesRead = null;
            try
            {
                if (context.TargetSymbol is not INamedTypeSymbol type)
                {
                    treesRead = new[] { classSyntax.SyntaxTree };
                    return new ParseResult(null, ImmutableArray<Diagnostic>.Empty, null);
                }
                var parser = new Parser(context.SemanticModel.Compilation, type, context.SemanticModel, ct);
                var result = parser.ParseClass(classSyntax, context.Attributes);
                treesRead = parser._treesRead;
                return result;
            }
            catch (InsufficientExecutionStackException)
            {
                // A pass the depth limit does not cover (Roslyn's own walks of a huge expression): say so, at the class.
                var diagnostic = Diagnostic.Create(DiagnosticDescriptors.ExpressionTooDeep, classSyntax.Identifier.GetLocation(), MaxDepth.ToString(CultureInfo.InvariantCulture));
                return new ParseResult(null, ImmutableArray.Create(diagnostic), null);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                var diagnostic = Diagnostic.Create(DiagnosticDescriptors.InternalError, classSyntax.Identifier.GetLocation(),
                    "parsing '" + classSyntax.Identifier.ValueText + "'", ex.GetType().Name + ": " + ex.Message);
                return new ParseResult(null, ImmutableArray.Create(diagnostic), null);
            }
        }

        private ParseResult ParseClass(TypeDeclarationSyntax classSyntax, ImmutableArray<AttributeData> attributes)
        {
            var identifier = classSyntax.Identifier.GetLocation();
            var typeName = _lossClass.Name;

            // ----- the class itself -----
            var isPartial = classSyntax.Modifiers.Any(m => m.IsKind(SyntaxKind.PartialKeyword));
            if (!isPartial || _lossClass.IsStatic) Report(DiagnosticDescriptors.ClassNotPartial, identifier, typeName);
            if (_lossClass.ContainingType is { } outer)
                Report(DiagnosticDescriptors.UnsupportedDeclaration, identifier, typeName, "is nested in '" + outer.Name + "': declare it directly in a namespace");
            if (_lossClass.IsGenericType)
                Report(DiagnosticDescriptors.UnsupportedDeclaration, identifier, typeName, "is generic: remove its type parameters");
            CheckInstantiable(classSyntax, identifier);
            if (classSyntax.SyntaxTree.Options is CSharpParseOptions { LanguageVersion: < LanguageVersion.CSharp10 })
                Report(DiagnosticDescriptors.LanguageVersionTooLow, identifier, typeName);

            // ----- [GanLoss("name")] -----
            var attribute = attributes.FirstOrDefault();
            var lossName = attribute?.ConstructorArguments.FirstOrDefault().Value as string ?? "";
            var nameLocation = AttributeArgumentLocation(attribute, 0) ?? identifier;
            Registration? registration = null;
            if (!s_lossName.IsMatch(lossName)) Report(DiagnosticDescriptors.InvalidLossName, nameLocation, lossName);
            else registration = new Registration(lossName, _lossClass.ToDisplayString(), nameLocation);

            // ----- class attributes: schedule, clipping, optimizer -----
            var criticSteps = 1;
            var separateForwardPasses = false;
            var clipping = new List<(string Network, double Min, double Max, Location Where)>();
            var optimizers = new List<DeclaredOptimizer>();
            foreach (var attr in _lossClass.GetAttributes())
            {
                var args = attr.ConstructorArguments;
                var type = attr.AttributeClass;
                if (ReadOptimizer(attr) is { } declaredOptimizer) optimizers.Add(declaredOptimizer);
                if (DslSymbols.Is(type, _symbols.CriticSteps) && args.Length == 1 && args[0].Value is int steps)
                {
                    criticSteps = steps;
                    if (steps < 1 || steps > MaxCriticSteps)
                        Report(DiagnosticDescriptors.InvalidCriticSteps, AttributeArgumentLocation(attr, 0) ?? identifier, steps.ToString(CultureInfo.InvariantCulture), MaxCriticSteps.ToString(CultureInfo.InvariantCulture));
                }
                else if (DslSymbols.Is(type, _symbols.ClipWeights) && args.Length >= 2 && args[0].Value is string net)
                {
                    var min = args.Length == 3 ? ToDouble(args[1].Value) : -ToDouble(args[1].Value);
                    var max = args.Length == 3 ? ToDouble(args[2].Value) : ToDouble(args[1].Value);
                    clipping.Add((net, min, max, AttributeLocation(attr) ?? identifier));
                }
                else if (DslSymbols.Is(type, _symbols.SeparateForwardPasses))
                {
                    separateForwardPasses = true;
                }
            }

            // ----- members: networks, hyperparameters, state first (expressions refer to them) -----
            AddNetwork(new NetworkSpec("G", NetworkRole.Generator, NetworkOutput.Sample));
            AddNetwork(new NetworkSpec("D", NetworkRole.Critic, NetworkOutput.Score));
            AddNetwork(new NetworkSpec("AE", NetworkRole.Critic, NetworkOutput.Reconstruction));
            var partialNetworks = new List<PartialNetworkSpec>();
            var lossMembers = new List<(IPropertySymbol Property, bool IsDiscriminator)>();
            var stateMembers = new List<(IPropertySymbol Property, double Initial, StateUpdateTiming Timing)>();
            var hyperOrder = new List<HyperSpec>();

            var monitorCandidates = new List<IPropertySymbol>();
            var headDeclarations = new List<(IMethodSymbol Method, AttributeData Attribute)>();
            foreach (var member in _lossClass.GetMembers())
            {
                _ct.ThrowIfCancellationRequested();
                CheckMemberName(member);
                if (member is IPropertySymbol { Parameters.Length: 0 } candidate && IsExpr(candidate.Type)
                    && !candidate.GetAttributes().Any(_symbols.IsDslAttribute))
                    monitorCandidates.Add(candidate);
                foreach (var attr in member.GetAttributes())
                {
                    var args = attr.ConstructorArguments;
                    var type = attr.AttributeClass;
                    if (DslSymbols.Is(type, _symbols.DiscriminatorLoss) && member is IPropertySymbol discriminatorLoss)
                        lossMembers.Add((discriminatorLoss, true));
                    else if (DslSymbols.Is(type, _symbols.GeneratorLoss) && member is IPropertySymbol generatorLoss)
                        lossMembers.Add((generatorLoss, false));
                    else if (DslSymbols.Is(type, _symbols.Hyper) && member is IFieldSymbol f)
                    {
                        if (!f.IsConst || f.ConstantValue is null || !IsNumeric(f.ConstantValue))
                        {
                            Report(DiagnosticDescriptors.HyperNotConstant, LocationOf(f), f.Name);
                            continue;
                        }
                        var hyper = new HyperSpec(f.Name, ToDouble(f.ConstantValue), DocSummary(f));
                        if (double.IsNaN(hyper.Default) || double.IsInfinity(hyper.Default))
                            Report(DiagnosticDescriptors.ConstantCannotRun, LocationOf(f), "The default of hyperparameter '" + f.Name + "'", Format(hyper.Default), "give it a finite default");
                        _hypers[f] = hyper;
                        hyperOrder.Add(hyper);
                    }
                    else if (DslSymbols.Is(type, _symbols.State) && member is IPropertySymbol p && args.Length == 2)
                    {
                        var initial = ToDouble(args[0].Value);
                        if (double.IsNaN(initial) || double.IsInfinity(initial))
                            Report(DiagnosticDescriptors.ConstantCannotRun, AttributeArgumentLocation(attr, 0) ?? LocationOf(p), "The initial value of state '" + p.Name + "'", Format(initial), "give it a finite initial value");
                        if (!EnumInRange<StateUpdateTiming>(attr, 1)) continue;
                        stateMembers.Add((p, initial, (StateUpdateTiming)Convert.ToInt32(args[1].Value ?? 0, CultureInfo.InvariantCulture)));
                        _states[p] = p.Name;
                    }
                    else if (DslSymbols.Is(type, _symbols.ClassHead) && member is IMethodSymbol head)
                        headDeclarations.Add((head, attr));
                    else if (DslSymbols.Is(type, _symbols.Network) && member is IMethodSymbol m && args.Length == 2)
                    {
                        if (!EnumInRange<NetworkRole>(attr, 0) | !EnumInRange<NetworkOutput>(attr, 1))
                            continue;
                        DeclareNetwork(m, (NetworkRole)Convert.ToInt32(args[0].Value ?? 0, CultureInfo.InvariantCulture),
                            (NetworkOutput)Convert.ToInt32(args[1].Value ?? 0, CultureInfo.InvariantCulture), partialNetworks);
                    }
                }
            }
            foreach (var (method, attr) in headDeclarations) DeclareClassHead(method, attr, partialNetworks);
            _analysis = new Analysis(_networks);
            CheckGeneratedNames(stateMembers.Any(s => s.Timing == StateUpdateTiming.EndOfEpoch));

            // ----- the losses -----
            LossSpec? discriminator = null, generator = null;
            foreach (var (property, isDiscriminator) in lossMembers)
            {
                if ((isDiscriminator ? discriminator : generator) is not null)
                {
                    Report(DiagnosticDescriptors.DuplicateLossMember, LocationOf(property), property.Name, isDiscriminator ? "DiscriminatorLoss" : "GeneratorLoss");
                    continue;
                }
                var loss = ParseLoss(property, isDiscriminator);
                if (isDiscriminator) discriminator = loss;
                else generator = loss;
            }
            if (!lossMembers.Any(l => !l.IsDiscriminator)) Report(DiagnosticDescriptors.MissingGeneratorLoss, identifier, typeName);

            // ----- state updates -----
            var states = new List<StateSpec>();
            foreach (var (property, initial, timing) in stateMembers)
            {
                var body = ExpressionBody(property);
                if (body is null)
                {
                    Report(DiagnosticDescriptors.InvalidStateDeclaration, LocationOf(property), property.Name);
                    continue;
                }
                var update = LowerRoot(body, Scope.ForSource(Model(body.SyntaxTree)));
                if (update is null) continue;
                CheckGradients(update, timing switch { StateUpdateTiming.AfterCriticStep => StepKind.Critic, StateUpdateTiming.AfterGeneratorStep => StepKind.Generator, _ => StepKind.EndOfEpoch });
                var facts = _analysis.Of(update);
                if (facts.Shape != Shape.Scalar)
                {
                    Report(DiagnosticDescriptors.StateUpdateNotScalar, body.GetLocation(), property.Name, Describe(facts.Shape));
                    continue;
                }
                states.Add(new StateSpec(property.Name, initial, timing, SourceText(body), update));
            }

            // ----- monitors: scalar macro properties of the class, reported as terms after each critic step -----
            var monitors = new List<LossSpec>();
            foreach (var property in monitorCandidates)
            {
                var body = ExpressionBody(property);
                if (body is null) continue;
                _macroStack.Add(property);
                var value = LowerRoot(body, Scope.ForSource(Model(body.SyntaxTree)));
                _macroStack.RemoveAt(_macroStack.Count - 1);
                if (value is not null && _analysis.Of(value) is { Shape: Shape.Scalar, IsHost: false })
                {
                    // Monitors run after the critic step (after the generator step for a loss with no critic).
                    CheckGradients(value, lossMembers.Any(l => l.IsDiscriminator) ? StepKind.Critic : StepKind.Generator);
                    monitors.Add(new LossSpec(property.Name, SourceText(body), Analysis.Unwrap(value)));
                }
            }

            // ----- networks used, clipping -----
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (var e in new[] { discriminator?.Expression, generator?.Expression }.Concat(states.Select(s => s.Update)).Concat(monitors.Select(m => m.Expression)))
                if (e is not null) used.UnionWith(_analysis.Of(e).Networks);
            var networks = _networkOrder.Where(used.Contains)
                .Select(n => _networks[n] with { TakesLabels = _applications.TryGetValue(n, out var a) && a.WithLabels })
                .OrderBy(n => n.Role == NetworkRole.Generator ? 0 : 1).ToEquatableArray();
            var expressions = new[] { discriminator?.Expression, generator?.Expression }.Concat(states.Select(s => s.Update)).Concat(monitors.Select(m => m.Expression))
                .Where(e => e is not null).Select(e => e!).ToList();
            // Labels are read by y, yz, a label-taking network (which reads one of them) or a class head (judged against one).
            var usesLabels = expressions.SelectMany(Analysis.Subtree).Any(node => node is HeadNode { Index: >= 0 } or InputNode { Kind: InputKind.RealLabels or InputKind.NoiseLabels })
                || networks.Any(n => n.TakesLabels || n.Output == NetworkOutput.ClassLogits);
            var classHeads = _heads.Values.Where(h => used.Contains(h.Network)).OrderBy(h => h.Network, StringComparer.Ordinal).ThenBy(h => h.Index).ToEquatableArray();
            var clips = new List<ClipSpec>();
            foreach (var (net, min, max, where) in clipping)
            {
                if (_hasErrors) break;   // which networks are used is unknown when an expression failed
                if (!used.Contains(net))
                    Report(DiagnosticDescriptors.InvalidClipping, where, net, "names no network the loss uses: use one of " + string.Join(", ", networks.Select(n => n.Name)));
                else if (double.IsNaN(min) || double.IsNaN(max) || double.IsInfinity(min) || double.IsInfinity(max))
                    Report(DiagnosticDescriptors.InvalidClipping, where, net, "has a bound that is not a finite number (" + Format(min) + ", " + Format(max) + "): write finite bounds, e.g. [ClipWeights(\"" + net + "\", 0.01)]");
                else if (min > max)
                    Report(DiagnosticDescriptors.InvalidClipping, where, net, "has min " + Format(min) + " above max " + Format(max) + ": write [ClipWeights(\"" + net + "\", min, max)] with min <= max");
                else clips.Add(new ClipSpec(net, min, max));
            }

            var (optimizer, networkOptimizers) = _hasErrors ? (OptimizerSpec.Standard, EquatableArray<NetworkOptimizerSpec>.Empty)
                : ResolveOptimizers(optimizers, used, networks, identifier);

            var diagnostics = _diagnostics.ToImmutableArray();
            // Unescaped names ('@class' is "class"): the emitter escapes them again, hint names cannot hold '@'.
            var ns = _lossClass.ContainingNamespace is { IsGlobalNamespace: false } n
                ? string.Join(".", n.ToDisplayParts().Where(p => p.Kind == SymbolDisplayPartKind.NamespaceName).Select(p => p.Symbol?.Name ?? p.ToString()))
                : "";
            if (_hasErrors || generator is null)
            {
                // Still implement the declared networks, so the user sees our diagnostics and not CS8795 on top.
                var fallback = partialNetworks.Count > 0 && isPartial && _lossClass.ContainingType is null && !_lossClass.IsGenericType
                    ? new PartialNetworksSpec(ns, typeName, partialNetworks.ToEquatableArray()) : null;
                return new ParseResult(null, diagnostics, registration, fallback);
            }

            var spec = new LossClassSpec(ns, typeName, lossName, DocSummary(_lossClass) ?? "",
                discriminator, generator, hyperOrder.ToEquatableArray(), states.ToEquatableArray(), networks,
                partialNetworks.ToEquatableArray(), criticSteps, clips.ToEquatableArray(), optimizer, monitors.ToEquatableArray(), separateForwardPasses,
                _warnings.ToEquatableArray()) { ClassHeads = classHeads, UsesLabels = usesLabels, NetworkOptimizers = networkOptimizers };
            return new ParseResult(spec, diagnostics, registration);
        }

        private LossSpec? ParseLoss(IPropertySymbol property, bool isDiscriminator)
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
            if (expression is null) return null;

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

        private void AddNetwork(NetworkSpec spec)
        {
            if (!_networks.ContainsKey(spec.Name)) _networkOrder.Add(spec.Name);
            _networks[spec.Name] = spec;
        }

        private void DeclareNetwork(IMethodSymbol method, NetworkRole role, NetworkOutput output, List<PartialNetworkSpec> partials)
        {
            // E(Expr v), or E(Expr v, Expr label) for a network the loss applies with class labels.
            if (method.Parameters.Length is not (1 or 2) || method.Parameters.Any(p => !IsExpr(p.Type)) || !IsExpr(method.ReturnType) || !method.IsStatic || method.IsGenericMethod)
            {
                Report(DiagnosticDescriptors.InvalidNetworkDeclaration, LocationOf(method), method.Name);
                return;
            }
            AddNetwork(new NetworkSpec(method.Name, role, output));
            AddPartial(method, partials, headOf: null);
        }

        private void AddPartial(IMethodSymbol method, List<PartialNetworkSpec> partials, string? headOf)
        {
            if (!method.IsPartialDefinition || method.PartialImplementationPart is not null) return;
            var syntax = Read(method.DeclaringSyntaxReferences.FirstOrDefault()) as MethodDeclarationSyntax;
            var modifiers = syntax is null ? "private static partial" : string.Join(" ", syntax.Modifiers.Select(m => m.ValueText));
            partials.Add(new PartialNetworkSpec(method.Name, modifiers, method.Parameters[0].Name,
                method.Parameters.Length > 1 ? method.Parameters[1].Name : null, headOf));
        }

        /// <summary>
        /// <c>[ClassHead("D")] static partial Expr Q(Expr v)</c>: a class head of a score critic, the next of that critic's
        /// heads in declaration order (its module's output grows by K columns).
        /// </summary>
        private void DeclareClassHead(IMethodSymbol method, AttributeData attribute, List<PartialNetworkSpec> partials)
        {
            var network = attribute.ConstructorArguments.FirstOrDefault().Value as string ?? "";
            var where = AttributeArgumentLocation(attribute, 0) ?? LocationOf(method);
            string? problem = null;
            if (method.Parameters.Length != 1 || !IsExpr(method.Parameters[0].Type) || !IsExpr(method.ReturnType) || !method.IsStatic || method.IsGenericMethod)
                (problem, where) = ("must be declared 'private static partial Expr " + method.Name + "(Expr v);' (one batch, no labels)", LocationOf(method));
            else if (DslSymbols.Has(method, _symbols.Network))
                (problem, where) = ("is also declared a [Network]: a method is a network or a class head, not both; remove one attribute", LocationOf(method));
            else if (!_networks.TryGetValue(network, out var spec))
                problem = "names '" + network + "', which is no network of this loss: name a critic, e.g. [ClassHead(\"D\")]" +
                    (NearestNames(network, _networks.Keys).FirstOrDefault() is { } near ? " (did you mean '" + near + "'?)" : "");
            else if (spec.Role != NetworkRole.Critic || spec.Output != NetworkOutput.Score)
                problem = "names '" + network + "', a " + spec.Role.ToString().ToLowerInvariant() + " network with " + spec.Output + " output: a class head shares the forward pass of a critic with Score output (its module returns [B, 1 + H·K]); name one, e.g. [ClassHead(\"D\")]";
            if (problem is not null)
            {
                Report(DiagnosticDescriptors.InvalidClassHead, where, method.Name, problem);
                // A well-formed declaration still gets its other half, so no compiler error piles onto this one.
                if (method.Parameters.Length == 1 && !DslSymbols.Has(method, _symbols.Network)) AddPartial(method, partials, headOf: network);
                return;
            }
            var owner = _networks[network];
            _heads[method.Name] = new ClassHeadSpec(method.Name, network, owner.ClassHeads);
            _networks[network] = owner with { ClassHeads = owner.ClassHeads + 1 };
            AddPartial(method, partials, headOf: network);
        }

        // =====================================================================
        // Lowering: C# expression syntax -> IR
        // =====================================================================

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
                    return Lower(u.Operand, scope) is { } negated && RejectLabels(u, "'-'", new object?[] { u.Operand }, new[] { negated }, scope) ? Call(Op.Neg, negated) : null;
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
            if (Operations.Of(op.Value).OperandsAgree && !CheckOperands(b, b.OperatorToken.Text, new object?[] { b.Left, b.Right }, new[] { left, right }, scope)) return null;
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

        // =====================================================================
        // Checks on lowered sub-expressions
        // =====================================================================

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
                    "if the critic outputs a logit, write '" + logits + "' (its output read as the probability sigmoid(logit)); for a critic score, drop the Log");
            }
            else
            {
                fix = "bound it, e.g. 'Exp(Clamp(" + argText + ", -80, 80))', or write the stable word for the whole expression: LogSumExp(v) for Log(Sum(Exp(v))), Softplus(v) for Log(1 + Exp(v)), Expm1(v) for Exp(v) - 1";
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
            if (node is ApplyNode a) return _networks.TryGetValue(a.Network, out var n) && n.Role == NetworkRole.Critic && n.Output == NetworkOutput.Score && n.ClassHeads == 0;
            if (node is HeadNode h) return h.Index < 0;   // a critic's score column (class logits are bounded in no useful sense either, but Log of them is not the usual slip)
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

        // =====================================================================
        // Reporting
        // =====================================================================

        private void Report(DiagnosticDescriptor descriptor, Location location, params object[] args)
        {
            var message = string.Join("\u0001", args);
            if (!_reported.Add((descriptor.Id, location, message))) return;
            _diagnostics.Add(Diagnostic.Create(descriptor, location, args));
            if (descriptor.DefaultSeverity == DiagnosticSeverity.Error) _hasErrors = true;
        }

        private ExprNode? NotInVocabulary(ExpressionSyntax syntax, Scope scope)
        {
            Report(DiagnosticDescriptors.NotInVocabulary, LocationFor(syntax, scope), Normalize(syntax));
            return null;
        }

        private ExprNode? Unsupported(ExpressionSyntax syntax, Scope scope)
        {
            Report(DiagnosticDescriptors.UnsupportedSyntax, LocationFor(syntax, scope), Shorten(Normalize(syntax)));
            return null;
        }

        /// <summary>A name the compiler cannot bind already has a compiler error (CS0103): report nothing more, but emit nothing.</summary>
        private ExprNode? Unresolved(ExpressionSyntax syntax, Scope scope)
        {
            if (scope.Model is null) return NotInVocabulary(syntax, scope);
            _hasErrors = true;
            // The compiler reports CS0103; a name the DSL could mean (a network not yet declared) also gets a GAN diagnostic that says how.
            var target = syntax is InvocationExpressionSyntax inv ? inv.Expression : syntax;
            if (target is IdentifierNameSyntax id && scope.Model.GetSymbolInfo(id, _ct) is { Symbol: null, CandidateSymbols.Length: 0 })
                Report(DiagnosticDescriptors.UndeclaredName, id.GetLocation(), id.Identifier.ValueText, UndeclaredAdvice(id.Identifier.ValueText));
            return null;
        }

        private ExprNode? ShapeMismatch(InvocationExpressionSyntax call, string needs, object? argSyntax, ExprNode arg, Scope scope)
        {
            var facts = _analysis.Of(arg);
            var where = argSyntax as ExpressionSyntax ?? call;
            Report(DiagnosticDescriptors.ShapeMismatch, LocationFor(where, scope), Normalize(call.Expression) + "(...)", needs, Normalize(where),
                facts.IsHost ? "a constant" : Describe(facts.Shape));
            return null;
        }

        /// <summary>A real source location, or the call site when the syntax came from a [Macro] text.</summary>
        private static Location LocationFor(SyntaxNode syntax, Scope scope) => scope.Model is null ? scope.CallSite ?? Location.None : syntax.GetLocation();

        // =====================================================================
        // Small helpers
        // =====================================================================

        private static CallNode Call(Op op, params ExprNode[] args) => new(op, args);

        private SemanticModel Model(SyntaxTree tree)
        {
            if (!_models.TryGetValue(tree, out var model))
            {
                model = _compilation.GetSemanticModel(tree);
                _models[tree] = model;
                _treesRead.Add(tree);
            }
            return model;
        }

        /// <summary>The syntax a reference points at, noting its tree as one this parse depends on.</summary>
        private SyntaxNode? Read(SyntaxReference? reference)
        {
            if (reference is null) return null;
            _treesRead.Add(reference.SyntaxTree);
            return reference.GetSyntax(_ct);
        }

        /// <summary>Notes the trees declaring a resolved symbol (a constant's value, a macro's signature and body).</summary>
        private ISymbol? Noted(ISymbol? symbol)
        {
            if (symbol is null) return null;
            foreach (var reference in symbol.DeclaringSyntaxReferences) _treesRead.Add(reference.SyntaxTree);
            if (symbol is IMethodSymbol { PartialImplementationPart: { } impl })
                foreach (var reference in impl.DeclaringSyntaxReferences) _treesRead.Add(reference.SyntaxTree);
            return symbol;
        }

        /// <summary>The expression of an expression-bodied property or method (or a getter written <c>get => ...</c>), from source.</summary>
        private ExpressionSyntax? ExpressionBody(ISymbol symbol)
        {
            var reference = symbol is IMethodSymbol { PartialImplementationPart: { } impl } ? impl.DeclaringSyntaxReferences.FirstOrDefault() : symbol.DeclaringSyntaxReferences.FirstOrDefault();
            switch (Read(reference))
            {
                case PropertyDeclarationSyntax p:
                    return p.ExpressionBody?.Expression
                        ?? p.AccessorList?.Accessors.FirstOrDefault(a => a.IsKind(SyntaxKind.GetAccessorDeclaration))?.ExpressionBody?.Expression;
                case MethodDeclarationSyntax m:
                    return m.ExpressionBody?.Expression;
                default:
                    return null;
            }
        }

        private string? MacroText(ISymbol symbol)
        {
            foreach (var attr in symbol.GetAttributes())
                if (DslSymbols.Is(attr.AttributeClass, _symbols.Macro) && attr.ConstructorArguments.Length == 1 && attr.ConstructorArguments[0].Value is string text)
                    return text;
            return null;
        }

        /// <summary>An Expr-typed (or Loss-typed) property or method that is not part of the vocabulary: inlined if it has a body or [Macro].</summary>
        private bool IsMacroCandidate(ISymbol symbol, ITypeSymbol type) =>
            !_symbols.IsVocabulary(symbol.ContainingType) && (IsExpr(type) || DslSymbols.Is(type, _symbols.Loss));

        private bool IsExpr(ITypeSymbol? type) => _symbols.IsExpr(type);

        private static string? SimpleName(ExpressionSyntax syntax) => syntax switch
        {
            IdentifierNameSyntax id => id.Identifier.ValueText,
            MemberAccessExpressionSyntax ma => ma.Name.Identifier.ValueText,
            _ => null,
        };

        private static bool IsNumeric(object value) => value is double or float or int or long or short or byte or decimal or uint or ulong or sbyte or ushort;

        private static double ToDouble(object? value) => value is null ? 0 : Convert.ToDouble(value, CultureInfo.InvariantCulture);

        private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

        private static Location LocationOf(ISymbol symbol) => symbol.Locations.FirstOrDefault(l => l.IsInSource) ?? Location.None;

        private Location? AttributeLocation(AttributeData? attribute) => Read(attribute?.ApplicationSyntaxReference)?.GetLocation();

        private Location? AttributeArgumentLocation(AttributeData? attribute, int index) =>
            Read(attribute?.ApplicationSyntaxReference) is AttributeSyntax { ArgumentList: { } list } && index < list.Arguments.Count
                ? list.Arguments[index].GetLocation()
                : AttributeLocation(attribute);

        /// <summary>Source text with whitespace normalised: what comments, LossInfo and term names show.</summary>
        private static string Normalize(SyntaxNode syntax) => syntax.NormalizeWhitespace(indentation: "", eol: " ").ToString();

        private static string SourceText(ExpressionSyntax syntax) => Normalize(syntax);

        private static string Shorten(string text) => text.Length <= 80 ? text : text.Substring(0, 77) + "...";

        private static string Describe(Shape shape) => shape switch
        {
            Shape.PerSample => "per-sample (one value per sample)",
            Shape.Features => "per-sample features",
            Shape.Samples => "a batch of samples",
            Shape.Labels => "class labels",
            Shape.ClassLogits => "class logits (K per sample)",
            _ => "a scalar",
        };

        /// <summary>The summary of a doc comment as one line of plain text (tags dropped, their text kept).</summary>
        private string? DocSummary(ISymbol symbol)
        {
            var syntax = Read(symbol.DeclaringSyntaxReferences.FirstOrDefault());
            if (syntax is VariableDeclaratorSyntax { Parent.Parent: { } field }) syntax = field;
            if (syntax is null) return null;
            var text = new StringBuilder();
            foreach (var trivia in syntax.GetLeadingTrivia())
            {
                if (trivia.IsKind(SyntaxKind.SingleLineDocumentationCommentTrivia) || trivia.IsKind(SyntaxKind.SingleLineCommentTrivia))
                    text.Append(trivia.ToFullString()).Append('\n');
            }
            var raw = Regex.Replace(text.ToString(), @"^\s*///?", "", RegexOptions.Multiline);
            var match = Regex.Match(raw, "<summary>(.*?)</summary>", RegexOptions.Singleline);
            if (!match.Success) return null;
            var body = Regex.Replace(match.Groups[1].Value, "<see\\s+cref=\"(?:[A-Z]:)?([^\"]*)\"\\s*/>", "$1");
            body = Regex.Replace(body, "<[^>]+>", "");
            body = Regex.Replace(body, @"\s+", " ").Trim();
            return body.Length == 0 ? null : System.Net.WebUtility.HtmlDecode(body);
        }
    }
}
