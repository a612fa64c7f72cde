namespace GanDsl.Losses;

/// <summary>
/// f-GAN (Nowozin, Cseke &amp; Tomioka 2016, "f-GAN: Training Generative Neural Samplers using Variational
/// Divergence Minimization", Table 2) with the GAN divergence 2 JS(P‖Q) - log 4: output activation g_f(v) = -log(1 + exp(-v)) = -softplus(-v), conjugate
/// f*(t) = -log(1 - exp(t)).
/// The critic V maximises F = E g_f(V(x)) - E f*(g_f(V(G(z)))) (eq. 6); the generator maximises
/// E g_f(V(G(z))), the alternative of section 3.2 that the paper's experiments use. <c>fgan-gan-saturating</c>
/// trains the generator on the saddle-point objective instead.
/// </summary>
/// <remarks>With these forms the critic loss is the minimax one of Goodfellow et al. 2014, the generator loss
/// the non-saturating one, and the saturating generator loss the minimax one.</remarks>
[GanLoss("fgan-gan")]
public partial class FGanGan
{
    /// <summary>The output activation g_f(v) = -log(1 + exp(-v)) = -softplus(-v).</summary>
    internal static Expr Activation(Expr v) => -Softplus(-v);

    /// <summary>f*(g_f(v)) = -log(1 - σ(v)) = softplus(v), the stable form.</summary>
    internal static Expr ConjugateOfActivation(Expr v) => Softplus(v);

    [DiscriminatorLoss] static Loss Critic => -(Mean(Activation(D(x))) - Mean(ConjugateOfActivation(D(G(z)))));

    [GeneratorLoss] static Loss Generator => -Mean(Activation(D(G(z))));
}

/// <summary>
/// f-GAN with the GAN divergence 2 JS(P‖Q) - log 4, generator on the saddle-point objective of Nowozin et al. 2016, eq. 6:
/// it minimises F, i.e. -E f*(g_f(V(G(z)))). The critic is <c>fgan-gan</c>'s.
/// </summary>
[GanLoss("fgan-gan-saturating")]
public partial class FGanGanSaturating
{
    [DiscriminatorLoss] static Loss Critic => -(Mean(FGanGan.Activation(D(x))) - Mean(FGanGan.ConjugateOfActivation(D(G(z)))));

    [GeneratorLoss] static Loss Generator => -Mean(FGanGan.ConjugateOfActivation(D(G(z))));
}
