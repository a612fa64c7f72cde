using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using GanDsl.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GanDsl.Testing;

/// <summary>
/// Runs GanDsl's source generator on C# source strings, the way the compiler does, and returns
/// what it produced: generated files by hint name, the generator's diagnostics and the output
/// compilation (to check that the generated code compiles).
/// </summary>
/// <remarks>
/// References are every assembly the running test process can load (its trusted platform
/// assemblies), so a test project that references GanDsl.Dsl and GanDsl.Runtime compiles losses
/// against exactly those. Step tracking is on, for incremental-caching tests.
/// </remarks>
public static class GeneratorTestDriver
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(LoadReferences);

    /// <summary>The metadata references every compilation gets.</summary>
    public static ImmutableArray<MetadataReference> References => s_references.Value;

    /// <summary>Parse options used for sources: latest C# unless told otherwise.</summary>
    public static CSharpParseOptions ParseOptions(LanguageVersion version = LanguageVersion.Latest) =>
        new(version, DocumentationMode.Parse);

    /// <summary>A compilation (a class library) of <paramref name="sources"/>, named <c>Source0.cs</c>, <c>Source1.cs</c>, ...</summary>
    public static CSharpCompilation CreateCompilation(IEnumerable<string> sources, LanguageVersion version = LanguageVersion.Latest,
        string assemblyName = "Tests") =>
        CreateCompilation(sources.Select((s, i) => ($"Source{i}.cs", s)), version, assemblyName);

    /// <summary>A compilation (a class library) of named sources.</summary>
    public static CSharpCompilation CreateCompilation(IEnumerable<(string Path, string Text)> sources, LanguageVersion version = LanguageVersion.Latest,
        string assemblyName = "Tests")
    {
        var options = ParseOptions(version);
        var trees = sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, options, s.Path));
        return CSharpCompilation.Create(assemblyName, trees, References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
    }

    /// <summary>A driver holding GanDsl's generator, tracking incremental steps.</summary>
    public static GeneratorDriver CreateDriver(CSharpParseOptions? parseOptions = null) =>
        CSharpGeneratorDriver.Create(
            new[] { new GanLossGenerator().AsSourceGenerator() },
            parseOptions: parseOptions ?? ParseOptions(),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator on source strings.</summary>
    public static GeneratorRun Run(params string[] sources) => Run(CreateCompilation(sources));

    /// <summary>
    /// Runs the generator on source files, named by their file names in the compilation (as a build names them in
    /// diagnostics). A relative path is taken from the folder of the calling test's source file, not from the
    /// working folder (which differs between <c>dotnet test</c>, an IDE and CI): write
    /// <c>RunFiles("../../src/MyLosses/Hinge.cs")</c> as the path from your test file to the loss.
    /// </summary>
    /// <exception cref="FileNotFoundException">A file does not exist (the message gives the path it was looked for at).</exception>
    public static GeneratorRun RunFiles(IEnumerable<string> paths, [CallerFilePath] string callerFile = "")
    {
        var baseFolder = Path.GetDirectoryName(callerFile) is { Length: > 0 } folder ? folder : Directory.GetCurrentDirectory();
        var sources = new List<(string Path, string Text)>();
        foreach (var path in paths)
        {
            var full = Path.GetFullPath(Path.Combine(baseFolder, path));
            if (!File.Exists(full))
                throw new FileNotFoundException($"No source file '{path}' (looked for '{full}', relative to the test file '{callerFile}').", full);
            sources.Add((Path.GetFileName(full), File.ReadAllText(full)));
        }
        return Run(CreateCompilation(sources));
    }

    /// <summary>Runs the generator on one source file; see <see cref="RunFiles"/> for how a relative path is resolved.</summary>
    public static GeneratorRun RunFile(string path, [CallerFilePath] string callerFile = "") => RunFiles([path], callerFile);

    /// <summary>Runs the generator on a compilation with a fresh driver.</summary>
    public static GeneratorRun Run(Compilation compilation) =>
        Run(CreateDriver((compilation.SyntaxTrees.FirstOrDefault()?.Options as CSharpParseOptions) ?? ParseOptions()), compilation);

    /// <summary>Runs <paramref name="driver"/> (which may hold a previous run's state) on <paramref name="compilation"/>.</summary>
    public static GeneratorRun Run(GeneratorDriver driver, Compilation compilation)
    {
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        // As a build reports them: after #pragma warning disable and the compilation's severity options.
        var effective = Microsoft.CodeAnalysis.Diagnostics.CompilationWithAnalyzers.GetEffectiveDiagnostics(diagnostics, output);
        return new GeneratorRun(driver, compilation, output, effective.Where(d => !d.IsSuppressed).ToImmutableArray());
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var paths = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return paths
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .OrderBy(p => p, StringComparer.Ordinal)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();
    }
}

/// <summary>The outcome of one generator run.</summary>
public sealed class GeneratorRun
{
    internal GeneratorRun(GeneratorDriver driver, Compilation input, Compilation output, ImmutableArray<Diagnostic> diagnostics)
    {
        Driver = driver;
        InputCompilation = input;
        OutputCompilation = output;
        Result = driver.GetRunResult();
        var generator = Result.Results.Single();
        Exception = generator.Exception;
        Files = generator.GeneratedSources
            .OrderBy(s => s.HintName, StringComparer.Ordinal)
            .ToDictionary(s => s.HintName, s => s.SourceText.ToString(), StringComparer.Ordinal);
        Diagnostics = diagnostics
            .OrderBy(d => d.Location.SourceSpan.Start).ThenBy(d => d.Id, StringComparer.Ordinal)
            .ToImmutableArray();
    }

    /// <summary>The driver after the run: run it again on an edited compilation to test caching.</summary>
    public GeneratorDriver Driver { get; }

    /// <summary>The compilation the generator saw.</summary>
    public Compilation InputCompilation { get; }

    /// <summary>The input compilation plus the generated files.</summary>
    public Compilation OutputCompilation { get; }

    /// <summary>The raw run result (tracked steps, timings).</summary>
    public GeneratorDriverRunResult Result { get; }

    /// <summary>An exception the generator threw (the compiler turns it into warning CS8785), or null.</summary>
    public Exception? Exception { get; }

    /// <summary>Generated files by hint name, in ordinal order.</summary>
    public IReadOnlyDictionary<string, string> Files { get; }

    /// <summary>The generator's diagnostics as a build reports them (after <c>#pragma</c> filtering), in source order.</summary>
    public ImmutableArray<Diagnostic> Diagnostics { get; }

    /// <summary>Errors of the output compilation (user code plus generated code).</summary>
    public ImmutableArray<Diagnostic> CompilationErrors =>
        OutputCompilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();

    /// <summary>Runs the generator again, with this run's cached state, on <paramref name="compilation"/>.</summary>
    public GeneratorRun RunAgain(Compilation compilation) => GeneratorTestDriver.Run(Driver, compilation);

    /// <summary>
    /// Checks every generated file against <c>{directory}/{hint}.verified.cs</c> (e.g. <c>MyLosses.Hinge.g.verified.cs</c>
    /// for the hint <c>MyLosses.Hinge.g.cs</c>) and reports every missing, differing and stale snapshot in one
    /// <see cref="SnapshotMismatchException"/>, so a first run lists all the snapshots to review, not only the first.
    /// With <c>GANDSL_ACCEPT=1</c> every difference is accepted.
    /// </summary>
    /// <param name="directory">The snapshots' folder; by default <c>Snapshots</c> beside the calling test file.</param>
    /// <param name="checkStale">
    /// Also fail on a <c>*.g.verified.cs</c> in the folder that this run no longer generates (a renamed or deleted
    /// loss). Pass false when several runs keep their snapshots in the same folder.
    /// </param>
    /// <param name="callerFile">Filled in by the compiler: the calling source file.</param>
    public GeneratorRun VerifySnapshots(string? directory = null, bool checkStale = true, [CallerFilePath] string callerFile = "")
    {
        directory ??= Path.Combine(Path.GetDirectoryName(callerFile) ?? Directory.GetCurrentDirectory(), "Snapshots");
        var problems = new List<string>();
        var names = new List<string>();
        foreach (var (hint, text) in Files)
        {
            var name = hint.EndsWith(".cs", StringComparison.Ordinal) ? hint[..^".cs".Length] : hint;
            names.Add(name);
            try { Snapshot.Verify(text, name, directory); }
            catch (SnapshotMismatchException e) { problems.Add(e.Message); }
        }
        if (checkStale)
        {
            try { Snapshot.VerifyFileSetEndingWith(names, "", directory, ".cs", ".g"); }
            catch (SnapshotMismatchException e) { problems.Add(e.Message); }
        }
        if (problems.Count > 0)
            throw new SnapshotMismatchException($"{problems.Count} snapshot problem(s) in '{directory}':\n\n" + string.Join("\n\n", problems));
        return this;
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> listing them when the output compilation has errors.</summary>
    public GeneratorRun AssertCompiles()
    {
        var errors = CompilationErrors;
        if (errors.Length > 0)
            throw new InvalidOperationException("The generated code does not compile:\n" + string.Join("\n", errors.Take(20).Select(e => e.ToString())));
        return this;
    }
}
