using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl;

/// <summary>
/// The dry run before step 1: one small batch through every network a loss declares, with the real and noise
/// batches' shapes and element types, checking what the loss needs from each network: a generator turns noise
/// into samples shaped like the data; a critic takes samples and returns one score per sample (<c>Score</c>),
/// one row of features per sample (<c>Features</c>) or a sample-shaped reconstruction; every output is
/// floating-point with a gradient path to the network's parameters, and a critic's also to its input (the
/// generator trains through it). Each failure is an <see cref="ArgumentException"/> naming the network (its name
/// in the loss and its type), the input and the expected and actual shape or type, instead of libtorch's
/// "mat1 and mat2 shapes cannot be multiplied" at step 1.
/// </summary>
/// <remarks>
/// The networks run in evaluation mode (restored after) on a batch of at most two samples of zeros, so the check
/// draws no random numbers and updates no running statistics: a run with the check is bit-identical to one
/// without. Networks of a role and output the loss vocabulary does not define are not run.
/// </remarks>
internal static class NetworkCheck
{
    /// <summary>Samples per dry-run batch: two, so a network that mixes samples or drops one is seen, and BatchNorm in eval mode is happy.</summary>
    private const long DryBatch = 2;

    /// <summary>Checks every network of <paramref name="info"/> in <paramref name="networks"/>.</summary>
    /// <param name="info">The loss whose networks are checked.</param>
    /// <param name="networks">The networks by name; a missing or null one is an error.</param>
    /// <param name="realShape">One real sample's shape (without the batch dimension).</param>
    /// <param name="realType">The real batch's element type.</param>
    /// <param name="noiseShape">One noise sample's shape.</param>
    /// <param name="noiseType">The noise batch's element type.</param>
    /// <param name="device">Where the batches live.</param>
    /// <param name="dataName">How the messages name the data ("the data 'ring'").</param>
    /// <param name="noiseName">How the messages name the noise ("the noise of model family 'mlp'").</param>
    /// <param name="classCount">The data's number of classes K (the width of class logits); 0 for unlabelled data.</param>
    /// <exception cref="ArgumentException">A network is missing, cannot take its input, or returns what the loss cannot use.</exception>
    public static void Run(LossInfo info, IReadOnlyDictionary<string, nn.Module> networks, long[] realShape, ScalarType realType,
        long[] noiseShape, ScalarType noiseType, Device device, string dataName, string noiseName, int classCount = 0)
    {
        CheckInput(realShape, realType, dataName);
        CheckInput(noiseShape, noiseType, noiseName);
        using var scope = torch.NewDisposeScope();
        using var grad = torch.enable_grad(); // the gradient paths are checked even when the caller runs under no_grad
        foreach (var network in info.Networks)
        {
            if (!networks.TryGetValue(network.Name, out var module) || module is null)
                throw new ArgumentException($"Loss '{info.Name}' declares network {network.Name} ({network.Role}, {network.Output}), but it is " +
                    $"{(module is null && networks.ContainsKey(network.Name) ? "null" : "missing")}; " +
                    $"the networks given are: {string.Join(", ", networks.Keys)}.");
            var input = (network.Role, network.Output) switch
            {
                (NetworkRole.Generator, NetworkOutput.Sample) => (Shape: noiseShape, Type: noiseType, Name: noiseName),
                (NetworkRole.Critic, _) => (Shape: realShape, Type: realType, Name: dataName),
                _ => default,
            };
            if (input.Shape is null) continue;
            if (classCount <= 0 && (network.ClassHeads > 0 || network.Output == NetworkOutput.ClassLogits))
                throw new ArgumentException($"Loss '{info.Name}' reads class logits from network {network.Name} " +
                    $"({GanDsl.Models.ModelFactory.NeedsClasses(network)}), but the number of classes is 0: " +
                    "the data has no labels (or StepContext.ClassCount is not set). " +
                    "Train on labelled data, or set StepContext.ClassCount to the number of classes.");
            Check(network, module, input.Shape, input.Type, input.Name, realShape, dataName, device, classCount);
        }
    }

    private static void CheckInput(long[] shape, ScalarType type, string name)
    {
        if (shape.Length == 0 || shape.Any(d => d <= 0))
            throw new ArgumentException($"{Capitalised(name)} has samples of shape [{string.Join(", ", shape)}]; every size must be positive and there " +
                "must be at least one.");
        if (!torch.is_floating_point(torch.empty(0, type)))
            throw new ArgumentException($"{Capitalised(name)} is {Name(type)}; the networks need floating-point input (float32).");
    }

    private static void Check(NetworkInfo network, nn.Module module, long[] inputShape, ScalarType inputType, string inputName,
        long[] realShape, string dataName, Device device, int classCount)
    {
        var who = $"{network.Name} ({module.GetType().Name})";
        // A conditional network (the loss calls it with labels) takes the batch and int64 class labels: classes 0, 1, ...
        // (mod K), so a label table with too few rows fails here; class 0 alone when K is unknown.
        Func<Tensor, Tensor> call = (network.TakesLabels, module) switch
        {
            (false, nn.Module<Tensor, Tensor> m) => m.call,
            (true, nn.Module<Tensor, Tensor, Tensor> m) => input => m.call(input, torch.tensor(DryLabels(classCount), ScalarType.Int64, input.device)),
            (false, _) => throw new ArgumentException($"{who} is not an nn.Module<Tensor, Tensor>, but the loss applies {network.Name} to a batch alone " +
                $"({network.Name}(v))."),
            (true, _) => throw new ArgumentException($"{who} takes no labels, but the loss applies {network.Name} to a batch and its labels " +
                $"({network.Name}(v, y)): give it an nn.Module<Tensor, Tensor, Tensor> taking (batch, labels)."),
        };
        var parameters = module.parameters().ToArray();
        if (parameters.FirstOrDefault(p => p.is_floating_point() && p.dtype != inputType) is { } mismatched)
            throw new ArgumentException($"{who} has {Name(mismatched.dtype)} parameters, but {inputName} is {Name(inputType)}: build it in " +
                $"{Name(inputType)} (or call .to({Name(inputType)}) on it).");
        var trainable = parameters.Any(p => p.requires_grad);
        long[] shape = [DryBatch, .. inputShape];
        var wasTraining = module.training;
        module.eval();
        try
        {
            using var input = torch.zeros(shape, inputType, device);
            Tensor output;
            try { output = call(input); }
            catch (Exception e) when (e is not (OutOfMemoryException or InsufficientExecutionStackException))
            {
                var what = e is System.Runtime.InteropServices.ExternalException ? "" : $"{e.GetType().Name}: ";
                var labels = network.TakesLabels ? " and int64 labels " +
                    $"{Format(DryLabels(classCount))}{(classCount > 0 ? $" of {classCount} classes" : "")}" : "";
                // A conditional module's first layer also takes the label's embedding: its width says nothing of the data's.
                throw new ArgumentException(!network.TakesLabels && BuiltFor(module, inputShape, inputName) is { } builtFor
                    ? $"{who} was built for {builtFor}: {what}{FirstLine(e.Message)}"
                    : $"{who} cannot take {inputName}, a batch of shape {Format(shape)} ({Name(inputType)}){labels}: {what}{FirstLine(e.Message)}", e);
            }
            if (output is null) throw new ArgumentException($"{who} returned null for {inputName} {Format(shape)}; it must return a tensor.");
            if (!output.is_floating_point())
                throw new ArgumentException($"{who} returned {Name(output.dtype)} for {inputName}; the loss needs floating-point values ({Name(inputType)}).");
            CheckShape(network, who, output.shape, shape, inputName, [DryBatch, .. realShape], dataName, classCount);
            if (trainable && !output.requires_grad)
                throw new ArgumentException($"{who} returned a tensor with no gradient path to its parameters (detached, or computed under no_grad): " +
                    $"{network.Name} could not be trained.");
            if (network.Role == NetworkRole.Critic) CheckInputPath(call, parameters, who, shape, inputType, inputName, device);
        }
        finally
        {
            module.train(wasTraining);
        }
    }

    /// <summary>The generator trains through a critic: the critic's output must depend on its input through something differentiable.</summary>
    private static void CheckInputPath(Func<Tensor, Tensor> call, TorchSharp.Modules.Parameter[] parameters, string who, long[] shape, ScalarType type,
        string inputName, Device device)
    {
        var frozen = parameters.Where(p => p.requires_grad).ToArray();
        foreach (var p in frozen) p.requires_grad = false;
        try
        {
            using var input = torch.zeros(shape, type, device).requires_grad_(true);
            using var output = call(input);
            if (!output.requires_grad)
                throw new ArgumentException($"{who} returned a tensor with no gradient path to its input ({inputName}): the generator, trained through " +
                    "it, would get no gradient. Remove the detach (or no_grad) from its forward.");
        }
        finally
        {
            foreach (var p in frozen) p.requires_grad = true;
        }
    }

    private static void CheckShape(NetworkInfo network, string who, long[] actual, long[] inputShape, string inputName, long[] sampleShape, string dataName,
        int classCount)
    {
        var batch = inputShape[0];
        if (network.ClassHeads > 0)
        {
            // Score or features, then H heads of K class logits side by side (LossInfo.ClassHeads reads them by column).
            long heads = (long)network.ClassHeads * classCount;
            var (fits, own) = network.Output switch
            {
                NetworkOutput.Score => (actual is [var b, var w] && b == batch && w == 1 + heads, "1"),
                NetworkOutput.Features => (actual is [var b, var w] && b == batch && w > heads, "F"),
                NetworkOutput.ClassLogits => (actual is [var b, var w] && b == batch && w == classCount + heads, $"{classCount}"),
                _ => (false, "?"),
            };
            if (!fits)
                throw new ArgumentException(
                    $"{who} returned {Format(actual)} for {inputName} {Format(inputShape)}, " +
                    $"but the loss reads {network.ClassHeads} class head{(network.ClassHeads == 1 ? "" : "s")} from it: " +
                    $"it needs [{batch}, {own} + {network.ClassHeads}·{classCount}] " +
                    $"for {classCount} classes (its {network.Output} output, " +
                    $"then {network.ClassHeads} head{(network.ClassHeads == 1 ? "" : "s")} of {classCount} class logits).");
            return;
        }
        var (ok, expected) = network.Output switch
        {
            NetworkOutput.Sample => (actual.SequenceEqual(sampleShape), $"samples shaped like {dataName}: {Format(sampleShape)}"),
            NetworkOutput.Score => (actual is [var b] && b == batch || actual is [var b1, 1] && b1 == batch,
                $"one score per sample: [{batch}] or [{batch}, 1]"),
            NetworkOutput.Features => (actual.Length == 2 && actual[0] == batch && actual[1] > 0, $"one row of features per sample: [{batch}, F]"),
            NetworkOutput.Reconstruction => (actual.SequenceEqual(sampleShape), $"a reconstruction shaped like its input: {Format(sampleShape)}"),
            NetworkOutput.ClassLogits => (actual is [var b2, var k] && b2 == batch && k == classCount,
                $"one logit per class per sample: [{batch}, {classCount}] for {classCount} classes"),
            _ => (true, ""),
        };
        if (!ok)
            throw new ArgumentException($"{who} returned {Format(actual)} for {inputName} {Format(inputShape)}; as a " +
                $"{network.Role.ToString().ToLowerInvariant()} with {network.Output} output the loss needs {expected}.");
    }

    /// <summary>The dry run's labels, one per sample: 0, 1, 2, ... modulo K (all 0 when K is unknown).</summary>
    private static long[] DryLabels(int classCount) => Enumerable.Range(0, (int)DryBatch).Select(i => classCount > 0 ? (long)(i % classCount) : 0L).ToArray();

    /// <summary>"3 features but the data 'ring' has 2" when the module's first linear layer disagrees with flat samples; else null.</summary>
    private static string? BuiltFor(nn.Module module, long[] inputShape, string inputName)
    {
        if (inputShape.Length != 1) return null;
        var linear = module.modules().OfType<TorchSharp.Modules.Linear>().FirstOrDefault();
        return linear is not null && linear.in_features != inputShape[0]
            ? $"{linear.in_features} features but {inputName} has {inputShape[0]}"
            : null;
    }

    internal static string Format(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";

    internal static string Name(ScalarType type) => type switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Float64 => "float64",
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Int64 => "int64",
        ScalarType.Int32 => "int32",
        ScalarType.Int16 => "int16",
        ScalarType.Int8 => "int8",
        ScalarType.Byte => "uint8",
        ScalarType.Bool => "bool",
        _ => type.ToString(),
    };

    private static string FirstLine(string message)
    {
        var line = message.Split('\n')[0].Trim();
        var at = line.IndexOf("Exception raised from", StringComparison.Ordinal);
        return at > 0 ? line[..at].Trim() : line;
    }

    private static string Capitalised(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
