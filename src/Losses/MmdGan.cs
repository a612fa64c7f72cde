namespace GanDsl.Losses;

/// <summary>
/// MMD GAN (Li, Chang, Cheng, Yang &amp; Póczos 2017, "MMD GAN: Towards Deeper Understanding of Moment Matching
/// Network", arXiv:1705.08584): GMMN's MMD² on features f learned adversarially; the critic maximises it, the
/// generator minimises it; weight clipping [-0.01, 0.01], 5 critic steps, RMSprop lr 5e-5. The paper's
/// autoencoder reconstruction and one-sided terms are separate terms a variant can add.
/// </summary>
[GanLoss("mmdgan"), CriticSteps(5), ClipWeights("F", 0.01), RMSprop(5e-5)]
public partial class MmdGan
{
    /// <summary>The learned feature map f.</summary>
    [Network(NetworkRole.Critic, NetworkOutput.Features)]
    private static partial Expr F(Expr v);

    [DiscriminatorLoss] static Loss Critic => -Mmd2(F(x), F(G(z)));

    [GeneratorLoss] static Loss Generator => Mmd2(F(x), F(G(z)));
}
