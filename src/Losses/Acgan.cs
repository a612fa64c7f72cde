namespace GanDsl.Losses;

/// <summary>
/// AC-GAN (Odena, Olah &amp; Shlens 2017, "Conditional Image Synthesis with Auxiliary Classifier GANs"): the
/// discriminator also classifies, with an auxiliary classifier Q on its own trunk, and the generator is rewarded for
/// samples Q puts in the class asked for.
/// </summary>
/// <remarks>
/// <para>The paper's eqs. 2-3: L_S = E log P(S = real | x) + E log P(S = fake | G(z, c)) and L_C = E log P(C = c | x) +
/// E log P(C = c | G(z, c)); D is trained to maximise L_S + L_C, G to maximise L_C − L_S. In logits, with Q the class
/// logits of D's forward pass:</para>
/// <para>L_D = −E log σ(D(x)) − E log(1 − σ(D(G(z, yz)))) + λ·(E CE(Q(x), y) + E CE(Q(G(z, yz)), yz)),</para>
/// <para>L_G = −E log σ(D(G(z, yz))) + λ·E CE(Q(G(z, yz)), yz).</para>
/// <para>The paper's G maximises L_C − L_S, so its source term is the saturating one; implementations use the
/// non-saturating −E log σ(D(G(z, yz))), as here (TAC-GAN's official code does for its AC-GAN baseline, which also
/// trains Q on real samples only; here Q learns from both, as in the paper's L_C). The paper weighs both parts equally
/// (λ = 1). D's module returns [B, 1 + K]: its score, then Q's K class logits, so one pass on a batch gives D(x) and Q(x).</para>
/// </remarks>
[GanLoss("acgan")]
public partial class Acgan
{
    /// <summary>Weight λ of the class terms (1 in the paper).</summary>
    [Hyper] const double Lambda = 1;

    /// <summary>The auxiliary classifier: K class logits from D's trunk.</summary>
    [ClassHead("D")]
    private static partial Expr Q(Expr v);

    [DiscriminatorLoss]
    static Loss Discriminator =>
        -Mean(Log(Sigmoid(D(x)))) - Mean(Log(1 - Sigmoid(D(G(z, yz)))))
        + Lambda * (Mean(CrossEntropy(Q(x), y)) + Mean(CrossEntropy(Q(G(z, yz)), yz)));

    [GeneratorLoss]
    static Loss Generator => -Mean(Log(Sigmoid(D(G(z, yz))))) + Lambda * Mean(CrossEntropy(Q(G(z, yz)), yz));
}
