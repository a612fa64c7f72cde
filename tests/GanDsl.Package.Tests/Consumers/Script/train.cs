// A loss in a single-file app: `dotnet run train.cs -- OUTPUT_FOLDER`. The GanDsl package's generator compiles the loss.
#:package GanDsl@@VERSION@
// File-based apps default to PublishAot=true, which restores the native AOT compiler (~135 MB) only for `dotnet publish`;
// a training script runs on the JIT. The AOT default that matters at run time is kept: JSON without reflection (checkpoints).
#:property PublishAot=false
#:property JsonSerializerIsReflectionEnabledByDefault=false
using GanDsl;
using GanDsl.Models;
using GanDsl.Training;
using static GanDsl.Penalties;
using static GanDsl.Vocabulary;

var registry = new LossRegistry(typeof(ScriptHinge).Assembly);
Console.WriteLine($"registered: {string.Join(", ", registry.Names)}");
using var trainer = Trainer.Create(registry.Create("script-hinge"), ModelFactory.Get("mlp"),
    new TrainOptions { Data = "ring", Steps = 3, Seed = 1, Threads = 1, OutputDirectory = args[0], SampleEvery = 0, FinalSampleCount = 256 });
trainer.StepCompleted += e => Console.WriteLine($"loss {e.Phase} {e.Step}: {e.Result.Loss:R}");
trainer.Run();
var switchSet = AppContext.TryGetSwitch("System.Text.Json.JsonSerializer.IsReflectionEnabledByDefault", out var reflection);
Console.WriteLine($"json reflection: {(switchSet ? reflection.ToString() : "default")}");
Console.WriteLine($"trained {trainer.Loss.Info.Name} in {AppContext.BaseDirectory}");

/// <summary>Hinge loss with a small R1 penalty at real samples, declared in the script.</summary>
[GanLoss("script-hinge")]
public partial class ScriptHinge
{
    [Hyper] const double Gamma = 0.1;

    [DiscriminatorLoss] static Loss Discriminator => Mean(Relu(1 - D(x))) + Mean(Relu(1 + D(G(z)))) + R1(Gamma);
    [GeneratorLoss] static Loss Generator => -Mean(D(G(z)));
}
