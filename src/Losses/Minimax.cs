namespace GanDsl.Losses;

/// <summary>
/// Minimax GAN (Goodfellow et al. 2014, "Generative Adversarial Nets", eq. 1): D maximises
/// E log σ(D(x)) + E log(1 - σ(D(G(z)))), G minimises the second term. Saturates early in training.
/// </summary>
/// <remarks>Written as in the paper; the generator rewrites the logs of sigmoids to softplus forms.</remarks>
[GanLoss("minimax")]
public partial class Minimax
{
    [DiscriminatorLoss] static Loss Discriminator => -Mean(Log(Sigmoid(D(x)))) - Mean(Log(1 - Sigmoid(D(G(z)))));

    [GeneratorLoss] static Loss Generator => Mean(Log(1 - Sigmoid(D(G(z)))));
}
