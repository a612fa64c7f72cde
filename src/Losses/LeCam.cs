namespace GanDsl.Losses;

/// <summary>
/// LeCam regularisation (Tseng, Jiang, Liu, Yang &amp; Yang 2021, "Regularizing Generative Adversarial Networks
/// under Limited Data", eq. 3) on the hinge loss: R_LC = E (D(x) - α_F)² + E (D(G(z)) - α_R)², where the
/// anchors α_R and α_F are exponential moving averages (decay 0.99) of the critic's mean output on real and
/// generated samples. It pulls real outputs toward the fakes' history and fake outputs toward the reals'.
/// </summary>
/// <remarks>
/// The anchors are loss state, updated after each critic step with that step's outputs, so a step is
/// regularised toward the anchors of the steps before it (the authors' code updates them just before
/// computing R_LC; the difference is one step of a 100-step average). λ = 0.3 is the weight the paper uses
/// on CIFAR. The authors' code also writes the squares as relu(·)²; this follows the paper's eq. 3.
/// </remarks>
[GanLoss("lecam")]
public partial class LeCam
{
    /// <summary>Weight λ of the regulariser.</summary>
    [Hyper] const double Lambda = 0.3;

    /// <summary>Decay of the anchors' moving averages.</summary>
    [Hyper] const double Decay = 0.99;

    /// <summary>α_R: moving average of E D(x).</summary>
    [State(0, StateUpdateTiming.AfterCriticStep)]
    static Expr AlphaR => Decay * AlphaR + (1 - Decay) * Mean(D(x));

    /// <summary>α_F: moving average of E D(G(z)).</summary>
    [State(0, StateUpdateTiming.AfterCriticStep)]
    static Expr AlphaF => Decay * AlphaF + (1 - Decay) * Mean(D(G(z)));

    /// <summary>R_LC, reported as a term.</summary>
    static Expr RLc => Mean(Square(D(x) - AlphaF)) + Mean(Square(D(G(z)) - AlphaR));

    [DiscriminatorLoss] static Loss Critic => Mean(Relu(1 - D(x))) + Mean(Relu(1 + D(G(z)))) + Lambda * RLc;

    [GeneratorLoss] static Loss Generator => -Mean(D(G(z)));
}
