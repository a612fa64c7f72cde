namespace GanDsl.Losses;

/// <summary>
/// Wasserstein GAN (Arjovsky, Chintala &amp; Bottou 2017, Algorithm 1): a critic estimating the
/// Earth-Mover distance, kept Lipschitz by clipping every critic weight to [-0.01, 0.01] after each
/// critic update; 5 critic steps per generator step; RMSprop, lr 5e-5, no momentum.
/// </summary>
[GanLoss("wgan"), CriticSteps(5), ClipWeights("D", 0.01), RMSprop(5e-5)]
public partial class Wgan
{
    [DiscriminatorLoss] static Loss Critic => Mean(D(G(z))) - Mean(D(x));

    [GeneratorLoss] static Loss Generator => -Mean(D(G(z)));
}
