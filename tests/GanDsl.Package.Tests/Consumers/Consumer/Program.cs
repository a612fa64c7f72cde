// Declares a loss the zoo does not have and trains it a few steps on the ring with the public API.
//   Consumer OUTPUT_FOLDER
using GanDsl;
using GanDsl.Models;
using GanDsl.Training;
using static GanDsl.Penalties;
using static GanDsl.Vocabulary;

var output = args[0];
using (var trainer = Trainer.Create(new HingeSmallR1(), ModelFactory.Get("mlp"),
           new TrainOptions { Data = "ring", Steps = 3, Seed = 1, Threads = 1, OutputDirectory = output, SampleEvery = 0, FinalSampleCount = 256 }))
{
    trainer.Run();
    Console.WriteLine($"trained {trainer.Loss.Info.Name}");
}
// The zoo ships in the same package.
Console.WriteLine($"zoo: {new GanDsl.Losses.WganGp().Info.Name}");

/// <summary>Hinge loss with a small R1 penalty at real samples.</summary>
[GanLoss("hinge-small-r1")]
public partial class HingeSmallR1
{
    [Hyper] const double Gamma = 0.1;

    [DiscriminatorLoss] static Loss Discriminator => Mean(Relu(1 - D(x))) + Mean(Relu(1 + D(G(z)))) + R1(Gamma);
    [GeneratorLoss] static Loss Generator => -Mean(D(G(z)));
}
