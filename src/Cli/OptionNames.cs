using System.Text.RegularExpressions;

namespace GanDsl.Cli;

/// <summary>
/// The one place where the library's names meet the command line's: the runtime's messages name
/// <c>TrainOptions</c> and <c>ComparisonOptions</c> properties (<c>TrainOptions.BatchSize must be positive</c>), and
/// the CLI reports them with its own flags (<c>--batch must be positive</c>).
/// </summary>
public static partial class OptionNames
{
    /// <summary>Each option property the runtime's messages name, with the flag of <c>gan train</c> / <c>gan compare</c> that sets it.</summary>
    public static IReadOnlyDictionary<string, string> Flags { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["TrainOptions.Loss"] = "--loss",
        ["TrainOptions.Data"] = "--data",
        ["TrainOptions.Labels"] = "--labels",
        ["TrainOptions.NoiseLabels"] = "--noise-labels",
        ["TrainOptions.Model"] = "--model",
        ["TrainOptions.Steps"] = "--steps",
        ["TrainOptions.BatchSize"] = "--batch",
        ["TrainOptions.LearningRateG"] = "--lr-g",
        ["TrainOptions.LearningRateD"] = "--lr-d",
        ["TrainOptions.Betas"] = "--betas",
        ["TrainOptions.NetworkLearningRates"] = "--lr",
        ["TrainOptions.NetworkBetas"] = "--betas",
        ["TrainOptions.Seed"] = "--seed",
        ["TrainOptions.Device"] = "--device",
        ["TrainOptions.Threads"] = "--threads",
        ["TrainOptions.ShareForwardPasses"] = "--separate-forward-passes",
        ["TrainOptions.OutputDirectory"] = "--out",
        ["TrainOptions.Hyperparameters"] = "--set",
        ["TrainOptions.Resume"] = "--resume",
        ["TrainOptions.CheckpointEvery"] = "--checkpoint-every",
        ["TrainOptions.SampleEvery"] = "--sample-every",
        ["TrainOptions.LogEvery"] = "--log-every",
        ["TrainOptions.Ema"] = "--ema",
        ["TrainOptions.FinalSampleCount"] = "--samples",
        ["TrainOptions.FashionMnistPath"] = "--fashion-mnist",
        ["TrainOptions.InitFrom"] = "--init-from",
        ["TrainOptions.MklFastPath"] = "--no-mkl-fast-path",
        ["ComparisonOptions.Losses"] = "--losses",
        ["ComparisonOptions.Seeds"] = "--seeds",
        ["ComparisonOptions.Hyperparameters"] = "--set",
        ["ComparisonOptions.EvaluationSamples"] = "--samples",
        ["ComparisonOptions.Shard"] = "--shard",
    };

    [GeneratedRegex(@"\b(?:TrainOptions|ComparisonOptions)\.[A-Za-z]+\b")]
    private static partial Regex PropertyName();

    /// <summary><paramref name="message"/> of the runtime with every option property it names replaced by its flag.</summary>
    public static string ForCommandLine(string message) =>
        PropertyName().Replace(message, m => Flags.TryGetValue(m.Value, out var flag) ? flag : m.Value);
}
