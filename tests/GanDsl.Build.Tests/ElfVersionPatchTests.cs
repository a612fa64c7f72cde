using System.Runtime.InteropServices;

namespace GanDsl.Build.Tests;

/// <summary>build/ElfVersionPatch.cs on libraries built here with gcc (see <see cref="TestLibraries"/>).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class ElfVersionPatchTests
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    delegate int IntFunction();

    static HashSet<string> OldVersions => ElfVersionPatch.DefinedVersions(File.ReadAllBytes(TestLibraries.OldProvider));
    static HashSet<string> NewVersions => ElfVersionPatch.DefinedVersions(File.ReadAllBytes(TestLibraries.NewProvider));

    static List<int> DifferingOffsets(byte[] a, byte[] b)
    {
        Assert.Equal(a.Length, b.Length);
        var offsets = new List<int>();
        for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) offsets.Add(i);
        return offsets;
    }

    [GccFact]
    public void DefinedVersions_ReadsVerdef()
    {
        Assert.Contains("VERS_1", NewVersions);
        Assert.Contains("VERS_2", NewVersions);
        Assert.Contains("VERS_1", OldVersions);
        Assert.DoesNotContain("VERS_2", OldVersions);
    }

    [GccFact]
    public void VersionNeeds_MatchWhatTheLinkerRecorded()
    {
        var needs = ElfVersionPatch.VersionNeeds(File.ReadAllBytes(TestLibraries.Bare));
        Assert.Equal(["VERS_1", "VERS_2"], needs.Where(n => n.File == "libprovider.so").Select(n => n.Version).Order());
        Assert.All(needs, n => Assert.False(n.IsWeak));
        // The bare reference: a dynamic symbol bound to VERS_2 that no relocation uses.
        var vers2 = needs.Single(n => n.Version == "VERS_2");
        Assert.Empty(ElfVersionPatch.RelocatedSymbolsOfVersion(File.ReadAllBytes(TestLibraries.Bare), vers2.Index));
        var usesVers2 = ElfVersionPatch.VersionNeeds(File.ReadAllBytes(TestLibraries.Uses)).Single(n => n.Version == "VERS_2");
        Assert.Equal(["provider_b"], ElfVersionPatch.RelocatedSymbolsOfVersion(File.ReadAllBytes(TestLibraries.Uses), usesVers2.Index));
    }

    [GccFact]
    public void BareReference_IsMadeWeak_ChangingExactlyOneByte()
    {
        var path = TestLibraries.CopyToNewFolder(TestLibraries.Bare, "libbare.so");
        var before = File.ReadAllBytes(path);
        var lastWrite = File.GetLastWriteTimeUtc(path);
        var mode = File.GetUnixFileMode(path);

        var result = ElfVersionPatch.PatchFile(path, "libprovider.so", OldVersions);

        Assert.True(result.Written);
        var weakened = Assert.Single(result.Plan.ToWeaken);
        Assert.Equal("VERS_2", weakened.Version);
        var after = File.ReadAllBytes(path);
        var offset = Assert.Single(DifferingOffsets(before, after));
        Assert.Equal(weakened.FlagsOffset, offset);
        Assert.Equal(before[offset] | ElfVersionPatch.VerFlgWeak, after[offset]);
        // Read back: VERS_2 weak, VERS_1 untouched.
        var needs = ElfVersionPatch.VersionNeeds(after);
        Assert.True(needs.Single(n => n.Version == "VERS_2").IsWeak);
        Assert.False(needs.Single(n => n.Version == "VERS_1").IsWeak);
        // Same timestamp (MSBuild's incremental copy keeps it), same permissions, no temporary file left.
        Assert.Equal(lastWrite, File.GetLastWriteTimeUtc(path));
        Assert.Equal(mode, File.GetUnixFileMode(path));
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [GccFact]
    public void PatchedLibrary_LoadsAgainstTheOldProvider_UnpatchedDoesNot()
    {
        var unpatched = TestLibraries.CopyToNewFolder(TestLibraries.Bare, "libbare.so", withOldProvider: true);
        var failure = Assert.ThrowsAny<DllNotFoundException>(() => NativeLibrary.Load(unpatched));
        Assert.Contains("VERS_2", failure.Message); // "version `VERS_2' not found (required by .../libbare.so)"

        var patched = TestLibraries.CopyToNewFolder(TestLibraries.Bare, "libbare.so", withOldProvider: true);
        Assert.True(ElfVersionPatch.PatchFile(patched, "libprovider.so", OldVersions).Written);
        var handle = NativeLibrary.Load(patched);
        try
        {
            var consumer = Marshal.GetDelegateForFunctionPointer<IntFunction>(NativeLibrary.GetExport(handle, "consumer"));
            Assert.Equal(41, consumer()); // provider_a() + 40, bound to the old provider
        }
        finally { NativeLibrary.Free(handle); }
    }

    [GccFact]
    public void RelocationAgainstTheMissingVersion_IsRefused_NamingTheSymbol()
    {
        var path = TestLibraries.CopyToNewFolder(TestLibraries.Uses, "libuses.so");
        var before = File.ReadAllBytes(path);

        var error = Assert.Throws<ElfPatchException>(() => ElfVersionPatch.PatchFile(path, "libprovider.so", OldVersions));

        Assert.Contains("provider_b@VERS_2", error.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [GccFact]
    public void ProviderThatDefinesTheVersion_ChangesNothing()
    {
        var path = TestLibraries.CopyToNewFolder(TestLibraries.Bare, "libbare.so");
        var before = File.ReadAllBytes(path);
        var inode = TestEnv.Inode(path);

        var result = ElfVersionPatch.PatchFile(path, "libprovider.so", NewVersions);

        Assert.False(result.Written);
        Assert.Empty(result.Plan.ToWeaken);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(inode, TestEnv.Inode(path));
    }

    [GccFact]
    public void SecondPatch_DoesNothing()
    {
        var path = TestLibraries.CopyToNewFolder(TestLibraries.Bare, "libbare.so");
        Assert.True(ElfVersionPatch.PatchFile(path, "libprovider.so", OldVersions).Written);
        var once = File.ReadAllBytes(path);
        var inode = TestEnv.Inode(path);

        var again = ElfVersionPatch.PatchFile(path, "libprovider.so", OldVersions);

        Assert.False(again.Written);
        Assert.Equal("VERS_2", Assert.Single(again.Plan.AlreadyWeak).Version);
        Assert.Equal(once, File.ReadAllBytes(path));
        Assert.Equal(inode, TestEnv.Inode(path));
    }

    [GccFact]
    public void HardLinkIntoACache_IsReplaced_NotWrittenThrough()
    {
        var cache = TestLibraries.CopyToNewFolder(TestLibraries.Bare, "libbare.so");
        var original = File.ReadAllBytes(cache);
        var output = Path.Combine(TestEnv.NewTempDir("gandsl-elf-out"), "libbare.so");
        var (code, text) = TestEnv.Run("ln", [cache, output]);
        Assert.True(code == 0, text);
        Assert.Equal(TestEnv.Inode(cache), TestEnv.Inode(output));

        Assert.True(ElfVersionPatch.PatchFile(output, "libprovider.so", OldVersions).Written);

        Assert.Equal(original, File.ReadAllBytes(cache));
        Assert.NotEqual(TestEnv.Inode(cache), TestEnv.Inode(output));
        Assert.Single(DifferingOffsets(original, File.ReadAllBytes(output)));
        Assert.Equal(File.GetLastWriteTimeUtc(cache), File.GetLastWriteTimeUtc(output));
    }

    [Fact]
    public void NotAnElfFile_IsRejected()
    {
        Assert.Throws<ElfPatchException>(() => ElfVersionPatch.Plan(new byte[128], "libstdc++.so.6", new HashSet<string>()));
        var truncated = new byte[64];
        new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1 }.CopyTo(truncated, 0);
        truncated[0x28] = 0xff; // section headers beyond the end of the file
        Assert.Throws<ElfPatchException>(() => ElfVersionPatch.Plan(truncated, "libstdc++.so.6", new HashSet<string>()));
    }
}
