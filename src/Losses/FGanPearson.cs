namespace GanDsl.Losses;

/// <summary>
/// f-GAN (Nowozin, Cseke &amp; Tomioka 2016, "f-GAN: Training Generative Neural Samplers using Variational
/// Divergence Minimization", Table 2) with the Pearson χ² divergence: output activation g_f(v) = v, conjugate f*(t) = t²/4 + t.
/// The critic V maximises F = E g_f(V(x)) - E f*(g_f(V(G(z)))) (eq. 6); the generator maximises
/// E g_f(V(G(z))), the alternative of section 3.2 that the paper's experiments use. <c>fgan-pearson-saturating</c>
/// trains the generator on the saddle-point objective instead.
/// </summary>
[GanLoss("fgan-pearson")]
public partial class FGanPearson
{
    /// <summary>The output activation g_f(v) = v.</summary>
    internal static Expr Activation(Expr v) => v;

    /// <summary>f*(g_f(v)) = v²/4 + v.</summary>
    internal static Expr ConjugateOfActivation(Expr v) => Square(v) / 4 + v;

    [DiscriminatorLoss] static Loss Critic => -(Mean(Activation(D(x))) - Mean(ConjugateOfActivation(D(G(z)))));

    [GeneratorLoss] static Loss Generator => -Mean(Activation(D(G(z))));
}

/// <summary>
/// f-GAN with the Pearson χ² divergence, generator on the saddle-point objective of Nowozin et al. 2016, eq. 6:
/// it minimises F, i.e. -E f*(g_f(V(G(z)))). The critic is <c>fgan-pearson</c>'s.
/// </summary>
[GanLoss("fgan-pearson-saturating")]
public partial class FGanPearsonSaturating
{
    [DiscriminatorLoss] static Loss Critic => -(Mean(FGanPearson.Activation(D(x))) - Mean(FGanPearson.ConjugateOfActivation(D(G(z)))));

    [GeneratorLoss] static Loss Generator => -Mean(FGanPearson.ConjugateOfActivation(D(G(z))));
}
