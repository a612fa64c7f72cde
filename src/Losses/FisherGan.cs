namespace GanDsl.Losses;

/// <summary>
/// Fisher GAN (Mroueh &amp; Sercu 2017, "Fisher GAN", Algorithm 1): the critic maximises the augmented
/// Lagrangian L_F = Ê + λ(1 - Ω) - ρ/2 (1 - Ω)² of the IPM Ê = E f(x) - E f(G(z)) under the second-moment
/// constraint Ω = ½(E f(x)² + E f(G(z))²) = 1; the multiplier λ (starting at 0) follows
/// λ ← λ - ρ(1 - Ω) after each critic step (the authors' code: gradient ascent on λ's loss), ρ = 1e-6.
/// </summary>
[GanLoss("fisher")]
public partial class FisherGan
{
    /// <summary>Penalty weight and multiplier step ρ.</summary>
    [Hyper] const double Rho = 1e-6;

    /// <summary>The Lagrange multiplier λ of the constraint Ω = 1, updated with the Ω of the step's critic.</summary>
    [State(0, StateUpdateTiming.AfterCriticStep)]
    static Expr Lambda => Lambda - Rho * (1 - Omega);

    /// <summary>Ê, the IPM estimate.</summary>
    static Expr Ipm => Mean(D(x)) - Mean(D(G(z)));

    /// <summary>Ω, the critic's second moment on real and generated samples.</summary>
    static Expr Omega => 0.5 * (Mean(Square(D(x))) + Mean(Square(D(G(z)))));

    [DiscriminatorLoss] static Loss Critic => -(Ipm + Lambda * (1 - Omega) - Rho / 2 * Square(1 - Omega));

    /// <summary>The part of Ê that depends on G.</summary>
    [GeneratorLoss] static Loss Generator => -Mean(D(G(z)));
}
