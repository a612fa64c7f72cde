using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Xml.Linq;
using GanDsl.Generator;
using GanDsl.Testing;
using Microsoft.CodeAnalysis;

namespace GanDsl.Generator.Tests;

/// <summary>The one harness every generator test uses.</summary>
internal static class TestSupport
{
    /// <summary>What a loss file written inline in a test starts with.</summary>
    public const string Prelude = "using GanDsl;\nusing static GanDsl.Vocabulary;\nusing static GanDsl.Penalties;\n\nnamespace Samples;\n\n";

    public static string RepoRoot { get; } = FindRepoRoot();

    private static string FindRepoRoot([CallerFilePath] string file = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", ".."));

    /// <summary>Runs the generator on sources, checks the output compiles and that a rerun on an unchanged compilation is fully cached.</summary>
    public static GeneratorRun RunAndCheck(params string[] sources)
    {
        var run = GeneratorTestDriver.Run(sources);
        Assert.Null(run.Exception);
        run.AssertCompiles();
        AssertRerunIsCached(run);
        return run;
    }

    /// <summary>Reruns on a clone of the compilation: every step from the spec on must be Cached or Unchanged, and carry no Roslyn objects.</summary>
    public static void AssertRerunIsCached(GeneratorRun run)
    {
        var again = run.RunAgain(run.InputCompilation.Clone());
        foreach (var step in new[] { GanLossGenerator.Steps.Spec, GanLossGenerator.Steps.Optimized })
        {
            if (!again.Result.Results[0].TrackedSteps.TryGetValue(step, out var runs))
            {
                // A run that emitted a file went through these steps; if they are not tracked (a renamed step,
                // tracking off), the check below would pass without looking at anything.
                Assert.True(again.Files.Count == 0, $"step '{step}' is not tracked, though the run generated {again.Files.Count} file(s)");
                continue;
            }
            foreach (var output in runs.SelectMany(r => r.Outputs))
                Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step} re-ran: {output.Reason}");
        }
        AssertNoRoslynObjects(again);
    }

    /// <summary>Walks every output of the steps from the spec on: no symbol, syntax node, compilation, location or semantic model may be held.</summary>
    public static void AssertNoRoslynObjects(GeneratorRun run)
    {
        foreach (var step in new[] { GanLossGenerator.Steps.Spec, GanLossGenerator.Steps.Optimized })
        {
            if (!run.Result.Results[0].TrackedSteps.TryGetValue(step, out var runs))
            {
                Assert.True(run.Files.Count == 0, $"step '{step}' is not tracked, though the run generated {run.Files.Count} file(s)");
                continue;
            }
            foreach (var output in runs.SelectMany(r => r.Outputs))
                Walk(output.Value, new HashSet<object>(ReferenceEqualityComparer.Instance), step);
        }
    }

    private static void Walk(object? value, HashSet<object> seen, string path)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value is Enum || value is decimal) return;
        if (!value.GetType().IsValueType && !seen.Add(value)) return;
        Assert.False(value is ISymbol or SyntaxNode or SyntaxTree or Compilation or SemanticModel or Location or Diagnostic,
            $"{path} holds a Roslyn object of type {value.GetType().Name}");
        if (value is IEnumerable items)
        {
            var i = 0;
            foreach (var item in items) Walk(item, seen, $"{path}[{i++}]");
        }
        for (var type = value.GetType(); type is not null && type != typeof(object); type = type.BaseType)
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                Walk(field.GetValue(value), seen, $"{path}.{field.Name}");
    }

    /// <summary>Every .cs file of src/Losses, plus the project's global usings (read from its csproj), as compilation sources.</summary>
    public static IReadOnlyList<(string Path, string Text)> LossProjectSources()
    {
        var folder = Path.Combine(RepoRoot, "src", "Losses");
        var sources = Directory.GetFiles(folder, "*.cs").OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => (Path.GetFileName(f), File.ReadAllText(f))).ToList();
        var csproj = XDocument.Load(Path.Combine(folder, "GanDsl.Losses.csproj"));
        var usings = csproj.Descendants("Using")
            .Select(u => "global using " + ((string?)u.Attribute("Static") == "true" ? "static " : "") + (string)u.Attribute("Include")! + ";");
        sources.Add(("GlobalUsings.g.cs", "global using System;\nglobal using System.Collections.Generic;\nglobal using System.Linq;\n" + string.Join("\n", usings) + "\n"));
        return sources;
    }

    /// <summary>(id, message, text of the span) of each generator diagnostic, in source order.</summary>
    public static List<(string Id, string Message, string Span)> Describe(GeneratorRun run) =>
        run.Diagnostics.Select(d => (d.Id, d.GetMessage(CultureInfo.InvariantCulture),
            d.Location.SourceTree is { } tree ? tree.GetText().ToString(d.Location.SourceSpan) : "")).ToList();
}
