namespace GanDsl.Losses;

/// <summary>
/// Relativistic standard GAN (Jolicoeur-Martineau 2018): the discriminator estimates the probability that a
/// real sample is more realistic than a generated one, pairing sample i with sample i.
/// </summary>
[GanLoss("rsgan")]
public partial class Rsgan
{
    [DiscriminatorLoss] static Loss Discriminator => Mean(Softplus(-(D(x) - D(G(z)))));

    [GeneratorLoss] static Loss Generator => Mean(Softplus(-(D(G(z)) - D(x))));
}
