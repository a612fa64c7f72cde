namespace GanDsl.Losses;

/// <summary>
/// RaGAN with an auxiliary critic A (Jolicoeur-Martineau 2018, as one of the source articles writes it):
/// the generator's RaGAN loss plus λ E log(1 - σ(A(G(z)) - E A(x))). A is a second critic trained in the
/// same critic step with RaGAN's own loss (tests/reference/zoo/conventions.md); λ = 1.
/// </summary>
[GanLoss("ragan-aux")]
public partial class RaganAux
{
    /// <summary>Weight λ of the auxiliary critic's term.</summary>
    [Hyper] const double Lambda = 1;

    /// <summary>The auxiliary critic.</summary>
    [Network(NetworkRole.Critic, NetworkOutput.Score)]
    private static partial Expr A(Expr v);

    [DiscriminatorLoss]
    static Loss Discriminator =>
        AverageDiscriminatorLoss(D(x), D(G(z))) + AverageDiscriminatorLoss(A(x), A(G(z)));

    [GeneratorLoss]
    static Loss Generator =>
        AverageGeneratorLoss(D(x), D(G(z))) + Lambda * Mean(Log(1 - Sigmoid(A(G(z)) - Mean(A(x)))));
}
