namespace GanDsl.Losses;

/// <summary>
/// Hinge loss (Lim &amp; Ye 2017, "Geometric GAN"; Miyato et al. 2018, "Spectral Normalization for GANs"):
/// a margin loss for the discriminator, the critic score for the generator.
/// </summary>
[GanLoss("hinge")]
public partial class Hinge
{
    [DiscriminatorLoss] static Loss Discriminator => Mean(Relu(1 - D(x))) + Mean(Relu(1 + D(G(z))));

    [GeneratorLoss] static Loss Generator => -Mean(D(G(z)));
}
