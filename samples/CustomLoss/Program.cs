// Declares a loss (HingeR1.cs), then trains it on the 8-Gaussian ring with the runtime's trainer and reports
// how close the generated samples are to the ring's modes before and after training.
//
//   dotnet run --project samples/CustomLoss [-- STEPS [OUTPUT_FOLDER]]
using System.Globalization;
using CustomLoss;
using GanDsl;
using GanDsl.Data;
using GanDsl.Evaluation;
using TorchSharp;
using GanDsl.Training;

var steps = args.Length > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : 400;
var output = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "gandsl-custom-loss");

// The registry finds every [GanLoss] of this assembly: here, only "hinge-r1".
var registry = new LossRegistry(typeof(HingeR1).Assembly);
var options = new TrainOptions
{
    Loss = "hinge-r1",
    Data = "ring",
    Steps = steps,
    Seed = 1,
    OutputDirectory = output,
    SampleEvery = 0,
    FinalSampleCount = 2000,
    Hyperparameters = new Dictionary<string, double> { ["Gamma"] = 1 },
};

using var trainer = Trainer.Create(options, registry);
var info = trainer.Loss.Info;
Console.WriteLine($"loss {info.Name}: D minimises {info.DiscriminatorExpression}");
Console.WriteLine($"                G minimises {info.GeneratorExpression}");
Console.WriteLine($"hyperparameters: {string.Join(", ", trainer.Loss.Hyper.Snapshot().Select(kv => $"{kv.Key}={kv.Value}"))}");

var ring = (IMixtureDataset2D)trainer.Dataset;
ModeMetrics Measure()
{
    using var scope = torch.NewDisposeScope();
    using var random = new torch.Generator(99);
    var (samples, _) = Sampling.Generate(trainer.SampleNetwork, trainer.Family.NoiseShape, 2000, random, torch.CPU);
    return Metrics2D.Modes(samples, ring);
}

var before = Measure();
double lastD = double.NaN, lastR1 = double.NaN;
trainer.StepCompleted += e =>
{
    if (e.Phase == StepPhase.Critic)
    {
        lastD = e.Result.Loss;
        // A scalar macro's value is reported as a step term under its source text.
        lastR1 = e.Result.Term("R1(Gamma)") ?? double.NaN;
    }
    else if ((e.Step + 1) % 100 == 0)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"step {e.Step + 1,5}: d_loss {lastD,8:F4} (R1 term {lastR1:F4})  g_loss {e.Result.Loss,8:F4}"));
    }
};
var result = trainer.Run();
var after = Measure();

Console.WriteLine($"{result.Outcome} after {result.Step} generator steps; outputs in {trainer.OutputDirectory}");
Console.WriteLine($"mean distance to the nearest ring mode: {before.MeanDistanceToNearestMode:F3} before, {after.MeanDistanceToNearestMode:F3} after");
Console.WriteLine($"modes covered: {before.ModesCovered}/{before.ModeCount} before, {after.ModesCovered}/{after.ModeCount} after");
return result.Outcome == TrainOutcome.Completed ? 0 : 1;
