namespace GanDsl.Losses;

/// <summary>
/// Zero-centred gradient penalty (Thanh-Tung, Tran &amp; Venkatesh 2019, "Improving Generalization and
/// Stability of GANs") on the non-saturating loss: λ E ‖∇D(x̂)‖² at x̂ = α x + (1-α) G(z), λ = 10.
/// </summary>
[GanLoss("zero-gp")]
public partial class ZeroGp
{
    /// <summary>Penalty weight λ.</summary>
    [Hyper] const double Lambda = 10;

    [DiscriminatorLoss]
    static Loss Discriminator =>
        -Mean(Log(Sigmoid(D(x)))) - Mean(Log(1 - Sigmoid(D(G(z))))) + Lambda * ZeroCenteredPenalty(Between(x, G(z)));

    [GeneratorLoss] static Loss Generator => -Mean(Log(Sigmoid(D(G(z)))));
}
