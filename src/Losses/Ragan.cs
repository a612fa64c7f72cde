namespace GanDsl.Losses;

/// <summary>
/// Relativistic average GAN (Jolicoeur-Martineau 2018): each critic output is compared with the batch mean
/// of the other side's outputs.
/// </summary>
[GanLoss("ragan")]
public partial class Ragan
{
    [DiscriminatorLoss] static Loss Discriminator => AverageDiscriminatorLoss(D(x), D(G(z)));

    [GeneratorLoss] static Loss Generator => AverageGeneratorLoss(D(x), D(G(z)));
}
