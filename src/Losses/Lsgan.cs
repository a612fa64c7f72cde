namespace GanDsl.Losses;

/// <summary>
/// Least-squares GAN (Mao et al. 2016, "Least Squares Generative Adversarial Networks"), with the
/// 0-1 coding (a = 0, b = c = 1) and no factor ½.
/// </summary>
[GanLoss("lsgan")]
public partial class Lsgan
{
    [DiscriminatorLoss] static Loss Discriminator => Mean(Square(D(x) - 1)) + Mean(Square(D(G(z))));

    [GeneratorLoss] static Loss Generator => Mean(Square(D(G(z)) - 1));
}
