using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl;

/// <summary>
/// Marks a module of your own whose forward pass treats every sample independently (its output for one sample
/// never depends on the other samples of the batch, and it draws no random numbers in training mode), so a
/// generated step may apply its network to several batches at once. Its submodules are still checked.
/// </summary>
public interface IBatchIndependent;

/// <summary>
/// Decides whether applying a network once to concatenated batches gives the same result as applying it to each
/// batch: true only when every module in it is known to treat samples independently in its current mode. False
/// for BatchNorm in training mode (statistics of the batch it sees, running-stat updates per call), dropout in
/// training mode (random draws), spectral norm (one power iteration per call) and any module this list does not
/// know, unless it implements <see cref="IBatchIndependent"/>.
/// </summary>
public static class BatchIndependence
{
    /// <summary>TorchSharp modules whose output for a sample depends only on that sample, in every mode.</summary>
    public static readonly IReadOnlySet<string> AlwaysIndependent = new HashSet<string>(StringComparer.Ordinal)
    {
        "Sequential", "Identity", "Flatten", "Unflatten",
        "Linear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
        "ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish", "Sigmoid", "LogSigmoid",
        "Tanh", "Tanhshrink", "Softplus", "Softsign", "Hardtanh", "Hardswish", "Hardsigmoid",
        "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
        "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d",
        "Upsample", "PixelShuffle", "PixelUnshuffle", "ZeroPad2d",
        "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
        "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d",
        "LayerNorm", "GroupNorm",   // normalise within each sample
        "Embedding",                // a table lookup per label (conditional networks)
    };

    /// <summary>Modules that are batch-independent in evaluation mode only (batch statistics or random draws in training mode).</summary>
    public static readonly IReadOnlySet<string> IndependentWhenEvaluating = new HashSet<string>(StringComparer.Ordinal)
    {
        "BatchNorm1d", "BatchNorm2d", "BatchNorm3d",
        "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout",
    };

    /// <summary>Per module: null when every submodule is always independent, else the ones whose mode decides.</summary>
    private static readonly ConditionalWeakTable<nn.Module, Verdict> s_verdicts = new();

    private sealed record Verdict(bool Unknown, nn.Module[] ModeDependent);

    /// <summary>True when <paramref name="network"/>, as it is now (training or evaluation mode), treats samples independently.</summary>
    public static bool Holds(nn.Module network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var verdict = s_verdicts.GetValue(network, Inspect);
        if (verdict.Unknown) return false;
        foreach (var module in verdict.ModeDependent)
        {
            if (module.training) return false;
            // BatchNorm without running statistics normalises with the batch's own, even in evaluation mode.
            if (module.GetType().Name.StartsWith("BatchNorm", StringComparison.Ordinal)
                && !module.named_buffers(recurse: false).Any(b => b.name == "running_mean")) return false;
        }
        return true;
    }

    /// <summary>The structural part, which does not change while a network trains (cached per module).</summary>
    private static Verdict Inspect(nn.Module network)
    {
        var modeDependent = new List<nn.Module>();
        // modules() lists the submodules; the network itself is checked too.
        foreach (var module in new[] { network }.Concat(network.modules()).Distinct(ReferenceEqualityComparer.Instance).Cast<nn.Module>())
        {
            if (module is IBatchIndependent) continue;
            var type = module.GetType();
            var fromTorchSharp = type.Assembly == typeof(torch).Assembly && type.Namespace == "TorchSharp.Modules";
            if (fromTorchSharp && AlwaysIndependent.Contains(type.Name)) continue;
            if (fromTorchSharp && IndependentWhenEvaluating.Contains(type.Name))
            {
                modeDependent.Add(module);
                continue;
            }
            return new Verdict(true, []);
        }
        return new Verdict(false, modeDependent.ToArray());
    }
}
