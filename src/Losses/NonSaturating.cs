using static GanDsl.Penalties;
using static GanDsl.Vocabulary;

namespace GanDsl.Losses;

/// <summary>Non-saturating GAN (Goodfellow et al. 2014): the usual default.</summary>
/// <remarks>
/// The discriminator minimises -E log σ(D(x)) - E log(1-σ(D(G(z)))); the generator minimises
/// -E log σ(D(G(z))) instead of E log(1-σ(D(G(z)))), which saturates early in training. Written
/// naively: the generator rewrites each log-sigmoid into its stable softplus form.
/// </remarks>
[GanLoss("nonsaturating")]
public partial class NonSaturating
{
    [DiscriminatorLoss]
    static Loss Discriminator => -Mean(Log(Sigmoid(D(x)))) - Mean(Log(1 - Sigmoid(D(G(z)))));

    [GeneratorLoss]
    static Loss Generator => -Mean(Log(Sigmoid(D(G(z)))));
}
