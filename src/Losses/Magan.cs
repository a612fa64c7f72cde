namespace GanDsl.Losses;

/// <summary>
/// MAGAN (Wang, Cao, Huang &amp; Yao 2017, "MAGAN: Margin Adaptation for GANs", arXiv:1704.03817, Algorithm 1):
/// EBGAN's losses with a margin m that only ever decreases: at the end of an epoch, if the epoch's mean real
/// energy is below m and the epoch's fake energy exceeds the real energy, m ← the mean real energy.
/// </summary>
/// <remarks>
/// The epoch sums are running totals kept as state, and a snapshot of them at the start of each epoch.
/// The paper starts m at E e(x) after a short autoencoder pre-training on real data; without that, m starts
/// at 1 (settable through <c>State["Margin"]</c>) and the rule takes over at the first epoch that fires it.
/// </remarks>
[GanLoss("magan")]
public partial class Magan
{
    /// <summary>The margin m, updated by the paper's rule at the end of each epoch.</summary>
    [State(1, StateUpdateTiming.EndOfEpoch)]
    static Expr Margin => Margin - Step(EpochFakeEnergy - EpochRealEnergy) * Relu(Margin - EpochRealEnergy / EpochSteps);

    /// <summary>Running totals over all critic steps: Σ E e(x), Σ E e(G(z)) and the step count.</summary>
    [State(0, StateUpdateTiming.AfterCriticStep)] static Expr RealEnergyTotal => RealEnergyTotal + Mean(Energy(x));
    [State(0, StateUpdateTiming.AfterCriticStep)] static Expr FakeEnergyTotal => FakeEnergyTotal + Mean(Energy(G(z)));
    [State(0, StateUpdateTiming.AfterCriticStep)] static Expr StepTotal => StepTotal + 1;

    /// <summary>The totals at the start of the current epoch.</summary>
    [State(0, StateUpdateTiming.EndOfEpoch)] static Expr RealEnergyAtEpochStart => RealEnergyTotal;
    [State(0, StateUpdateTiming.EndOfEpoch)] static Expr FakeEnergyAtEpochStart => FakeEnergyTotal;
    [State(0, StateUpdateTiming.EndOfEpoch)] static Expr StepsAtEpochStart => StepTotal;

    static Expr EpochRealEnergy => RealEnergyTotal - RealEnergyAtEpochStart;
    static Expr EpochFakeEnergy => FakeEnergyTotal - FakeEnergyAtEpochStart;
    static Expr EpochSteps => StepTotal - StepsAtEpochStart;

    [DiscriminatorLoss] static Loss Discriminator => Mean(Energy(x)) + Mean(Relu(Margin - Energy(G(z))));

    [GeneratorLoss] static Loss Generator => Mean(Energy(G(z)));
}
