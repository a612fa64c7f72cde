using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace GanDsl.Package.Tests;

/// <summary>
/// The packages as a researcher gets them. One fixture packs GanDsl, GanDsl.Testing and GanDsl.Cli, writes three
/// brand-new projects (Consumers/) into a folder under /tmp with a nuget.config of their own, restores them once
/// and builds them once; the tests then look at what that produced, run it, and install the tool.
/// </summary>
public sealed class PackageTests(PackageFixture fixture) : IClassFixture<PackageFixture>
{
    [Fact]
    public void GanDslPackage_HoldsLibrariesGeneratorAndLoadingFix()
    {
        var entries = fixture.Entries("GanDsl");
        foreach (var name in new[]
                 {
                     "lib/net10.0/GanDsl.Dsl.dll", "lib/net10.0/GanDsl.Runtime.dll", "lib/net10.0/GanDsl.Losses.dll",
                     "lib/net10.0/GanDsl.Verification.dll", "lib/net10.0/GanDsl.Runtime.xml",
                     "analyzers/dotnet/cs/GanDsl.Generator.dll",
                     "buildTransitive/GanDsl.targets", "buildTransitive/TorchSharp.Loading.targets", "buildTransitive/ElfVersionPatch.cs",
                 })
            Assert.Contains(name, entries);
        // The generator is an analyzer only, and nothing of this project's own (the empty GanDsl.Package.dll) ships.
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) && (e.EndsWith("GanDsl.Generator.dll", StringComparison.Ordinal) || e.EndsWith("GanDsl.Package.dll", StringComparison.Ordinal)));

        var dependencies = fixture.Dependencies("GanDsl");
        Assert.Equal(fixture.TorchSharpVersion, dependencies["TorchSharp"]);
        Assert.Equal(fixture.TorchSharpVersion, dependencies["TorchSharp-cpu"]);
        // Every other package GanDsl.Runtime references is a dependency too (pack fails otherwise: GANPACK001).
        Assert.DoesNotContain(dependencies.Keys, id => id.StartsWith("GanDsl", StringComparison.Ordinal));
    }

    [Fact]
    public void TestingPackage_HoldsDriverGeneratorAndSnapshotExclusion()
    {
        var entries = fixture.Entries("GanDsl.Testing");
        Assert.Contains("lib/net10.0/GanDsl.Testing.dll", entries);
        Assert.Contains("lib/net10.0/GanDsl.Generator.dll", entries);
        Assert.Contains("buildTransitive/GanDsl.Testing.targets", entries);
        var dependencies = fixture.Dependencies("GanDsl.Testing");
        Assert.Equal(fixture.Version, dependencies["GanDsl"]);
        Assert.True(dependencies.ContainsKey("Microsoft.CodeAnalysis.CSharp"));
    }

    [Fact]
    public void ConsumerProject_BuildsAndTrainsItsOwnLossOnTheRing()
    {
        fixture.AssertBuilt("Consumer");
        var bin = fixture.OutputFolder("Consumer");
        // Only this machine's natives (GanDslCurrentPlatformNativesOnly), with the library the fix patched.
        // (Other packages' small natives, SkiaSharp's, stay for every platform.)
        var natives = Directory.GetFiles(Path.Combine(bin, "runtimes"), "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f).Contains("torch", StringComparison.OrdinalIgnoreCase)).Select(f => Path.GetRelativePath(bin, f)).ToList();
        Assert.Contains(Path.Combine("runtimes", "linux-x64", "native", "libtorch_cpu.so"), natives);
        Assert.All(natives, f => Assert.StartsWith(Path.Combine("runtimes", "linux-x64") + Path.DirectorySeparatorChar, f));
        Assert.Single(Directory.GetFiles(bin, "libLibTorchSharp.so", SearchOption.AllDirectories));

        var output = Path.Combine(fixture.Root, "run");
        var (code, text) = fixture.Dotnet(fixture.Root, Path.Combine(bin, "Consumer.dll"), output);
        Assert.True(code == 0, text);
        Assert.Contains("trained hinge-small-r1", text);
        Assert.Contains("trained my-cgan-hinge with labels: True", text);
        Assert.True(File.Exists(Path.Combine(output + "-conditional", "samples_labels.npy")), text);
        Assert.Contains("zoo: wgan-gp", text);
        foreach (var file in new[] { "checkpoint.bin", "metrics.csv", "samples.npy" })
            Assert.True(new FileInfo(Path.Combine(output, file)) is { Exists: true, Length: > 0 }, $"{file} missing in {output}:\n{text}");
    }

    /// <summary>
    /// A loss in a single-file app (Consumers/Script/train.cs, `#:package GanDsl@VERSION`): one `dotnet run train.cs`
    /// restores from the fixture's nuget.config (in the folder above the script: the feed, the machine's packages as a
    /// fallback), builds with the generator attached and the loading fix applied, and trains.
    /// </summary>
    [Fact]
    public void ScriptFile_DeclaresALossThatTheGeneratorCompilesAndTrains()
    {
        var folder = Path.Combine(fixture.Root, "Script");
        var artifacts = Path.Combine(fixture.Root, "script-artifacts");   // not ~/.local/share/dotnet/runfile: deleted with the fixture
        var output = Path.Combine(fixture.Root, "script-run");
        var (code, text) = fixture.Dotnet(folder, "run", "train.cs", "--artifacts-path", artifacts, "--", output);
        Assert.True(code == 0, text);

        Assert.Contains("registered: script-hinge\n", text);   // generated code: registered by name, nothing else in the script
        var losses = Regex.Matches(text, @"^loss (Critic|Generator) \d+: (\S+)$", RegexOptions.Multiline);
        Assert.True(losses.Count == 6, text);   // 3 steps, one critic step each
        Assert.All(losses, m => Assert.True(double.IsFinite(double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)), m.Value));
        Assert.Contains("json reflection: False", text);   // the checkpoint below was written without reflection-based JSON
        foreach (var file in new[] { "checkpoint.bin", "metrics.csv", "samples.npy", "config.json" })
            Assert.True(new FileInfo(Path.Combine(output, file)) is { Exists: true, Length: > 0 }, $"{file} missing in {output}:\n{text}");

        // The package's buildTransitive targets ran on the script's output: one platform's natives, and where the system
        // libstdc++ lacks GLIBCXX_3.4.32 (Debian 12), a patched libLibTorchSharp.so (libtorch could not load otherwise).
        var bin = Regex.Match(text, @"trained script-hinge in (\S+)").Groups[1].Value;
        var native = Assert.Single(Directory.GetFiles(bin, "libLibTorchSharp.so", SearchOption.AllDirectories));
        Assert.Equal(Path.Combine(bin, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"), native);
        const string systemLibStdCxx = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";
        if (File.Exists(systemLibStdCxx) && !File.ReadAllText(systemLibStdCxx, System.Text.Encoding.Latin1).Contains("GLIBCXX_3.4.32"))
        {
            var shipped = Path.Combine(fixture.NuGetPackageRoot, "torchsharp", fixture.TorchSharpVersion, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
            Assert.NotEqual(File.ReadAllBytes(shipped), File.ReadAllBytes(native));
        }
    }

    [Fact]
    public void BadDeclaration_FailsTheBuildWithAGanDiagnostic()
    {
        var errors = fixture.BuildErrors("Bad");
        Assert.Contains(errors, e => Regex.IsMatch(e, @"Program\.cs\(\d+,\d+\): error GAN0006:"));
        Assert.False(File.Exists(Path.Combine(fixture.OutputFolder("Bad"), "Bad.dll")));
    }

    [Fact]
    public void SnapshotFiles_NeverCompile_FirstSecondAndLaterAccepts()
    {
        // Built with a received and a verified file that are not C# (the fixture wrote them before building).
        fixture.AssertBuilt("SnapshotUser");
        var project = Path.Combine(fixture.Root, "SnapshotUser");
        var snapshots = Path.Combine(project, "Snapshots");
        var program = Path.Combine(fixture.OutputFolder("SnapshotUser"), "SnapshotUser.dll");
        foreach (var old in Directory.GetFiles(snapshots, "MyLosses.Old.*")) File.Delete(old);

        // Mismatch: the received file is written. Accept: it becomes the verified file.
        var (code, text) = fixture.Dotnet(fixture.Root, program, project);
        Assert.True(code == 3, text);
        Assert.NotEmpty(Directory.GetFiles(snapshots, "MyLosses.*.received.cs"));
        for (var accept = 0; accept < 2; accept++)
        {
            (code, text) = fixture.Dotnet(fixture.Root, [program, project], ("GANDSL_ACCEPT", "1"));
            Assert.True(code == 0, text);
        }
        Assert.Empty(Directory.GetFiles(snapshots, "*.received.cs"));
        var verified = Directory.GetFiles(snapshots, "MyLosses.*.verified.cs");
        Assert.NotEmpty(verified);
        Assert.Contains("partial class MyLsGan", File.ReadAllText(verified[0]));

        // Generated code as verified files (it would collide with the generator's own output if compiled),
        // a received file again: the project still builds, and the snapshots match.
        File.WriteAllText(Path.Combine(snapshots, "MyLosses.Stale.received.cs"), File.ReadAllText(verified[0]));
        (code, text) = fixture.Dotnet(project, "build", "--no-restore", "-nodeReuse:false");
        Assert.True(code == 0, text);
        File.Delete(Path.Combine(snapshots, "MyLosses.Stale.received.cs"));
        (code, text) = fixture.Dotnet(fixture.Root, program, project);
        Assert.True(code == 0, text);
        Assert.Contains("snapshot(s) match", text);
    }

    [Fact]
    public void CliTool_InstallsAsGan()
    {
        var entries = fixture.Entries("GanDsl.Cli");
        Assert.Contains(entries, e => Regex.IsMatch(e, @"^tools/net10\.0/[^/]+/DotnetToolSettings\.xml$"));
        Assert.Contains(entries, e => e.EndsWith("/libLibTorchSharp.so", StringComparison.Ordinal));

        var tools = Path.Combine(fixture.Root, "tools");
        var (code, text) = fixture.Dotnet(fixture.Root, "tool", "install", "--tool-path", tools, "GanDsl.Cli", "--version", fixture.Version);
        Assert.True(code == 0, text);
        // libtorch loads from the tool's folder (its libLibTorchSharp.so patched at pack time).
        var output = Path.Combine(fixture.Root, "tool-run");
        (code, text) = PackageFixture.Run(Path.Combine(tools, "gan"), ["train", "--loss", "wgan-gp", "--data", "ring", "--steps", "2", "--out", output], fixture.Root, fixture.Environment);
        Assert.True(code == 0, text);
        Assert.True(File.Exists(Path.Combine(output, "checkpoint.bin")), text);

        // The installed tool trains a user's conditional loss from the user's own assembly (issue 16).
        fixture.AssertBuilt("Consumer");
        var conditional = Path.Combine(fixture.Root, "tool-run-conditional");
        (code, text) = PackageFixture.Run(Path.Combine(tools, "gan"),
            ["train", "--assembly", Path.Combine(fixture.OutputFolder("Consumer"), "Consumer.dll"), "--loss", "my-cgan-hinge", "--data", "ring", "--steps", "2",
             "--out", conditional], fixture.Root, fixture.Environment);
        Assert.True(code == 0, text);
        Assert.True(File.Exists(Path.Combine(conditional, "samples_labels.npy")), text);
    }

    [Fact]
    public void Template_MakesALossProjectThatTrains_AndATestProjectThatSnapshotsIt()
    {
        var hive = Path.Combine(fixture.Root, "template-hive");   // the template engine's settings, not the user's
        var (code, text) = fixture.Dotnet(fixture.Root, "new", "install", fixture.PackagePath("GanDsl.Templates"), "--debug:custom-hive", hive);
        Assert.True(code == 0, text);
        (code, text) = fixture.Dotnet(fixture.Root, "new", "gandsl-loss", "-n", "MyGan", "-o", "FromTemplate", "--debug:custom-hive", hive);
        Assert.True(code == 0, text);
        var solution = Path.Combine(fixture.Root, "FromTemplate");
        // The template references the packages of this version (the test fails when Version moves and the template does not).
        Assert.Contains($"Version=\"{fixture.Version}\"", File.ReadAllText(Path.Combine(solution, "MyGan", "MyGan.csproj")));
        Assert.True(File.Exists(Path.Combine(solution, "MyGan.Tests", "MyGan.Tests.csproj")));

        // The loss project trains its loss.
        (code, text) = fixture.Dotnet(Path.Combine(solution, "MyGan"), "run", "--", "3", Path.Combine(fixture.Root, "template-run"));
        Assert.True(code == 0, text);
        Assert.Contains("Completed after 3 steps", text);

        // First test run: fails listing the new snapshot; accepted; then passes as it is.
        (code, text) = fixture.Dotnet(solution, "test", "MyGan.slnx");
        Assert.True(code != 0, text);
        Assert.Contains("MyGan.HingeR1.g.verified.cs", text);
        (code, text) = fixture.Dotnet(solution, ["test", "MyGan.slnx", "--no-build"], ("GANDSL_ACCEPT", "1"));
        Assert.True(code == 0, text);
        (code, text) = fixture.Dotnet(solution, "test", "MyGan.slnx", "--no-build");
        Assert.True(code == 0, text);
        Assert.True(File.Exists(Path.Combine(solution, "MyGan.Tests", "Snapshots", "MyGan.HingeR1.g.verified.cs")));
    }
}
