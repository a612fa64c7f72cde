// GAN0026 (Exp of an unbounded critic output) is the divergence itself here: reverse KL's activation is -exp(-v), as in Nowozin et al.'s
// Table 2. The warning stays in LossInfo.Warnings, so a run that overflows is told so by the non-finite guard.
#pragma warning disable GAN0026

namespace GanDsl.Losses;

/// <summary>
/// f-GAN (Nowozin, Cseke &amp; Tomioka 2016, "f-GAN: Training Generative Neural Samplers using Variational
/// Divergence Minimization", Table 2) with the reverse Kullback-Leibler divergence KL(Q‖P): output activation g_f(v) = -exp(-v), conjugate f*(t) = -1 -
/// log(-t).
/// The critic V maximises F = E g_f(V(x)) - E f*(g_f(V(G(z)))) (eq. 6); the generator maximises
/// E g_f(V(G(z))), the alternative of section 3.2 that the paper's experiments use. <c>fgan-rkl-saturating</c>
/// trains the generator on the saddle-point objective instead.
/// </summary>
[GanLoss("fgan-rkl")]
public partial class FGanReverseKl
{
    /// <summary>The output activation g_f(v) = -exp(-v).</summary>
    internal static Expr Activation(Expr v) => -Exp(-v);

    /// <summary>f*(g_f(v)) = -1 - log(exp(-v)) = v - 1, folded by hand (no log of an exponential).</summary>
    internal static Expr ConjugateOfActivation(Expr v) => v - 1;

    [DiscriminatorLoss] static Loss Critic => -(Mean(Activation(D(x))) - Mean(ConjugateOfActivation(D(G(z)))));

    [GeneratorLoss] static Loss Generator => -Mean(Activation(D(G(z))));
}

/// <summary>
/// f-GAN with the reverse Kullback-Leibler divergence KL(Q‖P), generator on the saddle-point objective of Nowozin et al. 2016, eq. 6:
/// it minimises F, i.e. -E f*(g_f(V(G(z)))). The critic is <c>fgan-rkl</c>'s.
/// </summary>
[GanLoss("fgan-rkl-saturating")]
public partial class FGanReverseKlSaturating
{
    [DiscriminatorLoss] static Loss Critic => -(Mean(FGanReverseKl.Activation(D(x))) - Mean(FGanReverseKl.ConjugateOfActivation(D(G(z)))));

    [GeneratorLoss] static Loss Generator => -Mean(FGanReverseKl.ConjugateOfActivation(D(G(z))));
}
