namespace GanDsl.Losses;

/// <summary>
/// Cramér GAN (Bellemare et al. 2017, "The Cramer Distance as a Solution to Biased Wasserstein Gradients",
/// arXiv:1705.10743, Algorithm 1): with a feature critic f and a second, independent generated batch G(z2),
/// h(v) = ‖f(v) - f(G(z2))‖₂ - ‖f(v)‖₂ per sample (sample i of G(z2) paired with sample i of v); the generator
/// minimises the surrogate L_g = E h(x) - E h(G(z)), the critic minimises -L_g plus λ = 10 times a
/// gradient penalty on h at interpolates.
/// </summary>
[GanLoss("cramer")]
public partial class CramerGan
{
    /// <summary>Gradient-penalty weight λ.</summary>
    [Hyper] const double Lambda = 10;

    /// <summary>The feature critic f.</summary>
    [Network(NetworkRole.Critic, NetworkOutput.Features)]
    private static partial Expr F(Expr v);

    /// <summary>The Cramér critic h, per sample.</summary>
    static Expr h(Expr v) => Norm(F(v) - F(G(z2))) - Norm(F(v));

    /// <summary>The surrogate generator loss L_g.</summary>
    static Expr Surrogate => Mean(h(x)) - Mean(h(G(z)));

    /// <summary>WGAN-GP's two-sided penalty, on h rather than on D.</summary>
    static Expr PenaltyOnH(Expr at) => Mean(Square(Norm(Grad(h(at), at)) - 1));

    [DiscriminatorLoss] static Loss Critic => -Surrogate + Lambda * PenaltyOnH(Between(x, G(z)));

    [GeneratorLoss] static Loss Generator => Surrogate;
}
