namespace GanDsl.Losses;

/// <summary>
/// Conditional GAN (Mirza &amp; Osindero 2014, "Conditional Generative Adversarial Nets"): both players see the class
/// label, D(x, y) judges whether x is a real sample of class y and G(z, yz) makes a sample of class yz.
/// </summary>
/// <remarks>
/// The paper's eq. 2, min_G max_D E log D(x|y) + E log(1 − D(G(z|y))), in logits: the discriminator minimises
/// −E log σ(D(x, y)) − E log(1 − σ(D(G(z, yz), yz))); the generator minimises the non-saturating −E log σ(D(G(z, yz), yz))
/// (Goodfellow et al. 2014, §3), as the paper's experiments and common code train it. How the label enters the networks
/// (the paper concatenates it, embedded, to each network's input) is the networks' business, not the loss's.
/// </remarks>
[GanLoss("cgan")]
public partial class Cgan
{
    [DiscriminatorLoss]
    static Loss Discriminator => -Mean(Log(Sigmoid(D(x, y)))) - Mean(Log(1 - Sigmoid(D(G(z, yz), yz))));

    [GeneratorLoss]
    static Loss Generator => -Mean(Log(Sigmoid(D(G(z, yz), yz))));
}
