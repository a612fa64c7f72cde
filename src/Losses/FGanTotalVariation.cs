namespace GanDsl.Losses;

/// <summary>
/// f-GAN (Nowozin, Cseke &amp; Tomioka 2016, "f-GAN: Training Generative Neural Samplers using Variational
/// Divergence Minimization", Table 2) with the total variation distance: output activation g_f(v) = ½ tanh(v), conjugate f*(t) = t.
/// The critic V maximises F = E g_f(V(x)) - E f*(g_f(V(G(z)))) (eq. 6); the generator maximises
/// E g_f(V(G(z))), the alternative of section 3.2 that the paper's experiments use. <c>fgan-tv-saturating</c>
/// trains the generator on the saddle-point objective instead.
/// </summary>
/// <remarks>Both generator forms coincide here (f* is the identity), so <c>fgan-tv-saturating</c> equals <c>fgan-tv</c>;
/// it is registered for the family's symmetry.</remarks>
[GanLoss("fgan-tv")]
public partial class FGanTotalVariation
{
    /// <summary>The output activation g_f(v) = ½ tanh(v).</summary>
    internal static Expr Activation(Expr v) => 0.5 * Tanh(v);

    /// <summary>f*(g_f(v)) = ½ tanh(v).</summary>
    internal static Expr ConjugateOfActivation(Expr v) => 0.5 * Tanh(v);

    [DiscriminatorLoss] static Loss Critic => -(Mean(Activation(D(x))) - Mean(ConjugateOfActivation(D(G(z)))));

    [GeneratorLoss] static Loss Generator => -Mean(Activation(D(G(z))));
}

/// <summary>
/// f-GAN with the total variation distance, generator on the saddle-point objective of Nowozin et al. 2016, eq. 6:
/// it minimises F, i.e. -E f*(g_f(V(G(z)))). The critic is <c>fgan-tv</c>'s.
/// </summary>
[GanLoss("fgan-tv-saturating")]
public partial class FGanTotalVariationSaturating
{
    [DiscriminatorLoss] static Loss Critic => -(Mean(FGanTotalVariation.Activation(D(x))) - Mean(FGanTotalVariation.ConjugateOfActivation(D(G(z)))));

    [GeneratorLoss] static Loss Generator => -Mean(FGanTotalVariation.ConjugateOfActivation(D(G(z))));
}
