using GanDsl.Data;
using GanDsl.Evaluation;

namespace GanDsl.Training;

// ComparisonRun and the two types it is made of (its status and its 2-D sample metrics).

/// <summary>How one run of a comparison ended.</summary>
public enum RunStatus
{
    /// <summary>Every step ran and the samples were evaluated.</summary>
    Completed,
    /// <summary>A loss, gradient or sample stopped being finite.</summary>
    Diverged,
    /// <summary>The loss failed at run time (a shape libtorch rejects, for example).</summary>
    Failed,
}

/// <summary>Data-free quality measures of one run's final samples against fresh data samples.</summary>
/// <param name="SlicedWasserstein">See <see cref="Metrics2D.SlicedWasserstein"/>.</param>
/// <param name="EnergyDistance">See <see cref="Metrics2D.EnergyDistance"/>.</param>
/// <param name="Modes">Mode metrics, for the Gaussian mixtures (ring, grid) only.</param>
public sealed record SampleMetrics(double SlicedWasserstein, double EnergyDistance, ModeMetrics? Modes)
{
    /// <summary>For a conditional generator on a mixture, the fraction of samples generated for label k that land in mode k
    /// (<see cref="Metrics2D.LabelToMode(ReadOnlySpan{float}, IReadOnlyList{long}, IMixtureDataset2D, double)"/>); null otherwise.</summary>
    public LabelModeAccuracy? LabelToMode { get; init; }
}

/// <summary>One finished run of a comparison.</summary>
/// <param name="Loss">The loss name.</param>
/// <param name="Seed">The run's seed.</param>
/// <param name="Status">How it ended.</param>
/// <param name="Steps">Generator steps it completed.</param>
/// <param name="Seconds">Wall clock of the training run (final samples and pictures included, evaluation not).</param>
/// <param name="Metrics">The evaluation; null unless <see cref="Status"/> is <see cref="RunStatus.Completed"/>.</param>
/// <param name="Message">Why it diverged or failed.</param>
public sealed record ComparisonRun(string Loss, int Seed, RunStatus Status, long Steps, double Seconds, SampleMetrics? Metrics, string? Message)
{
    /// <summary>The evaluation of an image run (Fashion-MNIST: FID, KID, precision/recall, classes); null for 2D data or unless completed.</summary>
    public Evaluation.ImageEvaluation? Images { get; init; }
}
