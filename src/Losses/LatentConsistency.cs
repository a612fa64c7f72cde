namespace GanDsl.Losses;

/// <summary>
/// Latent consistency regularisation, zCR (Zhao, Singh, Lee, Zhang, Odena &amp; Zhang 2021, "Improved Consistency
/// Regularization for GANs", Algorithm 2) on the non-saturating loss. With T(z) = z + Δz, Δz ~ N(0, σ²I), the critic is
/// asked to score G(z) and G(T(z)) alike, λ_dis E (D(G(z)) - D(G(T(z))))², while the generator is rewarded for
/// keeping them apart, -λ_gen E ‖G(z) - G(T(z))‖², so that it does not collapse nearby latents onto one sample.
/// The paper's λ_dis = 5, λ_gen = 0.5, σ = 0.03.
/// </summary>
[GanLoss("zcr")]
public partial class LatentConsistency
{
    /// <summary>Weight λ_dis of the critic's consistency term.</summary>
    [Hyper] const double LambdaDis = 5;

    /// <summary>Weight λ_gen of the generator's diversity term.</summary>
    [Hyper] const double LambdaGen = 0.5;

    /// <summary>Standard deviation σ of the latent perturbation Δz.</summary>
    [Hyper] const double SigmaNoise = 0.03;

    /// <summary>The perturbed latent T(z) = z + Δz.</summary>
    static Expr PerturbedNoise => Jitter(z, SigmaNoise);

    /// <summary>E (D(G(z)) - D(G(T(z))))², reported as a term.</summary>
    static Expr DiscriminatorConsistency => Mean(Square(D(G(z)) - D(G(PerturbedNoise))));

    /// <summary>E ‖G(z) - G(T(z))‖², reported as a term.</summary>
    static Expr GeneratorSpread => Mean(Square(Norm(G(z) - G(PerturbedNoise))));

    [DiscriminatorLoss]
    static Loss Discriminator =>
        -Mean(Log(Sigmoid(D(x)))) - Mean(Log(1 - Sigmoid(D(G(z))))) + LambdaDis * DiscriminatorConsistency;

    [GeneratorLoss] static Loss Generator => -Mean(Log(Sigmoid(D(G(z))))) - LambdaGen * GeneratorSpread;
}
