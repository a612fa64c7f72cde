// No [GeneratorLoss]: GAN0006, an error of the build.
using GanDsl;
using static GanDsl.Vocabulary;

Console.WriteLine(typeof(NoGeneratorLoss).Name);

[GanLoss("no-generator-loss")]
public partial class NoGeneratorLoss
{
    [DiscriminatorLoss] static Loss Discriminator => Mean(Relu(1 - D(x))) + Mean(Relu(1 + D(G(z))));
}
