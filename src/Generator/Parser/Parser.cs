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
    /// Syntax and semantic model to IR and diagnostics: the only code that sees Roslyn symbols, syntax or locations.
    /// Split by phase, like System.Text.Json's and Regex's generators: (a) <c>Parser.Declarations.cs</c> reads the class,
    /// its attributes and members into a <see cref="DeclaredClass"/>; (b) <c>Parser.Lowering.cs</c> lowers C# expressions
    /// to the IR (<see cref="ExprNode"/>), inlining macros and resolving vocabulary words, into a <see cref="LoweredClass"/>;
    /// (c) <c>Parser.Checks.cs</c> holds the diagnostics on the lowered IR, called on each sub-expression as it is lowered
    /// so a diagnostic points at the smallest offending piece of source. DSL types are known as symbols (<see cref="DslSymbols"/>).
    /// </summary>
    internal sealed partial class Parser
    {
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
        private Analysis _analysis = null!;
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
                var diagnostic = Diagnostic.Create(DiagnosticDescriptors.ExpressionTooDeep, classSyntax.Identifier.GetLocation(),
                    MaxDepth.ToString(CultureInfo.InvariantCulture));
                return new ParseResult(null, ImmutableArray.Create(diagnostic), null);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                var diagnostic = Diagnostic.Create(DiagnosticDescriptors.InternalError, classSyntax.Identifier.GetLocation(),
                    "parsing '" + classSyntax.Identifier.ValueText + "'", ex.GetType().Name + ": " + ex.Message);
                return new ParseResult(null, ImmutableArray.Create(diagnostic), null);
            }
        }

        /// <summary>
        /// One class, by phase: (a) read its declarations (<see cref="ReadDeclarations"/>), (b) lower its expressions to the
        /// IR (<see cref="LowerBodies"/>), where (c) the checks run on each lowered sub-expression and root, then the checks
        /// on the whole loss and the spec (<see cref="Assemble"/>).
        /// </summary>
        private ParseResult ParseClass(TypeDeclarationSyntax classSyntax, ImmutableArray<AttributeData> attributes)
        {
            var declared = ReadDeclarations(classSyntax, attributes);
            var lowered = LowerBodies(declared);
            return Assemble(declared, lowered);
        }

        /// <summary>The networks the lowered expressions use, the checks that need them (clipping, optimizers), and the spec.</summary>
        private ParseResult Assemble(DeclaredClass declared, LoweredClass lowered)
        {
            var expressions = lowered.Expressions.ToList();
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (var e in expressions) used.UnionWith(_analysis.Of(e).Networks);
            var networks = _networkOrder.Where(used.Contains)
                .Select(n => _networks[n] with { TakesLabels = _applications.TryGetValue(n, out var a) && a.WithLabels })
                .OrderBy(n => n.Role == NetworkRole.Generator ? 0 : 1).ToEquatableArray();
            // Labels are read by y, yz, a label-taking network (which reads one of them) or a class head (judged against one).
            var usesLabels = expressions.SelectMany(Analysis.Subtree)
                .Any(node => node is HeadNode { Index: >= 0 } or InputNode { Kind: InputKind.RealLabels or InputKind.NoiseLabels })
                || networks.Any(n => n.TakesLabels || n.Output == NetworkOutput.ClassLogits);
            var classHeads = _heads.Values.Where(h => used.Contains(h.Network)).OrderBy(h => h.Network, StringComparer.Ordinal).ThenBy(h => h.Index)
                .ToEquatableArray();
            var clips = CheckClipping(declared.Clipping, used, networks);
            var (optimizer, networkOptimizers) = _hasErrors ? (OptimizerSpec.Standard, EquatableArray<NetworkOptimizerSpec>.Empty)
                : ResolveOptimizers(declared.Optimizers, used, networks, declared.Identifier);

            var diagnostics = _diagnostics.ToImmutableArray();
            // Unescaped names ('@class' is "class"): the emitter escapes them again, hint names cannot hold '@'.
            var ns = _lossClass.ContainingNamespace is { IsGlobalNamespace: false } n
                ? string.Join(".", n.ToDisplayParts().Where(p => p.Kind == SymbolDisplayPartKind.NamespaceName).Select(p => p.Symbol?.Name ?? p.ToString()))
                : "";
            if (_hasErrors || lowered.Generator is null)
            {
                // Still implement the declared networks, so the user sees our diagnostics and not CS8795 on top.
                var fallback = declared.PartialNetworks.Count > 0 && declared.IsPartial && _lossClass.ContainingType is null && !_lossClass.IsGenericType
                    ? new PartialNetworksSpec(ns, declared.TypeName, declared.PartialNetworks.ToEquatableArray()) : null;
                return new ParseResult(null, diagnostics, declared.Registration, fallback);
            }

            var spec = new LossClassSpec(ns, declared.TypeName, declared.LossName, DocSummary(_lossClass) ?? "",
                lowered.Discriminator, lowered.Generator, declared.Hypers.ToEquatableArray(), lowered.States.ToEquatableArray(), networks,
                declared.PartialNetworks.ToEquatableArray(), declared.CriticSteps, clips.ToEquatableArray(), optimizer, lowered.Monitors.ToEquatableArray(),
                declared.SeparateForwardPasses, _warnings.ToEquatableArray())
            { ClassHeads = classHeads, UsesLabels = usesLabels, NetworkOptimizers = networkOptimizers };
            return new ParseResult(spec, diagnostics, declared.Registration);
        }

        // ----- reporting -----

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

        /// <summary>A real source location, or the call site when the syntax came from a [Macro] text.</summary>
        private static Location LocationFor(SyntaxNode syntax, Scope scope) => scope.Model is null ? scope.CallSite ?? Location.None : syntax.GetLocation();

        // Small helpers

        // ----- small helpers -----

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
            var reference = symbol is IMethodSymbol { PartialImplementationPart: { } impl } ? impl.DeclaringSyntaxReferences.FirstOrDefault()
                : symbol.DeclaringSyntaxReferences.FirstOrDefault();
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
