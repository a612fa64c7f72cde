namespace GanDsl.Losses;

/// <summary>
/// WGAN-div (Wu, Huang, Thoma, Acharya &amp; Van Gool 2018, "Wasserstein Divergence for GANs", ECCV): the Wasserstein
/// critic objective plus the divergence term k E ‖∇D(x̂)‖^p, x̂ ~ P_u, with the paper's k = 2 and p = 6.
/// </summary>
/// <remarks>
/// P_u is taken as the even mixture of the real and the generated batch (the paper samples real and fake
/// points; reimplementations average the two penalties), so the term is k/2 (E ‖∇D(x)‖^p + E ‖∇D(G(z))‖^p).
/// Unlike WGAN-GP's, the term needs no interpolates and no target norm of 1 (it is a divergence, not a
/// constraint). Five critic steps as WGAN-GP.
/// </remarks>
[GanLoss("wgan-div"), CriticSteps(5)]
public partial class WganDiv
{
    /// <summary>Weight k of the divergence term (paper: 2).</summary>
    [Hyper] const double K = 2;

    /// <summary>Power p of the gradient norm (paper: 6).</summary>
    [Hyper] const double P = 6;

    /// <summary>k E_{P_u} ‖∇D‖^p over the real and generated samples, reported as a term.</summary>
    static Expr Div => K / 2 * (Mean(Pow(Norm(Grad(D(x), x)), P)) + Mean(Pow(Norm(Grad(D(G(z)), G(z))), P)));

    [DiscriminatorLoss] static Loss Critic => Mean(D(G(z))) - Mean(D(x)) + Div;

    [GeneratorLoss] static Loss Generator => -Mean(D(G(z)));
}
