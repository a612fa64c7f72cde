namespace GanDsl.Losses;

/// <summary>
/// TAC-GAN (Gong, Xu, Li, Zhang, Tao &amp; Batmanghelich 2019, "Twin Auxiliary Classifiers GAN"): AC-GAN plus a twin
/// classifier Qmi trained on generated samples only, whose loss the generator maximises, which removes AC-GAN's bias
/// towards samples that are easy to classify.
/// </summary>
/// <remarks>
/// <para>The objective, min over G and Q, max over D and Qmi, of the GAN value + λ·(Q's cross-entropy) − λ·E_{Q_XY} CE(Qmi(x), y):
/// the critic step trains D, the classifier Q on real samples and the twin Qmi on generated ones (Qmi minimises its
/// cross-entropy there); the generator adds Q's class term and subtracts Qmi's:</para>
/// <para>L_D = −E log σ(D(x)) − E log(1 − σ(D(G(z, yz)))) + λ·(E CE(Q(x), y) + E CE(Qmi(G(z, yz)), yz)),</para>
/// <para>L_G = −E log σ(D(G(z, yz))) + λ·(E CE(Q(G(z, yz)), yz) − E CE(Qmi(G(z, yz)), yz)).</para>
/// <para>As the authors' code trains it (github.com/xuyanwu/TAC-GAN, loss type Twin_AC): Q sees only real samples in the
/// critic step (AC-GAN's D also trains Q on generated samples; the acgan loss does), the source terms are the
/// non-saturating ones, and λ (their C_w) is 1. D's module returns [B, 1 + 2K]: its score, Q's K logits, then Qmi's, so
/// one pass of D's trunk on a batch gives all three.</para>
/// </remarks>
[GanLoss("tac-gan")]
public partial class TacGan
{
    /// <summary>Weight λ of the classifier terms (C_w = 1 in the authors' code).</summary>
    [Hyper] const double Lambda = 1;

    /// <summary>The auxiliary classifier, trained on real samples.</summary>
    [ClassHead("D")]
    private static partial Expr Q(Expr v);

    /// <summary>The twin classifier, trained on generated samples only.</summary>
    [ClassHead("D")]
    private static partial Expr Qmi(Expr v);

    [DiscriminatorLoss]
    static Loss Discriminator =>
        -Mean(Log(Sigmoid(D(x)))) - Mean(Log(1 - Sigmoid(D(G(z, yz)))))
        + Lambda * (Mean(CrossEntropy(Q(x), y)) + Mean(CrossEntropy(Qmi(G(z, yz)), yz)));

    [GeneratorLoss]
    static Loss Generator =>
        -Mean(Log(Sigmoid(D(G(z, yz)))))
        + Lambda * (Mean(CrossEntropy(Q(G(z, yz)), yz)) - Mean(CrossEntropy(Qmi(G(z, yz)), yz)));
}
