namespace GanDsl.Training;

/// <summary>One network of a checkpointed run.</summary>
/// <param name="Name">Its name in the loss (<c>G</c>, <c>D</c>).</param>
/// <param name="Role">Generator or critic.</param>
/// <param name="Output">Sample, score, features or reconstruction.</param>
/// <param name="Optimizer">Kind of its optimizer (<c>adam</c>, <c>rmsprop</c>).</param>
public sealed record CheckpointNetwork(string Name, NetworkRole Role, NetworkOutput Output, string Optimizer)
{
    /// <summary>Whether the loss calls it with class labels (<see cref="NetworkInfo.TakesLabels"/>); false in checkpoints written before labels
    /// existed.</summary>
    public bool TakesLabels { get; init; }

    /// <summary>The class-logit heads the loss reads from it (<see cref="NetworkInfo.ClassHeads"/>; AC-GAN's D has 1); 0 in
    /// checkpoints written before heads existed.</summary>
    public int ClassHeads { get; init; }

    /// <summary>The loss's declaration of this network, as a model family builds it.</summary>
    public NetworkInfo ToNetworkInfo() => new(Name, Role, Output, TakesLabels, ClassHeads);
}

/// <summary>
/// What a checkpoint says about its run, stored as JSON in the checkpoint's <c>meta.json</c> entry. The
/// tensors (weights, buffers, optimizer state, EMA weights) and the random states are separate entries.
/// </summary>
public sealed record CheckpointMetadata
{
    /// <summary>Identifies the file kind.</summary>
    public string Format { get; init; } = CheckpointFile.FormatName;

    /// <summary>Layout version of the entries.</summary>
    public int Version { get; init; } = CheckpointFile.FormatVersion;

    /// <summary>The loss's canonical name.</summary>
    public required string Loss { get; init; }

    /// <summary>The loss's C# type.</summary>
    public required string LossType { get; init; }

    /// <summary>Model family name.</summary>
    public required string Model { get; init; }

    /// <summary>Dataset name as given on the command line.</summary>
    public required string Data { get; init; }

    /// <summary>Shape of one sample.</summary>
    public required long[] SampleShape { get; init; }

    /// <summary>Shape of one noise vector.</summary>
    public required long[] NoiseShape { get; init; }

    /// <summary>Samples per batch.</summary>
    public required int BatchSize { get; init; }

    /// <summary>Generator steps completed.</summary>
    public required long Step { get; init; }

    /// <summary>Training seconds spent up to this checkpoint (over every resumed part).</summary>
    public double ElapsedSeconds { get; init; }

    /// <summary>The run's seed.</summary>
    public long Seed { get; init; }

    /// <summary>EMA decay of the generator's weights, or null when the run keeps none.</summary>
    public double? EmaDecay { get; init; }

    /// <summary>The name of the network whose outputs are samples (normally <c>G</c>).</summary>
    public required string SampleNetwork { get; init; }

    /// <summary>Hyperparameter values of the loss.</summary>
    public required Dictionary<string, double> Hyperparameters { get; init; }

    /// <summary>The loss's state variables (BEGAN's k ...).</summary>
    public required Dictionary<string, double> State { get; init; }

    /// <summary>Every network, in the loss's declaration order.</summary>
    public required List<CheckpointNetwork> Networks { get; init; }

    /// <summary>
    /// The number of classes K of labelled data (<see cref="GanDsl.Data.ILabelledDataset.ClassCount"/>; a conditional generator
    /// takes labels in [0, K)); null for unlabelled data and in checkpoints written before labels existed.
    /// </summary>
    public int? ClassCount { get; init; }

    /// <summary>The classes' names (<see cref="GanDsl.Data.ILabelledDataset.ClassNames"/>), K of them; null where <see cref="ClassCount"/> is.</summary>
    public List<string>? ClassNames { get; init; }
}
