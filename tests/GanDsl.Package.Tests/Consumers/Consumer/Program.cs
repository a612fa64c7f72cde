// Declares two losses the zoo does not have, one of them conditional, and trains each a few steps on the ring with the
// public API (the ring labels each sample with its mode, so the conditional loss trains on it as it is).
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
using (var trainer = Trainer.Create(new MyConditionalHinge(), ModelFactory.Get("mlp"),
           new TrainOptions { Data = "ring", Steps = 3, Seed = 1, Threads = 1, OutputDirectory = output + "-conditional", SampleEvery = 0, FinalSampleCount = 256 }))
{
    trainer.Run();
    Console.WriteLine($"trained {trainer.Loss.Info.Name} with labels: {trainer.Loss.Info.UsesLabels}");
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

/// <summary>A conditional GAN (Mirza &amp; Osindero 2014) with the hinge loss: both networks are given the class labels.</summary>
[GanLoss("my-cgan-hinge")]
public partial class MyConditionalHinge
{
    [DiscriminatorLoss] static Loss Discriminator => Mean(Relu(1 - D(x, y))) + Mean(Relu(1 + D(G(z, yz), yz)));
    [GeneratorLoss] static Loss Generator => -Mean(D(G(z, yz), yz));
}
