// Measures the GanDsl generator on a compilation of 50 losses (the three sample losses of src/Losses,
// renamed and varied): a full run with a fresh driver, and the incremental cycle an IDE performs after
// editing one loss's expression (a driver holding the previous run's state).
using System.Diagnostics;
using GanDsl.Testing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

const int Losses = 50;
const int Repetitions = 30;

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
            foreach (var node in tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.ArrowExpressionClauseSyntax>())
                foreach (var n in node.DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionSyntax>())
                    _ = model.GetSymbolInfo(n);
        }
        Console.WriteLine($"binding every expression of 50 losses in a fresh compilation: {sw0.Elapsed.TotalMilliseconds:F1} ms");
    }
}

var full = new List<double>();
var edit = new List<double>();
for (var i = 0; i < Repetitions + 3; i++)
{
    // Fresh compilations so nothing (semantic models, bound trees) is reused from a previous repetition.
    var a = compilation.Clone();
    var b = a.ReplaceSyntaxTree(a.SyntaxTrees[0], a.SyntaxTrees[0].WithChangedText(SourceText.From(editedText)));

    var sw = Stopwatch.StartNew();
    var driver = GeneratorTestDriver.CreateDriver().RunGenerators(a);
    sw.Stop();
    var fullMs = sw.Elapsed.TotalMilliseconds;

    // The compilation's own declaration tables are built by the compiler for any consumer (the IDE has them
    // already after an edit); build them first so the timing below is the generator's work.
    _ = b.GetTypeByMetadataName("GanDsl.Vocabulary");
    _ = b.Assembly.GlobalNamespace.GetMembers();

    sw.Restart();
    driver = driver.RunGenerators(b);
    sw.Stop();
    if (i == Repetitions + 2)
    {
        foreach (var (step, runs) in driver.GetRunResult().Results[0].TrackedSteps)
            Console.WriteLine($"  step {step,-18} {runs.Sum(r => r.ElapsedTime.TotalMilliseconds),7:F1} ms over {runs.Length} items");
    }
    if (i >= 3) { full.Add(fullMs); edit.Add(sw.Elapsed.TotalMilliseconds); }   // first runs warm up the JIT
}

Console.WriteLine($"GanDsl generator, {Losses} losses, {Repetitions} repetitions (after 3 warm-up runs), {Environment.ProcessorCount} cores");
Console.WriteLine($"full run (fresh driver):       median {Median(full):F1} ms, min {full.Min():F1} ms");
Console.WriteLine($"edit one loss and regenerate:  median {Median(edit):F1} ms, min {edit.Min():F1} ms");
return;

static double Median(List<double> values)
{
    var sorted = values.OrderBy(v => v).ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

static string FindRepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "GanDsl.sln"))) return dir.FullName;
    throw new DirectoryNotFoundException("Run from inside the GanDsl repository.");
}
