namespace GanDsl.Losses;

/// <summary>
/// R1 regularisation (Mescheder, Geiger &amp; Nowozin 2018, "Which Training Methods for GANs do actually
/// Converge?", eq. 9) on the non-saturating loss: γ/2 E ‖∇ₓD(x)‖² at real samples, γ = 10.
/// </summary>
[GanLoss("r1")]
public partial class R1Regularized
{
    /// <summary>Regularisation weight γ.</summary>
    [Hyper] const double Gamma = 10;

    [DiscriminatorLoss]
    static Loss Discriminator =>
        -Mean(Log(Sigmoid(D(x)))) - Mean(Log(1 - Sigmoid(D(G(z))))) + R1(Gamma);

    [GeneratorLoss] static Loss Generator => -Mean(Log(Sigmoid(D(G(z)))));
}
