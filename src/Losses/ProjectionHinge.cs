namespace GanDsl.Losses;

/// <summary>
/// Hinge loss on a projection discriminator (Miyato &amp; Koyama 2018, "cGANs with Projection Discriminator"): the
/// conditional loss of SNGAN and BigGAN.
/// </summary>
/// <remarks>
/// The discriminator D(x, y) = ψ(φ(x)) + embed(y)ᵀφ(x) (the paper's eq. 3) lives in the network, a projection head on
/// its trunk; the loss is the hinge loss of Lim &amp; Ye 2017 and Miyato et al. 2018 on it: the discriminator minimises
/// E max(0, 1 − D(x, y)) + E max(0, 1 + D(G(z, yz), yz)), the generator −E D(G(z, yz), yz).
/// </remarks>
[GanLoss("projection-hinge")]
public partial class ProjectionHinge
{
    [DiscriminatorLoss]
    static Loss Discriminator => Mean(Relu(1 - D(x, y))) + Mean(Relu(1 + D(G(z, yz), yz)));

    [GeneratorLoss]
    static Loss Generator => -Mean(D(G(z, yz), yz));
}
