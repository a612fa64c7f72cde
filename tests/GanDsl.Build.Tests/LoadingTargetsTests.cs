using System.Text.Json;

namespace GanDsl.Build.Tests;

/// <summary>
/// build/TorchSharp.Loading.targets in real builds of scratch projects: the inline task compiles and
/// runs after the copy to the output and publish folders, a second build changes nothing, a
/// relocation against the missing version fails the build, and the RuntimeIdentifier default.
/// The scratch projects ship a gcc-built library under another name (GanDslElfPatchFileName) and
/// check it against the test's old provider (GanDslElfPatchProvider, GanDslLibStdCxxPath), so no
/// 500 MB of libtorch is copied.
/// </summary>
public class LoadingTargetsTests
{
    static string Dotnet =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : TestEnv.Which("dotnet") ?? "dotnet";

    static string ScratchProject(string consumer, string targetFramework = "net10.0")
    {
        var dir = TestEnv.NewTempDir("gandsl-targets");
        // Stop MSBuild's upward search for Directory.Build.* at this folder; import the targets under test.
        File.WriteAllText(Path.Combine(dir, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(dir, "Directory.Build.targets"),
            $"<Project><Import Project=\"{Path.Combine(TestEnv.RepoRoot, "build", "TorchSharp.Loading.targets")}\" /></Project>");
        Directory.CreateDirectory(Path.Combine(dir, "native"));
        if (consumer.Length > 0) File.Copy(consumer, Path.Combine(dir, "native", "libfake.so"));
        File.WriteAllText(Path.Combine(dir, "Scratch.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>{targetFramework}</TargetFramework>
                <UseSharedCompilation>false</UseSharedCompilation>
                <GanDslElfPatchFileName>libfake.so</GanDslElfPatchFileName>
                <GanDslElfPatchProvider>libprovider.so</GanDslElfPatchProvider>
                <GanDslLibStdCxxPath>{(consumer.Length > 0 ? TestLibraries.OldProvider : "")}</GanDslLibStdCxxPath>
              </PropertyGroup>
              <ItemGroup>
                <None Include="native/libfake.so" Link="libfake.so" CopyToOutputDirectory="PreserveNewest" Condition="Exists('native/libfake.so')" />
              </ItemGroup>
            </Project>
            """);
        return dir;
    }

    static (int Code, string Output) DotnetIn(string dir, params string[] args) =>
        TestEnv.Run(Dotnet, [.. args, "-nodeReuse:false"], dir);

    [GccFact]
    public void Build_PatchesTheOutputCopy_SecondBuildChangesNothing_PublishIsPatched()
    {
        var dir = ScratchProject(TestLibraries.Bare);
        var source = Path.Combine(dir, "native", "libfake.so");
        var original = File.ReadAllBytes(source);

        var (code, output) = DotnetIn(dir, "build", "-c", "Release");
        Assert.True(code == 0, output);
        var copy = Path.Combine(dir, "bin", "Release", "net10.0", "libfake.so");
        var patched = File.ReadAllBytes(copy);
        var vers2 = ElfVersionPatch.VersionNeeds(patched).Single(n => n.Version == "VERS_2");
        Assert.True(vers2.IsWeak);
        Assert.Equal([(int)vers2.FlagsOffset], Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]));
        Assert.Equal(original, File.ReadAllBytes(source)); // the source (the NuGet cache's place) is untouched
        Assert.Equal(File.GetLastWriteTimeUtc(source), File.GetLastWriteTimeUtc(copy));

        var inode = TestEnv.Inode(copy);
        (code, output) = DotnetIn(dir, "build", "-c", "Release", "-v:detailed");
        Assert.True(code == 0, output);
        Assert.Equal(inode, TestEnv.Inode(copy));   // neither re-copied nor rewritten
        Assert.Contains("already patched", output);
        Assert.Equal(patched, File.ReadAllBytes(copy));

        (code, output) = DotnetIn(dir, "publish", "-c", "Release", "-o", "pub");
        Assert.True(code == 0, output);
        Assert.Equal(patched, File.ReadAllBytes(Path.Combine(dir, "pub", "libfake.so")));
    }

    [GccFact]
    public void Build_FailsNamingTheSymbol_WhenARelocationUsesTheMissingVersion()
    {
        var dir = ScratchProject(TestLibraries.Uses);
        var (code, output) = DotnetIn(dir, "build", "-c", "Release");
        Assert.NotEqual(0, code);
        Assert.Contains("GANBUILD001", output);
        Assert.Contains("provider_b@VERS_2", output);
        // Left as copied: unpatched.
        Assert.Equal(File.ReadAllBytes(TestLibraries.Uses), File.ReadAllBytes(Path.Combine(dir, "bin", "Release", "net10.0", "libfake.so")));
    }

    [Fact]
    public void CopyLocalFiles_AreHardLinksIntoTheirSource_UnlessTurnedOff()
    {
        if (!OperatingSystem.IsLinux()) return;
        // A copy-local file as a package's native is one (ReferenceCopyLocalPaths), standing in for libtorch.
        var dir = ScratchProject("");
        var source = Path.Combine(dir, "native", "libcopylocal.so");
        File.WriteAllBytes(source, new byte[4096]);
        File.WriteAllText(Path.Combine(dir, "CopyLocal.targets"), """
            <Project>
              <Target Name="AddCopyLocalNative" AfterTargets="ResolveReferences">
                <ItemGroup><ReferenceCopyLocalPaths Include="native/libcopylocal.so" DestinationSubDirectory="runtimes/" /></ItemGroup>
              </Target>
            </Project>
            """);
        var project = Path.Combine(dir, "Scratch.csproj");
        File.WriteAllText(project, File.ReadAllText(project).Replace("</Project>", "  <Import Project=\"CopyLocal.targets\" />\n</Project>"));

        var (code, output) = DotnetIn(dir, "build", "-c", "Release");
        Assert.True(code == 0, output);
        Assert.Equal(TestEnv.Inode(source), TestEnv.Inode(Path.Combine(dir, "bin", "Release", "net10.0", "runtimes", "libcopylocal.so")));

        (code, output) = DotnetIn(dir, "build", "-c", "Debug", "-p:GanDslHardLinkCopyLocal=false");
        Assert.True(code == 0, output);
        Assert.NotEqual(TestEnv.Inode(source), TestEnv.Inode(Path.Combine(dir, "bin", "Debug", "net10.0", "runtimes", "libcopylocal.so")));
    }

    [Fact]
    public void RuntimeIdentifier_DefaultsForDotNetProjects_OutputPathUnchanged_NetStandardLeftAlone()
    {
        if (!OperatingSystem.IsLinux()) return;
        var net = Properties(ScratchProject(""), "RuntimeIdentifier", "OutputPath", "SelfContained", "NETCoreSdkPortableRuntimeIdentifier");
        Assert.Equal(net["NETCoreSdkPortableRuntimeIdentifier"], net["RuntimeIdentifier"]);
        Assert.StartsWith("linux-", net["RuntimeIdentifier"]);
        Assert.Equal("bin/Release/net10.0/", net["OutputPath"].Replace('\\', '/'));
        Assert.Equal("false", net["SelfContained"]);

        var netstandard = Properties(ScratchProject("", "netstandard2.0"), "RuntimeIdentifier", "OutputPath");
        Assert.Equal("", netstandard["RuntimeIdentifier"]);
        Assert.Equal("bin/Release/netstandard2.0/", netstandard["OutputPath"].Replace('\\', '/'));
    }

    static Dictionary<string, string> Properties(string dir, params string[] names)
    {
        var (code, output) = TestEnv.Run(Dotnet, ["msbuild", "Scratch.csproj", "-p:Configuration=Release", .. names.Select(n => "-getProperty:" + n)], dir);
        Assert.True(code == 0, output);
        var json = JsonDocument.Parse(output[output.IndexOf('{')..]);
        return json.RootElement.GetProperty("Properties").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
    }
}
