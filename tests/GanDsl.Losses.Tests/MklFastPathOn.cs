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

/// <summary>TrainOptions.MklFastPath: honoured while MKL has not chosen its kernels, refused (naming the way out) after.</summary>
public sealed class MklFastPathOptionTests
{
    [Fact]
    public void Turning_the_fast_path_off_after_MKL_has_chosen_is_a_setup_error_naming_the_variable()
    {
        if (!MklFastPath.IsLoaded) return;   // not x86-64 Linux: nothing to turn off, the option is a no-op
        using (var a = TorchSharp.torch.ones(8, 8)) using (var b = a.matmul(a)) { }   // MKL chooses here, if it had not
        Assert.True(MklFastPath.MklQueries > 0);
        var options = new GanDsl.Training.TrainOptions { Data = "ring", Steps = 1, OutputDirectory = Path.GetTempPath(), MklFastPath = false };
        var e = Assert.Throws<GanDsl.Training.TrainingSetupException>(() =>
            GanDsl.Training.Trainer.Create(new NonSaturating(), GanDsl.Models.ModelFactory.Get("mlp"), options));
        Assert.Contains("GANDSL_MKL_FAST_PATH=off", e.Message);
        Assert.True(MklFastPath.IsActive);   // unchanged
        // Asking for what is in force is not an error.
        using var trainer = GanDsl.Training.Trainer.Create(new NonSaturating(), GanDsl.Models.ModelFactory.Get("mlp"), options with { MklFastPath = true });
    }
}
