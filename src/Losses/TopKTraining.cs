namespace GanDsl.Losses;

/// <summary>
/// Top-k training (Sinha, Zhao, Goyal, Raffel &amp; Odena 2020, "Top-k Training of GANs: Improving GAN Performance by
/// Throwing Away Bad Samples", Algorithm 1) on the non-saturating loss: the generator is updated only through the
/// k = ⌈f·B⌉ generated samples the critic scores highest; the others, which the critic already finds fake, would pull
/// the generator toward worse modes. f starts at 1 (every sample) and decays by γ each epoch down to ν.
/// </summary>
/// <remarks>
/// γ = 0.99 and ν = 0.5 as in the paper's experiments. The fraction decays at the end of each pass over the data, so on
/// an endless stream (the toy 2-D datasets) it stays at 1 and the loss is the non-saturating one.
/// </remarks>
[GanLoss("topk")]
public partial class TopKTraining
{
    /// <summary>Decay γ of the kept fraction per epoch.</summary>
    [Hyper] const double Gamma = 0.99;

    /// <summary>The smallest fraction ν that is kept.</summary>
    [Hyper] const double Nu = 0.5;

    /// <summary>The kept fraction f: f ← max(γ f, ν) at the end of each epoch.</summary>
    [State(1, StateUpdateTiming.EndOfEpoch)]
    static Expr Fraction => Max(Gamma * Fraction, Nu);

    [DiscriminatorLoss] static Loss Discriminator => -Mean(Log(Sigmoid(D(x)))) - Mean(Log(1 - Sigmoid(D(G(z)))));

    [GeneratorLoss] static Loss Generator => Mean(Softplus(-TopK(D(G(z)), Fraction)));
}
