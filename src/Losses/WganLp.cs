namespace GanDsl.Losses;

/// <summary>
/// WGAN-LP (Petzka, Fischer &amp; Lukovnikov 2018, "On the regularization of Wasserstein GANs", eq. 8):
/// WGAN-GP with the one-sided penalty λ E max(0, ‖∇D(x̂)‖₂ - 1)², which only penalises gradients above 1;
/// same interpolates and schedule as WGAN-GP.
/// </summary>
[GanLoss("wgan-lp"), CriticSteps(5), Adam(1e-4, 0.5, 0.9)]
public partial class WganLp
{
    /// <summary>Penalty weight λ.</summary>
    [Hyper] const double Lambda = 10;

    [DiscriminatorLoss] static Loss Critic => Mean(D(G(z))) - Mean(D(x)) + Lambda * OneSidedPenalty(Between(x, G(z)));

    [GeneratorLoss] static Loss Generator => -Mean(D(G(z)));
}
