namespace GanDsl.Losses;

/// <summary>
/// Relativistic average least-squares GAN (Jolicoeur-Martineau 2018): LSGAN's squares on relativistic
/// differences, with targets ±1.
/// </summary>
[GanLoss("ralsgan")]
public partial class RaLsgan
{
    [DiscriminatorLoss]
    static Loss Discriminator =>
        Mean(Square(D(x) - Mean(D(G(z))) - 1)) + Mean(Square(D(G(z)) - Mean(D(x)) + 1));

    [GeneratorLoss]
    static Loss Generator =>
        Mean(Square(D(G(z)) - Mean(D(x)) - 1)) + Mean(Square(D(x) - Mean(D(G(z))) + 1));
}
