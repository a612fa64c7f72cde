namespace GanDsl.Losses;

/// <summary>
/// TAC-GAN (Gong, Xu, Li, Zhang, Tao &amp; Batmanghelich 2019, "Twin Auxiliary Classifiers GAN"): AC-GAN plus a twin
/// classifier Qmi trained on generated samples only, whose loss the generator maximises, which removes AC-GAN's bias
/// towards samples that are easy to classify.
/// </summary>
/// <remarks>
/// <para>The paper's objective (its eq. 9), min over G and Q, max over D and Qmi of
/// V(G, D) + λ·(E_{P_XY} CE(Q(x), y) + E_{Q_XY} CE(Q(x), y)) − λ·E_{Q_XY} CE(Qmi(x), y): the critic step trains D, Q and Qmi
/// (Qmi minimises its cross-entropy on generated samples), the generator step adds the class term and subtracts Qmi's:</para>
/// <para>L_D = −E log σ(D(x)) − E log(1 − σ(D(G(z, yz)))) + λ·(E CE(Q(x), y) + E CE(Q(G(z, yz)), yz)) + λ·E CE(Qmi(G(z, yz)), yz),</para>
/// <para>L_G = −E log σ(D(G(z, yz))) + λ·E CE(Q(G(z, yz)), yz) − λ·E CE(Qmi(G(z, yz)), yz).</para>
/// <para>The source terms are non-saturating, as in AC-GAN's common code and the paper's (BigGAN-based) code; λ = 1. D's
/// module returns [B, 1 + 2K]: its score, Q's K logits, then Qmi's, so one pass of D's trunk gives all three.</para>
/// </remarks>
[GanLoss("tac-gan")]
public partial class TacGan
{
    /// <summary>Weight λ of the classifier terms (λ_c = 1 in the paper's experiments).</summary>
    [Hyper] const double Lambda = 1;

    /// <summary>The auxiliary classifier, trained on real and generated samples.</summary>
    [ClassHead("D")]
    private static partial Expr Q(Expr v);

    /// <summary>The twin classifier, trained on generated samples only.</summary>
    [ClassHead("D")]
    private static partial Expr Qmi(Expr v);

    [DiscriminatorLoss]
    static Loss Discriminator =>
        -Mean(Log(Sigmoid(D(x)))) - Mean(Log(1 - Sigmoid(D(G(z, yz)))))
        + Lambda * (Mean(CrossEntropy(Q(x), y)) + Mean(CrossEntropy(Q(G(z, yz)), yz)))
        + Lambda * Mean(CrossEntropy(Qmi(G(z, yz)), yz));

    [GeneratorLoss]
    static Loss Generator =>
        -Mean(Log(Sigmoid(D(G(z, yz)))))
        + Lambda * (Mean(CrossEntropy(Q(G(z, yz)), yz)) - Mean(CrossEntropy(Qmi(G(z, yz)), yz)));
}
