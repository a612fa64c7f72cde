namespace GanDsl.Runtime.Tests;

/// <summary>The process-wide settings GanDsl applies before libtorch loads (see <see cref="Libtorch"/>).</summary>
public sealed class LibtorchSettingsTests
{
    private static bool UserTunesMalloc =>
        Environment.GetEnvironmentVariable("GLIBC_TUNABLES") is { Length: > 0 }
        || Environment.GetEnvironmentVariables().Keys.Cast<string>().Any(k => k.StartsWith("MALLOC_", StringComparison.Ordinal));

    [Fact]
    public void OnGlibc_FreedTensorMemoryIsKeptForReuse_UnlessTheUserTunesMalloc()
    {
        TorchTestSupport.UseTwoThreads();   // the module initializer has run once a runtime type is used
        // This machine's libc is glibc (Debian); mallopt succeeded exactly when the user left malloc alone.
        Assert.Equal(OperatingSystem.IsLinux() && !UserTunesMalloc, Libtorch.KeepsFreedMemory);
    }
}
