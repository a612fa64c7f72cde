using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using GanDsl.Generator.Diagnostics;
using GanDsl.Generator.Ir;
using GanDsl.Generator.Passes;
using Microsoft.CodeAnalysis;

namespace GanDsl.Generator;

/// <summary>
/// Turns each <c>[GanLoss]</c> class into an <c>IGanLoss</c> implementation.
/// </summary>
/// <remarks>
/// Pipeline shape, and why:
/// <list type="number">
/// <item><c>ForAttributeWithMetadataName</c> finds the classes; its transform (the Parser) is the only
/// code that sees symbols and syntax. It returns the spec plus raw diagnostics. Roslyn re-runs it for
/// every class on any edit, so it goes through a memo that reuses the result of a class the edit cannot
/// affect (<see cref="ParseMemo"/>).</item>
/// <item>Diagnostics get their own outputs (they hold locations, so they never cache; that is by design).
/// Loss names are collected across classes for the duplicate-name check only.</item>
/// <item>The spec is projected out (the cache boundary: plain equatable data), optimised in its own
/// tracked step, and emitted. A spec equal to last run's stops there: editing one loss regenerates one file.</item>
/// </list>
/// </remarks>
[Generator(LanguageNames.CSharp)]
public sealed partial class GanLossGenerator : IIncrementalGenerator
{
    /// <summary>Metadata names of the attributes the generator reads.</summary>
    internal static class Names
    {
        public const string GanLoss = "GanDsl.GanLossAttribute";
    }

    /// <summary>Tracking names of the pipeline's steps (tests assert their run reasons).</summary>
    public static class Steps
    {
        /// <summary>The parser's output: spec and raw diagnostics (holds locations). <c>Unchanged</c> for a class the memo reused.</summary>
        public const string Parsed = "GanDsl.Parsed";
        /// <summary>The equatable spec (the cache boundary).</summary>
        public const string Spec = "GanDsl.Spec";
        /// <summary>The optimised spec the emitter reads.</summary>
        public const string Optimized = "GanDsl.Optimized";
        /// <summary>Every loss's name and location, for the duplicate-name check.</summary>
        public const string Names = "GanDsl.Names";
    }

    /// <summary>Parse results kept across runs of this instance (see <see cref="ParseMemo"/>); tests read its counters.</summary>
    internal ParseMemo Memo { get; } = new();

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // Not static: the transform reads this instance's memo, so an edit re-parses only the classes it can affect.
        var memo = Memo;
        var parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(Names.GanLoss,
                // Records too: [GanLoss] on a record gets a diagnostic instead of being ignored.
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax
                    or Microsoft.CodeAnalysis.CSharp.Syntax.RecordDeclarationSyntax,
                (ctx, ct) => memo.Parse(ctx, ct))
            .WithTrackingName(Steps.Parsed);

        context.RegisterSourceOutput(parsed.Select(static (p, _) => p.Diagnostics), static (spc, diagnostics) =>
        {
            foreach (var diagnostic in diagnostics) spc.ReportDiagnostic(diagnostic);
        });

        var names = parsed
            .Select(static (p, _) => p.Registration)
            .Where(static r => r is not null)
            .Collect()
            .WithTrackingName(Steps.Names);
        context.RegisterSourceOutput(names, static (spc, registrations) => ReportDuplicateNames(spc, registrations!));

        var optimized = parsed
            .Select(static (p, _) => p.Spec)
            .WithTrackingName(Steps.Spec)
            .Where(static s => s is not null)
            .Select(static (s, ct) => OptimizeSafely(s!, ct))
            .WithTrackingName(Steps.Optimized);
        context.RegisterSourceOutput(optimized, static (spc, result) => Emitter.Emit(spc, result));

        var fallbacks = parsed
            .Select(static (p, _) => p.Fallback)
            .Where(static f => f is not null);
        context.RegisterSourceOutput(fallbacks, static (spc, f) => Emitter.EmitPartialNetworks(spc, f!));
    }

    /// <summary>Runs the optimiser; a failure keeps the unoptimised spec (still correct) and is reported by the emitter.</summary>
    private static OptimizedSpec OptimizeSafely(LossClassSpec spec, System.Threading.CancellationToken ct)
    {
        spec = WithFormula(spec);
        try
        {
            return new OptimizedSpec(Optimizer.Run(spec, ct), null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new OptimizedSpec(spec, "optimising '" + spec.FullTypeName + "' (" + ex.GetType().Name + ": " + ex.Message + ")");
        }
    }

    /// <summary>The spec with its formula, rendered from the IR as parsed (before the optimiser fuses it); without one if rendering fails, so the loss still
    /// compiles.</summary>
    private static LossClassSpec WithFormula(LossClassSpec spec)
    {
        try
        {
            return spec with { Formula = FormulaRenderer.Render(spec) };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return spec;
        }
    }

    private static void ReportDuplicateNames(SourceProductionContext spc, ImmutableArray<Registration> registrations)
    {
        foreach (var group in registrations.GroupBy(r => r.LossName, StringComparer.Ordinal))
        {
            var ordered = group.OrderBy(r => r.TypeName, StringComparer.Ordinal).ToList();
            for (var i = 1; i < ordered.Count; i++)
                spc.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.DuplicateLossName, ordered[i].NameLocation, ordered[i].LossName,
                    ordered[0].TypeName));
        }
    }

    /// <summary>What the parser returns: the spec (null when the class has errors), its diagnostics and its registration.</summary>
    internal sealed class ParseResult(LossClassSpec? spec, ImmutableArray<Diagnostic> diagnostics, Registration? registration,
        PartialNetworksSpec? fallback = null)
    {
        /// <summary>When the spec failed: the declared networks to implement anyway.</summary>
        public PartialNetworksSpec? Fallback { get; } = fallback;

        public LossClassSpec? Spec { get; } = spec;
        public ImmutableArray<Diagnostic> Diagnostics { get; } = diagnostics;
        public Registration? Registration { get; } = registration;
    }

    /// <summary>A loss's name and where it is written, for the duplicate-name diagnostic (diagnostics path only).</summary>
    internal sealed record Registration(string LossName, string TypeName, Location NameLocation);

    /// <summary>The optimiser's output: the spec to emit and, if the optimiser failed, what to report.</summary>
    internal sealed record OptimizedSpec(LossClassSpec Spec, string? Failure);
}
