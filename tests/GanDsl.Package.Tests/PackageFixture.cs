using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace GanDsl.Package.Tests;

/// <summary>
/// Packs the packable projects once (<c>dotnet pack --no-build</c>: this project's references built them in the
/// same configuration) into a local feed, and sets up a folder under /tmp that nothing of the repository reaches
/// (no Directory.Build.* or global.json above it) holding Consumer, Bad, SnapshotUser and Script/train.cs (Consumers/), a nuget.config
/// (sources: the feed for GanDsl*, this machine's own sources for the rest) and an empty packages folder, with the
/// machine's packages folder as a fallback folder so TorchSharp/libtorch are neither downloaded nor copied. Restores
/// and builds the three projects with one command each.
/// </summary>
public sealed class PackageFixture : IDisposable
{
    static readonly string[] PackageIds = ["GanDsl", "GanDsl.Testing", "GanDsl.Cli", "GanDsl.Templates"];
    static readonly string[] Projects = ["src/Package/GanDsl.Package.csproj", "src/Testing/GanDsl.Testing.csproj", "src/Cli/GanDsl.Cli.csproj", "src/Templates/GanDsl.Templates.csproj"];

    readonly Dictionary<string, (int Code, string Output)> builds = new();
    readonly string buildOutput;
    readonly Stopwatch clock = Stopwatch.StartNew();
    readonly StringBuilder log = new();

    public string Root { get; }
    public string Feed { get; }
    public string Version { get; } = Metadata("PackageVersion");
    public string TorchSharpVersion { get; } = Metadata("TorchSharpVersion");
    /// <summary>The machine's NuGet packages folder (where the repository's restore put TorchSharp).</summary>
    public string NuGetPackageRoot { get; } = Metadata("NuGetPackageRoot");
    /// <summary>Variables every child process gets: the temporary packages folder, no MSBuild settings of the outer build.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; }

    public PackageFixture()
    {
        var repo = Metadata("RepoRoot");
        Root = Path.Combine(Path.GetTempPath(), "gandsl-package-test-" + Guid.NewGuid().ToString("N")[..8]);
        Assert.False(Path.GetFullPath(Root).StartsWith(Path.GetFullPath(repo), StringComparison.Ordinal), $"{Root} is inside the repository");
        for (var dir = new DirectoryInfo(Root).Parent; dir != null; dir = dir.Parent)
            foreach (var name in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "global.json", "nuget.config", "NuGet.Config" })
                Assert.False(File.Exists(Path.Combine(dir.FullName, name)), $"{Path.Combine(dir.FullName, name)} would apply to the test's projects");
        Directory.CreateDirectory(Root);
        Feed = Path.Combine(Root, "feed");
        var packages = Path.Combine(Root, "packages");
        Environment = new Dictionary<string, string?>
        {
            ["NUGET_PACKAGES"] = packages,
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        };

        try
        {
            // 1. Pack (one command for the three projects, through a solution filter of GanDsl.sln).
            var filter = Path.Combine(Root, "packages.slnf");
            File.WriteAllText(filter, $$"""
                { "solution": { "path": "{{Path.Combine(repo, "GanDsl.sln").Replace("\\", "/")}}", "projects": [{{string.Join(", ", Projects.Select(p => $"\"{p}\""))}}] } }
                """);
            Step("pack", Dotnet(Root, "pack", filter, "--no-build", "-c", Metadata("Configuration"), "-o", Feed, "-nodeReuse:false"));
            foreach (var id in PackageIds) Assert.True(File.Exists(PackagePath(id)), $"{PackagePath(id)} was not created:\n{log}");

            // 2. Projects, nuget.config, fallback folder.
            var source = Path.Combine(AppContext.BaseDirectory, "Consumers");
            foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(Root, Path.GetRelativePath(source, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.WriteAllText(target, File.ReadAllText(file).Replace("@VERSION@", Version));
            }
            // Snapshots that are not C#: the project only builds if they are left out of the compilation.
            var snapshots = Directory.CreateDirectory(Path.Combine(Root, "SnapshotUser", "Snapshots")).FullName;
            File.WriteAllText(Path.Combine(snapshots, "MyLosses.Old.verified.cs"), "this is not C# #1\n");
            File.WriteAllText(Path.Combine(snapshots, "MyLosses.Old.received.cs"), "this is not C# #2\n");
            File.WriteAllText(Path.Combine(Root, "consumers.slnx"), """
                <Solution>
                  <Project Path="Consumer/Consumer.csproj" />
                  <Project Path="Bad/Bad.csproj" />
                  <Project Path="SnapshotUser/SnapshotUser.csproj" />
                </Solution>
                """);
            WriteNuGetConfig(repo, packages);

            // 3. One restore, one build (Bad fails; the others must not).
            Step("restore", Dotnet(Root, "restore", "consumers.slnx", "-nodeReuse:false"));
            var build = Dotnet(Root, "build", "consumers.slnx", "--no-restore", "-nodeReuse:false", "-clp:NoSummary");
            log.Append($"[{clock.Elapsed.TotalSeconds:F0} s] build: exit {build.Code}\n");
            foreach (var project in new[] { "Consumer", "Bad", "SnapshotUser" }) builds[project] = build;
            buildOutput = build.Output;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    void Step(string name, (int Code, string Output) result)
    {
        log.Append($"[{clock.Elapsed.TotalSeconds:F0} s] {name}: exit {result.Code}\n");
        Assert.True(result.Code == 0, $"{name} failed:\n{result.Output}\n{log}");
    }

    /// <summary>
    /// Package sources: the feed (GanDsl, GanDsl.*) and the ones `dotnet nuget list source` reports for the
    /// repository (where its restore found TorchSharp). Packages: an empty folder, so nothing packed before is
    /// reused and nothing packed here reaches the machine's folder; fallback: the machine's packages folder, seen
    /// through links that leave out GanDsl's own packages (an older copy there would win over the feed).
    /// </summary>
    void WriteNuGetConfig(string repo, string packages)
    {
        var (code, text) = Dotnet(repo, "nuget", "list", "source");
        Assert.True(code == 0, text);
        var sources = new List<(string Name, string Url)>();
        var lines = text.Split('\n');
        for (var i = 0; i + 1 < lines.Length; i++)
            if (Regex.Match(lines[i], @"^\s*\d+\.\s+(.+?)\s+\[Enabled\]\s*$") is { Success: true } m)
                sources.Add((m.Groups[1].Value, lines[i + 1].Trim()));

        var machinePackages = Metadata("NuGetPackageRoot").TrimEnd('/');
        var fallback = Directory.CreateDirectory(Path.Combine(Root, "fallback")).FullName;
        if (Directory.Exists(machinePackages))
            foreach (var dir in Directory.GetDirectories(machinePackages))
                if (!PackageIds.Any(id => Path.GetFileName(dir).Equals(id, StringComparison.OrdinalIgnoreCase)))
                    File.CreateSymbolicLink(Path.Combine(fallback, Path.GetFileName(dir)), dir);

        var config = new XElement("configuration",
            new XElement("config", Add("globalPackagesFolder", packages)),
            new XElement("packageSources", new XElement("clear"), Add("gandsl-feed", Feed), sources.Select(s => Add(s.Name, s.Url))),
            new XElement("fallbackPackageFolders", new XElement("clear"), Add("machine", fallback)),
            new XElement("packageSourceMapping", new XElement("clear"),
                new XElement("packageSource", new XAttribute("key", "gandsl-feed"), Pattern("GanDsl"), Pattern("GanDsl.*")),
                sources.Select(s => new XElement("packageSource", new XAttribute("key", s.Name), Pattern("*")))));
        config.Save(Path.Combine(Root, "nuget.config"));
        log.Append($"sources: feed + {string.Join(", ", sources.Select(s => s.Url))}; fallback {machinePackages}\n");

        static XElement Add(string key, string value) => new("add", new XAttribute("key", key), new XAttribute("value", value));
        static XElement Pattern(string pattern) => new("package", new XAttribute("pattern", pattern));
    }

    public string PackagePath(string id) => Path.Combine(Feed, $"{id}.{Version}.nupkg");

    public List<string> Entries(string id)
    {
        using var zip = ZipFile.OpenRead(PackagePath(id));
        return zip.Entries.Select(e => e.FullName).ToList();
    }

    /// <summary>id -> version of the nuspec's dependencies.</summary>
    public Dictionary<string, string> Dependencies(string id)
    {
        using var zip = ZipFile.OpenRead(PackagePath(id));
        using var stream = zip.GetEntry(id + ".nuspec")!.Open();
        return XDocument.Load(stream).Descendants().Where(e => e.Name.LocalName == "dependency")
            .ToDictionary(e => (string)e.Attribute("id")!, e => (string)e.Attribute("version")!);
    }

    public string OutputFolder(string project) => Path.Combine(Root, project, "bin", "Debug", "net10.0");

    public void AssertBuilt(string project)
    {
        var errors = BuildErrors(project);
        Assert.True(errors.Count == 0 && File.Exists(Path.Combine(OutputFolder(project), project + ".dll")),
            $"{project} did not build:\n{string.Join("\n", errors)}\n{buildOutput}\n{log}");
    }

    /// <summary>The build's error lines about <paramref name="project"/>.</summary>
    public List<string> BuildErrors(string project) =>
        builds[project].Output.Split('\n').Where(l => l.Contains(": error ") && l.Contains($"{Path.DirectorySeparatorChar}{project}{Path.DirectorySeparatorChar}"))
            .Select(l => l.Trim()).Distinct().ToList();

    public (int Code, string Output) Dotnet(string workingDirectory, params string[] args) => Run("dotnet", args, workingDirectory, Environment);

    public (int Code, string Output) Dotnet(string workingDirectory, string[] args, params (string Key, string Value)[] extra)
    {
        var environment = new Dictionary<string, string?>(Environment);
        foreach (var (key, value) in extra) environment[key] = value;
        return Run("dotnet", args, workingDirectory, environment);
    }

    /// <summary>Runs a program; exit code and stdout+stderr.</summary>
    public static (int Code, string Output) Run(string file, IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string?> environment, int timeoutMs = 300_000)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // A nested dotnet must not inherit the outer build's or test host's MSBuild settings.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
            psi.Environment.Remove(key);
        foreach (var (key, value) in environment) psi.Environment[key] = value;
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(timeoutMs))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeoutMs / 1000} s");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    static string Metadata(string key) =>
        typeof(PackageFixture).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"assembly metadata {key} missing");

    public void Dispose()
    {
        // The builds leave ~0.5 GB of libtorch per project; nothing here is needed afterwards. The fallback folder's
        // links go first, one by one (unlink), so no recursive delete can reach the machine's packages through them.
        try
        {
            var fallback = Path.Combine(Root, "fallback");
            if (Directory.Exists(fallback))
                foreach (var link in Directory.GetFileSystemEntries(fallback))
                    if (new FileInfo(link).LinkTarget != null) File.Delete(link);
            if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
