namespace GanDsl.Losses;

/// <summary>
/// Relaxed WGAN (Guo et al. 2017, "Relaxed Wasserstein with Applications to GANs", arXiv:1705.07164):
/// the WGAN critic loss with asymmetric clamping of the critic's parameters to [-c_lo, c_hi] instead of
/// symmetric clipping. Interpretation (tests/reference/zoo/conventions.md): the KL-generated Bregman cost
/// enters through the asymmetric constraint; c_lo = 0.01, c_hi = 0.02; WGAN's schedule and optimizer.
/// </summary>
[GanLoss("rwgan"), CriticSteps(5), ClipWeights("D", -0.01, 0.02), RMSprop(5e-5)]
public partial class Rwgan
{
    [DiscriminatorLoss] static Loss Critic => Mean(D(G(z))) - Mean(D(x));

    [GeneratorLoss] static Loss Generator => -Mean(D(G(z)));
}
