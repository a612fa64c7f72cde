using GanDsl;
using static GanDsl.Vocabulary;

namespace MyLosses;

/// <summary>Least squares GAN, declared in the project under test.</summary>
[GanLoss("my-lsgan")]
public partial class MyLsGan
{
    [DiscriminatorLoss] static Loss Discriminator => 0.5 * Mean(Square(D(x) - 1)) + 0.5 * Mean(Square(D(G(z))));
    [GeneratorLoss] static Loss Generator => 0.5 * Mean(Square(D(G(z)) - 1));
}
