// GAN0026 (Exp of an unbounded critic output) is the divergence itself here: KL's conjugate is exp(t - 1), as in Nowozin et al.'s
// Table 2. The warning stays in LossInfo.Warnings, so a run that overflows is told so by the non-finite guard.
#pragma warning disable GAN0026

namespace GanDsl.Losses;

/// <summary>
/// f-GAN (Nowozin, Cseke &amp; Tomioka 2016, "f-GAN: Training Generative Neural Samplers using Variational
/// Divergence Minimization", Table 2) with the Kullback-Leibler divergence KL(P‖Q): output activation g_f(v) = v, conjugate f*(t) = exp(t - 1).
/// The critic V maximises F = E g_f(V(x)) - E f*(g_f(V(G(z)))) (eq. 6); the generator maximises
/// E g_f(V(G(z))), the alternative of section 3.2 that the paper's experiments use. <c>fgan-kl-saturating</c>
/// trains the generator on the saddle-point objective instead.
/// </summary>
[GanLoss("fgan-kl")]
public partial class FGanKl
{
    /// <summary>The output activation g_f(v) = v.</summary>
    internal static Expr Activation(Expr v) => v;

    /// <summary>f*(g_f(v)) = exp(v - 1).</summary>
    internal static Expr ConjugateOfActivation(Expr v) => Exp(v - 1);

    [DiscriminatorLoss] static Loss Critic => -(Mean(Activation(D(x))) - Mean(ConjugateOfActivation(D(G(z)))));

    [GeneratorLoss] static Loss Generator => -Mean(Activation(D(G(z))));
}

/// <summary>
/// f-GAN with the Kullback-Leibler divergence KL(P‖Q), generator on the saddle-point objective of Nowozin et al. 2016, eq. 6:
/// it minimises F, i.e. -E f*(g_f(V(G(z)))). The critic is <c>fgan-kl</c>'s.
/// </summary>
[GanLoss("fgan-kl-saturating")]
public partial class FGanKlSaturating
{
    [DiscriminatorLoss] static Loss Critic => -(Mean(FGanKl.Activation(D(x))) - Mean(FGanKl.ConjugateOfActivation(D(G(z)))));

    [GeneratorLoss] static Loss Generator => -Mean(FGanKl.ConjugateOfActivation(D(G(z))));
}
