using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace GanDsl.Build.Tests;

/// <summary>Paths the build recorded in this assembly, and small process helpers.</summary>
internal static class TestEnv
{
    static string Metadata(string key) =>
        typeof(TestEnv).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value ?? "";

    public static string RepoRoot => Metadata("RepoRoot");

    public static string NuGetPackageRoot
    {
        get
        {
            var root = Metadata("NuGetPackageRoot");
            if (root.Length == 0) root = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? "";
            if (root.Length == 0) root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            return root;
        }
    }

    public static string TorchSharpVersion => Metadata("TorchSharpVersion") is { Length: > 0 } v ? v : "0.107.0";

    public static bool IsLinuxX64 => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    public static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    /// <summary>Runs a program; returns exit code and stdout+stderr.</summary>
    public static (int Code, string Output) Run(string file, IEnumerable<string> args, string? workingDirectory = null, int timeoutMs = 300_000)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (workingDirectory != null) psi.WorkingDirectory = workingDirectory;
        // A nested `dotnet build` must not inherit the outer build's or test host's MSBuild settings.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            psi.Environment.Remove(key);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(timeoutMs))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeoutMs / 1000} s:\n{stdout}");
        }
        return (process.ExitCode, stdout + stderr.Result);
    }

    /// <summary>device:inode of a file (stat -c).</summary>
    public static string Inode(string path)
    {
        var (code, text) = TestEnv.Run("stat", ["-c", "%d:%i", path]);
        Assert.True(code == 0, text);
        return text.Trim();
    }

    static readonly Lazy<string> TempRoot = new(() =>
    {
        // One folder per test process under $TMP/gandsl-build-tests; folders of processes that are gone
        // (a previous run: the test host is not always given the chance to clean up) are removed first.
        var parent = Path.Combine(Path.GetTempPath(), "gandsl-build-tests");
        Directory.CreateDirectory(parent);
        foreach (var stale in Directory.GetDirectories(parent))
            if (int.TryParse(Path.GetFileName(stale), out var pid) && !Directory.Exists($"/proc/{pid}"))
                try { Directory.Delete(stale, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        var root = Path.Combine(parent, Environment.ProcessId.ToString());
        Directory.CreateDirectory(root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        return root;
    });

    /// <summary>A new folder for one test (symbolic links in it are removed, never followed).</summary>
    public static string NewTempDir(string prefix)
    {
        var dir = Path.Combine(TempRoot.Value, $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}

/// <summary>A fact reported as skipped where there is no C compiler to build the test libraries (or not Linux).</summary>
public sealed class GccFactAttribute : FactAttribute
{
    public GccFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "ELF shared libraries are built and loaded on Linux only";
        else if (TestEnv.Which("gcc") == null) Skip = "gcc is missing (apt-get install gcc): it builds the test's shared libraries";
    }
}

/// <summary>A fact reported as skipped where TorchSharp's linux-x64 native package is not in the NuGet cache.</summary>
public sealed class TorchSharpNativeFactAttribute : FactAttribute
{
    public TorchSharpNativeFactAttribute()
    {
        if (!TestEnv.IsLinuxX64) Skip = "libLibTorchSharp.so is the linux-x64 build";
        else if (!File.Exists(TorchSharpNative.LibraryPath))
            Skip = $"{TorchSharpNative.LibraryPath} is missing: restore the solution first (dotnet restore GanDsl.sln)";
    }
}

/// <summary>Where TorchSharp's native library and libtorch live in the NuGet cache.</summary>
internal static class TorchSharpNative
{
    public static string LibraryPath => Path.Combine(TestEnv.NuGetPackageRoot, "torchsharp", TestEnv.TorchSharpVersion, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    /// <summary>The folder of libtorch.so, libc10.so, libtorch_cpu.so... (libtorch-cpu-linux-x64, highest version present).</summary>
    public static string? LibTorchFolder =>
        Directory.Exists(Path.Combine(TestEnv.NuGetPackageRoot, "libtorch-cpu-linux-x64"))
            ? Directory.GetDirectories(Path.Combine(TestEnv.NuGetPackageRoot, "libtorch-cpu-linux-x64"))
                .Select(d => Path.Combine(d, "runtimes", "linux-x64", "native"))
                .Where(d => File.Exists(Path.Combine(d, "libtorch.so")))
                .OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault()
            : null;
}

/// <summary>
/// Shared libraries built once with gcc (per test run) that reproduce TorchSharp's situation:
/// <list type="bullet">
/// <item><c>new/libprovider.so</c> defines versions VERS_1 (provider_a) and VERS_2 (provider_b): what the libraries are linked against (GCC 13's libstdc++).</item>
/// <item><c>run/libprovider.so</c> defines VERS_1 only (GCC 12's libstdc++ on Debian 12).</item>
/// <item><c>run/libbare.so</c> calls provider_a and names provider_b only through a bare <c>.globl</c>, as GCC 13's &lt;iostream&gt; does with ios_base_library_init: it needs VERS_2 without using it.</item>
/// <item><c>run/libuses.so</c> really calls provider_b (a JUMP_SLOT relocation against provider_b@VERS_2).</item>
/// </list>
/// Both consumers have RUNPATH $ORIGIN, so loading them from run/ binds them to the old provider.
/// </summary>
internal static class TestLibraries
{
    static readonly Lazy<string> Built = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Root => Built.Value;
    public static string NewProvider => Path.Combine(Root, "new", "libprovider.so");
    public static string OldProvider => Path.Combine(Root, "run", "libprovider.so");
    public static string Bare => Path.Combine(Root, "run", "libbare.so");
    public static string Uses => Path.Combine(Root, "run", "libuses.so");

    static string Build()
    {
        var root = TestEnv.NewTempDir("gandsl-elf");
        Directory.CreateDirectory(Path.Combine(root, "new"));
        Directory.CreateDirectory(Path.Combine(root, "run"));
        File.WriteAllText(Path.Combine(root, "provider.c"), """
            int provider_a(void) { return 1; }
            #ifdef WITH_B
            int provider_b(void) { return 2; }
            #endif
            """);
        File.WriteAllText(Path.Combine(root, "new.map"), "VERS_1 { global: provider_a; local: *; };\nVERS_2 { global: provider_b; } VERS_1;\n");
        File.WriteAllText(Path.Combine(root, "old.map"), "VERS_1 { global: provider_a; local: *; };\n");
        File.WriteAllText(Path.Combine(root, "bare.c"), """
            int provider_a(void);
            __asm__(".globl provider_b");
            int consumer(void) { return provider_a() + 40; }
            """);
        File.WriteAllText(Path.Combine(root, "uses.c"), """
            int provider_a(void);
            int provider_b(void);
            int consumer(void) { return provider_a() + provider_b(); }
            """);
        Gcc(root, "-shared", "-fPIC", "-DWITH_B", "-Wl,--version-script=new.map", "-Wl,-soname,libprovider.so", "-o", "new/libprovider.so", "provider.c");
        Gcc(root, "-shared", "-fPIC", "-Wl,--version-script=old.map", "-Wl,-soname,libprovider.so", "-o", "run/libprovider.so", "provider.c");
        Gcc(root, "-shared", "-fPIC", "-o", "run/libbare.so", "bare.c", "-Lnew", "-lprovider", "-Wl,-rpath,$ORIGIN");
        Gcc(root, "-shared", "-fPIC", "-o", "run/libuses.so", "uses.c", "-Lnew", "-lprovider", "-Wl,-rpath,$ORIGIN");
        return root;
    }

    static void Gcc(string dir, params string[] args)
    {
        var (code, output) = TestEnv.Run("gcc", args, dir);
        if (code != 0) throw new InvalidOperationException($"gcc {string.Join(' ', args)} failed ({code}):\n{output}");
    }

    /// <summary>Copies <paramref name="source"/> to a fresh folder (beside an old provider when <paramref name="withOldProvider"/>).</summary>
    public static string CopyToNewFolder(string source, string name, bool withOldProvider = false)
    {
        var dir = TestEnv.NewTempDir("gandsl-elf-case");
        var path = Path.Combine(dir, name);
        File.Copy(source, path);
        if (withOldProvider) File.Copy(OldProvider, Path.Combine(dir, "libprovider.so"));
        return path;
    }
}
