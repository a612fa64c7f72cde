namespace GanDsl.Losses;

/// <summary>
/// f-GAN (Nowozin, Cseke &amp; Tomioka 2016, "f-GAN: Training Generative Neural Samplers using Variational
/// Divergence Minimization", Table 2) with the squared Hellinger distance: output activation g_f(v) = 1 - exp(-v), conjugate f*(t) = t / (1 - t).
/// The critic V maximises F = E g_f(V(x)) - E f*(g_f(V(G(z)))) (eq. 6); the generator maximises
/// E g_f(V(G(z))), the alternative of section 3.2 that the paper's experiments use. <c>fgan-hellinger-saturating</c>
/// trains the generator on the saddle-point objective instead.
/// </summary>
[GanLoss("fgan-hellinger")]
public partial class FGanHellinger
{
    /// <summary>The output activation g_f(v) = 1 - exp(-v).</summary>
    internal static Expr Activation(Expr v) => -Expm1(-v);

    /// <summary>f*(g_f(v)) = (1 - e^{-v}) / e^{-v} = exp(v) - 1, written expm1 (no cancellation near 0).</summary>
    internal static Expr ConjugateOfActivation(Expr v) => Expm1(v);

    [DiscriminatorLoss] static Loss Critic => -(Mean(Activation(D(x))) - Mean(ConjugateOfActivation(D(G(z)))));

    [GeneratorLoss] static Loss Generator => -Mean(Activation(D(G(z))));
}

/// <summary>
/// f-GAN with the squared Hellinger distance, generator on the saddle-point objective of Nowozin et al. 2016, eq. 6:
/// it minimises F, i.e. -E f*(g_f(V(G(z)))). The critic is <c>fgan-hellinger</c>'s.
/// </summary>
[GanLoss("fgan-hellinger-saturating")]
public partial class FGanHellingerSaturating
{
    [DiscriminatorLoss] static Loss Critic => -(Mean(FGanHellinger.Activation(D(x))) - Mean(FGanHellinger.ConjugateOfActivation(D(G(z)))));

    [GeneratorLoss] static Loss Generator => -Mean(FGanHellinger.ConjugateOfActivation(D(G(z))));
}
