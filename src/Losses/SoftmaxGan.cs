namespace GanDsl.Losses;

/// <summary>
/// Softmax GAN (Lin 2017, "Softmax GAN", arXiv:1704.06191): the critic's outputs over the whole minibatch B = B₊ ∪ B₋ of
/// real and generated samples define a Boltzmann distribution e^{-D(x)}/Z_B, Z_B = Σ_{x∈B} e^{-D(x)}. The critic matches it to
/// the distribution uniform on the real samples, the generator to the one uniform on all of B (eqs. 5-6):
/// L_D = Σ_{x∈B₊} D(x)/|B₊| + ln Z_B, L_G = Σ_{x∈B} D(x)/|B| + ln Z_B.
/// </summary>
/// <remarks>
/// ln Z_B is computed stably from the two batches' log-sum-exps a = ln Σ e^{-D(x)}, b = ln Σ e^{-D(G(z))}:
/// ln(e^a + e^b) = a + softplus(b - a), finite for critic outputs of any size. |B₊| = |B₋|, so Σ_{x∈B} D(x)/|B| is the
/// average of the two batch means.
/// </remarks>
[GanLoss("softmax-gan")]
public partial class SoftmaxGan
{
    /// <summary>ln Z_B over the real and generated batch, reported as a term.</summary>
    static Expr LogPartition => LogSumExp(-D(x)) + Softplus(LogSumExp(-D(G(z))) - LogSumExp(-D(x)));

    [DiscriminatorLoss] static Loss Critic => Mean(D(x)) + LogPartition;

    [GeneratorLoss] static Loss Generator => 0.5 * (Mean(D(x)) + Mean(D(G(z)))) + LogPartition;
}
