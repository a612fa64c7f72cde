using static GanDsl.Penalties;
using static GanDsl.Vocabulary;

namespace GanDsl.Losses;

/// <summary>WGAN-GP (Gulrajani et al. 2017): Wasserstein critic with a two-sided gradient penalty.</summary>
/// <remarks>
/// The penalty is taken at random interpolates x̂ = ε x + (1-ε) G(z), one ε per sample; the paper
/// trains with 5 critic steps, Adam lr 1e-4, betas (0.5, 0.9), and no batch norm in the critic.
/// </remarks>
[GanLoss("wgan-gp"), CriticSteps(5), Adam(1e-4, 0.5, 0.9)]
public partial class WganGp
{
    /// <summary>Penalty weight λ (the paper's toy 2-D experiments use 0.1).</summary>
    [Hyper] const double Lambda = 10;

    /// <summary>The gradient penalty at random interpolates, reported as a term.</summary>
    static Expr Gp => GradientPenalty(Between(x, G(z)));

    [DiscriminatorLoss]
    static Loss Critic => Mean(D(G(z))) - Mean(D(x)) + Lambda * Gp;

    [GeneratorLoss]
    static Loss Generator => -Mean(D(G(z)));
}
