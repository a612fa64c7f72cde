// Measures the GanDsl generator on a compilation of 50 losses (the three sample losses of src/Losses,
// renamed and varied): a full run with a fresh driver, and the incremental cycle an IDE performs after
// editing one loss's expression (a driver holding the previous run's state).
//
//   dotnet run -c Release --project benchmarks/GeneratorBench              GanDsl generator, step tracking on and off
//   dotnet run -c Release --project benchmarks/GeneratorBench -- --profile  also probe generators that isolate the
//                                                                           driver's and ForAttributeWithMetadataName's own cost
using System.Diagnostics;
using GanDsl.Generator;
using GanDsl.Testing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

const int Losses = 50;
const int Repetitions = 30;
const int WarmUp = 10;

var root = FindRepoRoot();
var templates = new[] { "NonSaturating", "WganGp", "Began" }
    .Select(n => (Name: n, Text: File.ReadAllText(Path.Combine(root, "src", "Losses", n + ".cs"))))
    .ToArray();

var sources = new List<(string Path, string Text)>();
for (var i = 0; i < Losses; i++)
{
    var (name, text) = templates[i % templates.Length];
    var renamed = text.Replace("partial class " + name, "partial class " + name + i)
        .Replace("[GanLoss(\"", "[GanLoss(\"bench" + i + "-");
    sources.Add(($"Loss{i}.cs", renamed));
}
var compilation = GeneratorTestDriver.CreateCompilation(sources);

// The edit: loss 0's generator expression changes (a different, still valid objective).
var editedTree = compilation.SyntaxTrees[0];
var editedText = editedTree.GetText().ToString().Replace("-Mean(Log(Sigmoid(D(G(z)))))", "Mean(Log(1 - Sigmoid(D(G(z)))))");
if (editedText == editedTree.GetText().ToString()) throw new InvalidOperationException("The edit did not apply; update the benchmark to the sample loss.");
var edited = compilation.ReplaceSyntaxTree(editedTree, editedTree.WithChangedText(SourceText.From(editedText)));

// Sanity: 50 files, no diagnostics, and the edit regenerates exactly one file.
var check = GeneratorTestDriver.Run(compilation);
if (check.Files.Count != Losses || check.Diagnostics.Length > 0 || check.CompilationErrors.Length > 0)
    throw new InvalidOperationException($"Expected {Losses} clean files, got {check.Files.Count} files, {check.Diagnostics.Length} diagnostics, {check.CompilationErrors.Length} errors.");
var afterEdit = check.RunAgain(edited);
var changed = afterEdit.Files.Count(f => check.Files[f.Key] != f.Value);
if (changed != 1) throw new InvalidOperationException($"The edit changed {changed} files, not 1.");
// The parse memo: the edit re-parses loss 0 only.
{
    var generator = new GanLossGenerator();
    var memoDriver = CSharpGeneratorDriver.Create(generator).RunGenerators(compilation);
    var (parses, hits) = (generator.Memo.Parses, generator.Memo.Hits);
    memoDriver.RunGenerators(edited);
    Console.WriteLine($"parse memo: first run {parses} parses, {hits} reused; after the edit {generator.Memo.Parses - parses} parses, {generator.Memo.Hits - hits} reused");
    if (generator.Memo.Parses - parses != 1 || generator.Memo.Hits - hits != Losses - 1)
        throw new InvalidOperationException("The edit should re-parse one loss and reuse the others.");
}

if (args.Contains("--binding"))
{
    // How much of the parse is the compiler binding names (GetSymbolInfo) in a fresh compilation?
    for (var r = 0; r < 5; r++)
    {
        var c2 = compilation.Clone();
        _ = c2.GetTypeByMetadataName("GanDsl.Vocabulary");
        var sw0 = Stopwatch.StartNew();
        foreach (var tree in c2.SyntaxTrees)
        {
            var model = c2.GetSemanticModel(tree);
            foreach (var node in tree.GetRoot().DescendantNodes().OfType<ArrowExpressionClauseSyntax>())
                foreach (var n in node.DescendantNodes().OfType<ExpressionSyntax>())
                    _ = model.GetSymbolInfo(n);
        }
        Console.WriteLine($"binding every expression of 50 losses in a fresh compilation: {sw0.Elapsed.TotalMilliseconds:F1} ms");
    }
}

Console.WriteLine($"GanDsl generator, {Losses} losses, {Repetitions} repetitions (after {WarmUp} warm-up runs each), {Environment.ProcessorCount} cores, load {LoadAverage()}");
Console.WriteLine($"{"",-44} {"full run (fresh driver)",-26} edit one loss, regenerate");
// An untimed pass first: the JIT's tiering would otherwise inflate whichever configuration runs first.
Measure("warm-up", () => new GanLossGenerator(), tracking: true, print: false);
Measure("GanDsl generator, step tracking on", () => new GanLossGenerator(), tracking: true, printSteps: true);
Measure("GanDsl generator, step tracking off (IDE)", () => new GanLossGenerator(), tracking: false);
if (args.Contains("--profile"))
{
    // Probes: the same FAWMN key and predicate with a trivial transform, so what they cost is the driver's
    // and FAWMN's own work (finding the attributed classes, binding the [GanLoss] attribute, the class symbol).
    Measure("probe: FAWMN, transform returns a constant", () => new FawmnProbe(ProbeTransform.Constant), tracking: false);
    Measure("probe: FAWMN, transform reads the symbol", () => new FawmnProbe(ProbeTransform.SymbolName), tracking: false);
    Measure("probe: FAWMN + GetSymbolInfo of every expr", () => new FawmnProbe(ProbeTransform.BindExpressions), tracking: false);
    var signatures = new List<double>();
    for (var r = 0; r < Repetitions + WarmUp; r++)
    {
        var trees = compilation.Clone().SyntaxTrees.Select(t => t.WithChangedText(SourceText.From(t.GetText().ToString()))).ToList();
        foreach (var t in trees) _ = t.GetRoot();
        var sw0 = Stopwatch.StartNew();
        foreach (var t in trees) _ = GanLossGenerator.DeclarationSignature.Of(t);
        if (r >= WarmUp) signatures.Add(sw0.Elapsed.TotalMilliseconds);
    }
    Console.WriteLine($"declaration signatures of the 50 files (the memo's per-tree cost in a full run): median {Median(signatures):F2} ms, min {signatures.Min():F2} ms");
}
Console.WriteLine($"load after: {LoadAverage()}");
return;

void Measure(string label, Func<IIncrementalGenerator> makeGenerator, bool tracking, bool printSteps = false, bool print = true)
{
    var full = new List<double>();
    var edit = new List<double>();
    var editCollections = 0;
    for (var i = 0; i < Repetitions + WarmUp; i++)
    {
        // Fresh compilations so nothing (semantic models, bound trees) is reused from a previous repetition.
        var a = compilation.Clone();
        var b = a.ReplaceSyntaxTree(a.SyntaxTrees[0], a.SyntaxTrees[0].WithChangedText(SourceText.From(editedText)));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { makeGenerator().AsSourceGenerator() },
            parseOptions: GeneratorTestDriver.ParseOptions(),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: tracking));

        var sw = Stopwatch.StartNew();
        driver = driver.RunGenerators(a);
        sw.Stop();
        var fullMs = sw.Elapsed.TotalMilliseconds;

        // The compilation's own declaration tables are built by the compiler for any consumer (the IDE has them
        // already after an edit); build them first so the timing below is the generator's work.
        _ = b.GetTypeByMetadataName("GanDsl.Vocabulary");
        _ = b.Assembly.GlobalNamespace.GetMembers();

        var collections = GC.CollectionCount(0);
        sw.Restart();
        driver = driver.RunGenerators(b);
        sw.Stop();
        if (i >= WarmUp) editCollections += GC.CollectionCount(0) - collections;
        if (printSteps && i == Repetitions + WarmUp - 1)
        {
            foreach (var (step, runs) in driver.GetRunResult().Results[0].TrackedSteps.OrderBy(s => s.Key, StringComparer.Ordinal))
                Console.WriteLine($"    step {step,-58} {runs.Sum(r => r.ElapsedTime.TotalMilliseconds),7:F2} ms over {runs.Length} items");
        }
        if (i >= WarmUp) { full.Add(fullMs); edit.Add(sw.Elapsed.TotalMilliseconds); }   // first runs warm up the JIT
    }
    if (print) Console.WriteLine($"{label,-44} median {Median(full),6:F1} min {full.Min(),6:F1} ms   median {Median(edit),6:F1} min {edit.Min(),6:F1} ms   ({editCollections} GCs in {Repetitions} edits)");
}

static double Median(List<double> values)
{
    var sorted = values.OrderBy(v => v).ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

static string FindRepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "GanDsl.sln"))) return dir.FullName;
    throw new DirectoryNotFoundException("Run from inside the GanDsl repository.");
}

enum ProbeTransform { Constant, SymbolName, BindExpressions }

/// <summary>A generator keyed like GanDsl's, with a trivial transform: measures what the pipeline costs without the parser.</summary>
sealed class FawmnProbe(ProbeTransform transform) : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var mode = transform;
        var found = context.SyntaxProvider.ForAttributeWithMetadataName("GanDsl.GanLossAttribute",
            static (node, _) => node is ClassDeclarationSyntax,
            (ctx, ct) => mode switch
            {
                ProbeTransform.Constant => "",
                ProbeTransform.SymbolName => ctx.TargetSymbol.Name,
                _ => Bind(ctx, ct),
            });
        context.RegisterSourceOutput(found.Collect(), static (_, _) => { });
    }

    private static string Bind(GeneratorAttributeSyntaxContext ctx, CancellationToken ct)
    {
        foreach (var arrow in ctx.TargetNode.DescendantNodes().OfType<ArrowExpressionClauseSyntax>())
            foreach (var e in arrow.DescendantNodes().OfType<ExpressionSyntax>())
                _ = ctx.SemanticModel.GetSymbolInfo(e, ct);
        return ctx.TargetSymbol.Name;
    }
}
