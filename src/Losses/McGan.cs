namespace GanDsl.Losses;

/// <summary>
/// McGAN, mean matching (Mroueh, Sercu &amp; Goel 2017, "McGan: Mean and Covariance Feature Matching GAN",
/// q = 2): the critic maximises ‖E Φ(x) - E Φ(G(z))‖₂, the distance between the batch means of its
/// features; the generator minimises it. Φ is kept bounded by weight clipping (WGAN's setting:
/// [-0.01, 0.01], 5 critic steps, RMSprop lr 5e-5). The covariance variant is not declared here.
/// </summary>
[GanLoss("mcgan"), CriticSteps(5), ClipWeights("F", 0.01), RMSprop(5e-5)]
public partial class McGan
{
    /// <summary>The feature map Φ: a critic with a feature vector per sample.</summary>
    [Network(NetworkRole.Critic, NetworkOutput.Features)]
    private static partial Expr F(Expr v);

    /// <summary>‖E Φ(x) - E Φ(G(z))‖₂: the batch means are one row, so Norm gives one value and Mean reads it.</summary>
    static Expr MeanGap => Mean(Norm(BatchMean(F(x)) - BatchMean(F(G(z)))));

    [DiscriminatorLoss] static Loss Critic => -MeanGap;

    [GeneratorLoss] static Loss Generator => MeanGap;
}
