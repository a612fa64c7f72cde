using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;

namespace GanDsl.Runtime.Tests;

/// <summary>
/// Loads GanDsl's answer to MKL's CPU check in this test process on every x86-64 machine, Intel ones included
/// (where it answers what MKL would find itself: the numbers the other tests check are MKL's fast path's either way),
/// so that the tests run with it and the test below can check that libtorch's MKL asks it.
/// </summary>
internal static class MklFastPathInTests
{
#pragma warning disable CA2255   // must run before the runtime's own module initializer, which reads the variable
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void ForceOn()
    {
        if (Environment.GetEnvironmentVariable(MklFastPath.Variable) is not { Length: > 0 })
            Environment.SetEnvironmentVariable(MklFastPath.Variable, "on");
    }
}

public sealed class MklFastPathTests
{
    private static readonly bool X64Linux = OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    [Fact]
    public void The_stub_answers_MKLs_CPU_check_in_this_process()
    {
        if (!X64Linux || Environment.GetEnvironmentVariable(MklFastPath.Variable) is "off" or "0") return;   // nothing to load there
        TorchTestSupport.UseTwoThreads();
        Assert.True(MklFastPath.IsLoaded, MklFastPath.Describe());
        Assert.True(MklFastPath.IsActive);
        // The global scope's first definition of MKL's symbol, which libtorch's PLT reference binds to, is the stub's.
        var file = MklFastPath.GlobalDefinitionFile(MklFastPath.MklSymbol);
        Assert.NotNull(file);
        Assert.DoesNotContain("libtorch", file);
        Assert.Equal(file, MklFastPath.GlobalDefinitionFile(MklFastPath.AnswerSymbol));
        // And MKL asked it: a float32 matrix product goes through MKL's sgemm, whose dispatcher calls the check.
        using var a = torch.ones(64, 128);
        using var b = torch.ones(128, 32);
        using var c = a.matmul(b);
        Assert.Equal(128f, c[0, 0].ToSingle());
        Assert.True(MklFastPath.MklQueries > 0, "libtorch's MKL never called the stub: its reference did not bind to it");
        // MKL keeps its first answer: turning the fast path off now must be refused, not silently ignored.
        Assert.False(MklFastPath.TrySetEnabled(false));
        Assert.True(MklFastPath.TrySetEnabled(true));
    }

    [Fact]
    public void On_by_default_only_for_non_Intel_x86_64_Linux_and_the_variable_overrides()
    {
        const Architecture X64 = Architecture.X64;
        Assert.True(MklFastPath.Decide(null, X64, linux: true, "AuthenticAMD").Load);
        Assert.True(MklFastPath.Decide(null, X64, linux: true, "HygonGenuine").Load);
        Assert.False(MklFastPath.Decide(null, X64, linux: true, "GenuineIntel").Load);
        Assert.False(MklFastPath.Decide(null, X64, linux: true, null).Load);
        Assert.False(MklFastPath.Decide(null, Architecture.Arm64, linux: true, "AuthenticAMD").Load);
        Assert.False(MklFastPath.Decide(null, X64, linux: false, "AuthenticAMD").Load);
        Assert.False(MklFastPath.Decide(false, X64, linux: true, "AuthenticAMD").Load);
        Assert.True(MklFastPath.Decide(true, X64, linux: true, "GenuineIntel").Load);
        Assert.Contains("GANDSL_MKL_FAST_PATH=off", MklFastPath.Decide(false, X64, linux: true, "AuthenticAMD").Reason);

        Assert.Null(MklFastPath.ParseSetting(null));
        Assert.Null(MklFastPath.ParseSetting(" Auto "));
        Assert.False(MklFastPath.ParseSetting("0"));
        Assert.True(MklFastPath.ParseSetting("ON"));
        var e = Assert.Throws<ArgumentException>(() => MklFastPath.ParseSetting("fast"));
        Assert.Contains("GANDSL_MKL_FAST_PATH", e.Message);
    }

    [Fact]
    public void The_CPU_vendor_is_read_from_cpuinfo()
    {
        Assert.Equal("AuthenticAMD", MklFastPath.CpuVendor("processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\n"));
        Assert.Null(MklFastPath.CpuVendor("processor : 0\nCPU implementer : 0x41\n"));
    }

    [Fact]
    public void The_stub_is_a_small_ELF_shared_object_without_relocations_or_an_executable_stack()
    {
        var elf = MklFastPath.BuildStubElf();
        Assert.True(elf.Length < 8192);
        Assert.Equal(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1 }, elf[..7]);
        Assert.Equal(3, BitConverter.ToUInt16(elf, 16));    // ET_DYN
        Assert.Equal(62, BitConverter.ToUInt16(elf, 18));   // x86-64
        var headers = Enumerable.Range(0, BitConverter.ToUInt16(elf, 56))
            .Select(i => (Type: BitConverter.ToUInt32(elf, 64 + i * 56), Flags: BitConverter.ToUInt32(elf, 68 + i * 56))).ToArray();
        Assert.Contains((0x6474E551u, 6u), headers);                                  // PT_GNU_STACK, read-write only
        Assert.DoesNotContain(headers, h => h.Type == 1 && (h.Flags & 3) == 3);        // no writable and executable page
    }
}
