using System.Runtime.CompilerServices;

namespace GanDsl.Losses.Tests;

/// <summary>
/// The golden and finite-difference checks of this project run with GanDsl's answer to MKL's CPU check loaded
/// (GanDsl.MklFastPath) on every x86-64 machine, not only on the non-Intel ones where it is on by default.
/// </summary>
internal static class MklFastPathOn
{
#pragma warning disable CA2255   // before the runtime's module initializer reads the variable
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void ForceOn()
    {
        if (Environment.GetEnvironmentVariable(MklFastPath.Variable) is not { Length: > 0 })
            Environment.SetEnvironmentVariable(MklFastPath.Variable, "on");
    }
}
