namespace GanDsl.Losses;

/// <summary>
/// R2 regularisation (Mescheder, Geiger &amp; Nowozin 2018) on the non-saturating loss: γ/2 E ‖∇D(G(z))‖² at
/// generated samples (a constant batch in the critic step), γ = 10.
/// </summary>
[GanLoss("r2")]
public partial class R2Regularized
{
    /// <summary>Regularisation weight γ.</summary>
    [Hyper] const double Gamma = 10;

    [DiscriminatorLoss]
    static Loss Discriminator =>
        -Mean(Log(Sigmoid(D(x)))) - Mean(Log(1 - Sigmoid(D(G(z))))) + R2(Gamma);

    [GeneratorLoss] static Loss Generator => -Mean(Log(Sigmoid(D(G(z)))));
}
