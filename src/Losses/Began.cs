using static GanDsl.Vocabulary;

namespace GanDsl.Losses;

/// <summary>BEGAN (Berthelot et al. 2017): an autoencoder discriminator balanced by a proportional control variable k.</summary>
/// <remarks>
/// L(v) is the mean absolute reconstruction error of the autoencoder AE over all elements.
/// k starts at 0 and, after each critic step, moves by λ_k (γ L(x) - L(G(z))) using that step's
/// fake batch, clamped to [0, 1]. M = L(x) + |γ L(x) - L(G(z))| measures convergence.
/// The paper trains with Adam at an initial learning rate of 1e-4.
/// </remarks>
[GanLoss("began"), Adam(1e-4)]
public partial class Began
{
    /// <summary>Diversity ratio γ = E L(G(z)) / E L(x) the control aims for.</summary>
    [Hyper] const double Gamma = 0.5;

    /// <summary>Learning rate λ_k of the control variable.</summary>
    [Hyper] const double LambdaK = 0.001;

    /// <summary>Reconstruction loss of a batch: mean |AE(v) - v| over all elements.</summary>
    static Expr L(Expr v) => Mean(Abs(AE(v) - v));

    /// <summary>Equilibrium control variable k, k₀ = 0, updated after each critic step.</summary>
    [State(0, StateUpdateTiming.AfterCriticStep)]
    static Expr k => Clamp(k + LambdaK * (Gamma * L(x) - L(G(z))), 0, 1);

    /// <summary>Convergence measure M = L(x) + |γ L(x) - L(G(z))|.</summary>
    static Expr M => L(x) + Abs(Gamma * L(x) - L(G(z)));

    [DiscriminatorLoss]
    static Loss Discriminator => L(x) - k * L(G(z));

    [GeneratorLoss]
    static Loss Generator => L(G(z));
}
