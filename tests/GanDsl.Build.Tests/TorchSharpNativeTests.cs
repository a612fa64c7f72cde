using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace GanDsl.Build.Tests;

/// <summary>The patch on the real libLibTorchSharp.so of the NuGet cache (copied first; the cache is never touched).</summary>
public class TorchSharpNativeTests
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    delegate int IntFunction();

    /// <summary>The system libstdc++'s versions, less GLIBCXX_3.4.31 and later: what GCC 12's (Debian 12) defines, whatever this machine has.</summary>
    static HashSet<string> Gcc12LibStdCxxVersions(out string systemPath)
    {
        systemPath = ElfVersionPatch.FindSystemLibrary("libstdc++.so.6", ElfVersionPatch.EmX86_64)
            ?? throw new InvalidOperationException("no system libstdc++.so.6 found");
        var versions = ElfVersionPatch.DefinedVersions(File.ReadAllBytes(systemPath));
        versions.RemoveWhere(v => Regex.Match(v, @"^GLIBCXX_3\.4\.(\d+)$") is { Success: true } m && int.Parse(m.Groups[1].Value) > 30);
        return versions;
    }

    /// <summary>A folder with a copy of libLibTorchSharp.so and symbolic links to libtorch's libraries (found through RUNPATH $ORIGIN).</summary>
    static string CopyWithDependencies()
    {
        var dir = TestEnv.NewTempDir("gandsl-torchsharp");
        var libtorch = TorchSharpNative.LibTorchFolder ?? throw new InvalidOperationException("libtorch-cpu-linux-x64 is not in the NuGet cache");
        foreach (var dependency in Directory.GetFiles(libtorch))
            File.CreateSymbolicLink(Path.Combine(dir, Path.GetFileName(dependency)), dependency);
        var path = Path.Combine(dir, "libLibTorchSharp.so");
        File.Copy(TorchSharpNative.LibraryPath, path);
        return path;
    }

    [TorchSharpNativeFact]
    public void RealLibrary_NeedsGlibcxx3432OnlyThroughIosBaseLibraryInit()
    {
        var data = File.ReadAllBytes(TorchSharpNative.LibraryPath);
        var need = ElfVersionPatch.VersionNeeds(data).Single(n => n.File == "libstdc++.so.6" && n.Version == "GLIBCXX_3.4.32");
        Assert.False(need.IsWeak);
        Assert.Empty(ElfVersionPatch.RelocatedSymbolsOfVersion(data, need.Index));
    }

    [TorchSharpNativeFact]
    public void RealLibrary_OneByteChanged_ThenLoads()
    {
        var cacheBefore = File.ReadAllBytes(TorchSharpNative.LibraryPath);
        var gcc12 = Gcc12LibStdCxxVersions(out var systemLibStdCxx);
        var path = CopyWithDependencies();

        var result = ElfVersionPatch.PatchFile(path, "libstdc++.so.6", gcc12);

        Assert.True(result.Written);
        var need = Assert.Single(result.Plan.ToWeaken);
        Assert.Equal("GLIBCXX_3.4.32", need.Version);
        var after = File.ReadAllBytes(path);
        var differing = Enumerable.Range(0, after.Length).Where(i => after[i] != cacheBefore[i]).ToList();
        Assert.Equal([need.FlagsOffset], differing.Select(i => (long)i));
        Assert.Equal(ElfVersionPatch.VerFlgWeak, after[need.FlagsOffset]);
        Assert.Equal(cacheBefore, File.ReadAllBytes(TorchSharpNative.LibraryPath)); // the cache is untouched

        // Where this machine's libstdc++ lacks GLIBCXX_3.4.32 (Debian 12), the unpatched copy does not load.
        if (!ElfVersionPatch.DefinedVersions(File.ReadAllBytes(systemLibStdCxx)).Contains("GLIBCXX_3.4.32"))
        {
            var unpatched = CopyWithDependencies();
            var failure = Assert.ThrowsAny<DllNotFoundException>(() => NativeLibrary.Load(unpatched));
            Assert.Contains("GLIBCXX_3.4.32", failure.Message);
        }

        // The patched copy loads (libtorch with it) and works.
        var handle = NativeLibrary.Load(path);
        var threads = Marshal.GetDelegateForFunctionPointer<IntFunction>(NativeLibrary.GetExport(handle, "THSTorch_get_num_threads"));
        Assert.True(threads() >= 1);
    }
}
