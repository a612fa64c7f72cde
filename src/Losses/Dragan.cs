namespace GanDsl.Losses;

/// <summary>
/// DRAGAN (Kodali et al. 2017, "On Convergence and Stability of GANs", arXiv:1705.07215): the
/// non-saturating loss plus a gradient penalty at real samples perturbed by
/// x̂ = x + α·C·std(x)·u, α ~ U[0,1) per sample, u ~ U[0,1) per element, std the population
/// standard deviation of the real batch (a constant).
/// </summary>
[GanLoss("dragan")]
public partial class Dragan
{
    /// <summary>Penalty weight λ (paper: 10).</summary>
    [Hyper] const double Lambda = 10;

    /// <summary>Perturbation scale C (paper: 0.5).</summary>
    [Hyper] const double C = 0.5;

    /// <summary>The perturbed real batch (the penalty library's DraganPoint, with C a hyperparameter).</summary>
    static Expr Perturbed => x + UniformPerSample(x) * (C * Std(x) * UniformLike(x));

    [DiscriminatorLoss]
    static Loss Discriminator =>
        -Mean(Log(Sigmoid(D(x)))) - Mean(Log(1 - Sigmoid(D(G(z))))) + Lambda * GradientPenalty(Perturbed);

    [GeneratorLoss] static Loss Generator => -Mean(Log(Sigmoid(D(G(z)))));
}
