namespace GanDsl.Training;

/// <summary>Where the trainer draws the generator's class labels <c>yz</c> from (conditional losses only).</summary>
public enum LabelDistribution
{
    /// <summary>The data's class frequencies (<see cref="Data.ILabelledDataset.ClassFrequencies"/>): the generator is asked for each class as often as the
    /// data shows it.</summary>
    DataFrequencies,

    /// <summary>Every class equally often, whatever the data's balance (a class with no real sample included).</summary>
    Uniform,
}

/// <summary>
/// Everything a training run is configured with, as the command line gives it. Null means "the default":
/// the model family's batch size, the loss's optimizer settings, every core.
/// </summary>
public sealed record TrainOptions
{
    /// <summary>Canonical loss name (<c>wgan-gp</c>), looked up in the <see cref="LossRegistry"/>.</summary>
    public string Loss { get; init; } = "";

    /// <summary><c>ring</c>, <c>grid</c>, <c>swissroll</c>, <c>fashion-mnist</c> or the path of a float32 .npy file.</summary>
    public string Data { get; init; } = "";

    /// <summary>Model family: <c>mlp</c> or <c>dcgan28</c>.</summary>
    public string Model { get; init; } = "mlp";

    /// <summary>Generator steps to reach (the run's total, also when resuming). Each generator step follows the loss's critic steps.</summary>
    public long Steps { get; init; } = 1000;

    /// <summary>Samples per batch; null for the model family's default.</summary>
    public int? BatchSize { get; init; }

    /// <summary>Learning rate of generator-role networks; null for the loss's default.</summary>
    public double? LearningRateG { get; init; }

    /// <summary>Learning rate of critic-role networks; null for the loss's default.</summary>
    public double? LearningRateD { get; init; }

    /// <summary>Adam's (β1, β2); null for the loss's default. Only valid for losses trained with Adam.</summary>
    public (double Beta1, double Beta2)? Betas { get; init; }

    /// <summary>
    /// Learning rate of single networks by name (<c>--lr D=4e-4</c>), over <see cref="LearningRateD"/>/<see cref="LearningRateG"/>
    /// and the loss's settings: the two-time-scale update rule for any network the loss declares. Empty for none.
    /// </summary>
    public IReadOnlyDictionary<string, double> NetworkLearningRates { get; init; } = new Dictionary<string, double>();

    /// <summary>Adam's (β1, β2) of single networks by name (<c>--betas D=0,0.9</c>), over <see cref="Betas"/> and the loss's settings. Empty for
    /// none.</summary>
    public IReadOnlyDictionary<string, (double Beta1, double Beta2)> NetworkBetas { get; init; } = new Dictionary<string, (double Beta1, double Beta2)>();

    /// <summary>Seed of every random stream of the run (initial weights, noise, the loss's draws, the data order).</summary>
    public long Seed { get; init; }

    /// <summary><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>libtorch intra-op threads; null for every core of the machine.</summary>
    public int? Threads { get; init; }

    /// <summary>
    /// Whether applications of one network may share a forward pass on concatenated batches (batch-independent
    /// networks only; see <see cref="GanDsl.BatchIndependence"/>). On by default; off runs the plain step, one pass per application.
    /// </summary>
    public bool ShareForwardPasses { get; init; } = true;

    /// <summary>
    /// MKL's fast kernels on non-Intel x86-64 CPUs (<see cref="GanDsl.MklFastPath"/>): null for the automatic choice
    /// (on where the CPU is not an Intel one), false to turn them off (<c>gan train --no-mkl-fast-path</c>). It must be
    /// chosen before the process's first matrix product: after it, <c>GANDSL_MKL_FAST_PATH=off</c> in the environment
    /// is the way, and asking for false is a setup error.
    /// </summary>
    public bool? MklFastPath { get; init; }

    /// <summary>Output folder (metrics, samples, pictures, config.json, checkpoint.bin).</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Hyperparameter overrides by name (<c>--set Lambda=5</c>).</summary>
    public IReadOnlyDictionary<string, double> Hyperparameters { get; init; } = new Dictionary<string, double>();

    /// <summary>Continue from the output folder's checkpoint.bin instead of starting afresh.</summary>
    public bool Resume { get; init; }

    /// <summary>Write checkpoint.bin every this many generator steps (0: only at the end and on interruption).</summary>
    public long CheckpointEvery { get; init; } = 1000;

    /// <summary>Write a sample picture every this many generator steps (0: only the final one).</summary>
    public long SampleEvery { get; init; } = 500;

    /// <summary>Write a metrics row every this many generator steps.</summary>
    public long LogEvery { get; init; } = 10;

    /// <summary>Decay of the exponential moving average of the generator's weights (for example 0.999); null for none.</summary>
    public double? Ema { get; init; }

    /// <summary>How many samples the run writes to samples.npy at the end.</summary>
    public int FinalSampleCount { get; init; } = 10_000;

    /// <summary>
    /// Whether the run trains data-parallel over the ranks of an MPI launch (<c>mpirun -np N</c>, <c>srun -n N</c>): by
    /// default when the environment shows one (docs/distributed.md); <see cref="Distributed.DataParallelMode.Off"/> trains alone.
    /// </summary>
    public Distributed.DataParallelMode DataParallel { get; init; } = Distributed.DataParallelMode.Auto;

    /// <summary>
    /// A <c>.npy</c> file of class labels for the <c>.npy</c> <see cref="Data"/>: one class index per sample, shape [N]
    /// (integers, or whole-number floats); null: the data is unlabelled (the ring, the grid and Fashion-MNIST bring their own).
    /// </summary>
    public string? Labels { get; init; }

    /// <summary>
    /// Where the generator's labels <c>yz</c> are drawn from when the loss uses labels: the data's class frequencies
    /// (default) or uniformly. Ignored by losses without labels.
    /// </summary>
    public LabelDistribution NoiseLabels { get; init; } = LabelDistribution.DataFrequencies;

    /// <summary>Fashion-MNIST image file to use instead of the Debian location.</summary>
    public string? FashionMnistPath { get; init; }

    /// <summary>
    /// A folder of PyTorch weights to start from (docs/interop.md): every declared network NAME with a file
    /// <c>NAME.pt</c> or <c>NAME.safetensors</c> there is loaded after it is built (keys, shapes checked), the others
    /// keep their seeded initialisation; null: no import. Not with <see cref="Resume"/>.
    /// </summary>
    public string? InitFrom { get; init; }

    /// <summary>
    /// The problems of the values that can be checked without loading anything (negative steps, a
    /// non-positive learning rate, an EMA decay outside [0, 1)), one sentence each; empty when none.
    /// </summary>
    public IReadOnlyList<string> Problems(bool needsData = true)
    {
        var problems = new List<string>();
        if (needsData && string.IsNullOrWhiteSpace(Data)) problems.Add("TrainOptions.Data is required (ring, grid, swissroll, fashion-mnist or the path " +
            "of a .npy file).");
        if (string.IsNullOrWhiteSpace(OutputDirectory)) problems.Add("TrainOptions.OutputDirectory is required.");
        if (Steps < 0) problems.Add($"TrainOptions.Steps must be 0 or more, not {Steps}.");
        if (BatchSize is <= 0) problems.Add($"TrainOptions.BatchSize must be positive, not {BatchSize}.");
        if (LearningRateG is { } lg && !(lg > 0 && double.IsFinite(lg))) problems.Add($"TrainOptions.LearningRateG must be a positive number, not {lg}.");
        if (LearningRateD is { } ld && !(ld > 0 && double.IsFinite(ld))) problems.Add($"TrainOptions.LearningRateD must be a positive number, not {ld}.");
        if (Betas is var (b1, b2) && !(b1 is >= 0 and < 1 && b2 is >= 0 and < 1)) problems.Add("TrainOptions.Betas must be two numbers in [0, 1), not " +
            $"{b1},{b2}.");
        if (NetworkLearningRates is null) problems.Add("TrainOptions.NetworkLearningRates must not be null (an empty dictionary for none).");
        if (NetworkBetas is null) problems.Add("TrainOptions.NetworkBetas must not be null (an empty dictionary for none).");
        foreach (var (network, lr) in NetworkLearningRates ?? new Dictionary<string, double>())
            if (!(lr > 0 && double.IsFinite(lr))) problems.Add($"TrainOptions.NetworkLearningRates of network '{network}' must be a positive number, " +
                $"not {lr}.");
        foreach (var (network, (nb1, nb2)) in NetworkBetas ?? new Dictionary<string, (double, double)>())
            if (!(nb1 is >= 0 and < 1 && nb2 is >= 0 and < 1)) problems.Add($"TrainOptions.NetworkBetas of network '{network}' must be two numbers in " +
                $"[0, 1), not {nb1},{nb2}.");
        if (Threads is <= 0) problems.Add($"TrainOptions.Threads must be positive, not {Threads}.");
        if (CheckpointEvery < 0) problems.Add($"TrainOptions.CheckpointEvery must be 0 or more, not {CheckpointEvery}.");
        if (SampleEvery < 0) problems.Add($"TrainOptions.SampleEvery must be 0 or more, not {SampleEvery}.");
        if (LogEvery <= 0) problems.Add($"TrainOptions.LogEvery must be positive, not {LogEvery}.");
        if (Ema is { } e && !(e is >= 0 and < 1)) problems.Add($"TrainOptions.Ema must be in [0, 1) (for example 0.999), not {e}.");
        if (InitFrom is not null && Resume) problems.Add("TrainOptions.InitFrom starts a new run from imported weights and TrainOptions.Resume " +
            "continues a checkpoint: set only one of them.");
        if (Hyperparameters is null) problems.Add("TrainOptions.Hyperparameters must not be null (an empty dictionary for none).");
        if (!Enum.IsDefined(NoiseLabels)) problems.Add($"TrainOptions.NoiseLabels must be {string.Join(" or ", Enum.GetNames<LabelDistribution>())}, " +
            $"not {(int)NoiseLabels}.");
        if (Labels is not null && string.IsNullOrWhiteSpace(Labels)) problems.Add("TrainOptions.Labels is empty; give the path of a .npy file of " +
            "labels, or leave it out.");
        if (FinalSampleCount < 0) problems.Add($"TrainOptions.FinalSampleCount must be 0 or more, not {FinalSampleCount}.");
        return problems;
    }
}
