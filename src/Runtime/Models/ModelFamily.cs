using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Models;

/// <summary>Model families made from your own TorchSharp modules.</summary>
public static class ModelFamily
{
    /// <summary>
    /// A family whose networks are your own TorchSharp modules: <paramref name="build"/> is called once per network
    /// the loss declares (<c>G</c>, <c>D</c>, ...; also once more for the EMA copy of <c>G</c> when the run keeps
    /// one), in declaration order, and must return a fresh module each time.
    /// </summary>
    /// <param name="name">The name stored in checkpoints (a resumed run must use the same).</param>
    /// <param name="noiseShape">Shape of one noise vector <c>z</c> (standard normal), without the batch dimension.</param>
    /// <param name="build">Builds the module for a network, given its declaration and the shape of one sample.</param>
    /// <param name="defaultBatchSize">Samples per batch when the options give none.</param>
    /// <param name="checkSampleShape">Null when the networks can model samples of a shape, else why not; by default every shape is accepted.</param>
    public static IModelFamily Custom(string name, IReadOnlyList<long> noiseShape,
        Func<NetworkInfo, IReadOnlyList<long>, nn.Module<Tensor, Tensor>> build, int defaultBatchSize = 64,
        Func<IReadOnlyList<long>, string?>? checkSampleShape = null)
    {
        ArgumentNullException.ThrowIfNull(build);
        return Create(name, noiseShape, (network, shape, _) => build(network, shape), conditional: false, defaultBatchSize, checkSampleShape);
    }

    /// <summary>
    /// A family of your own TorchSharp modules that may be conditional: <paramref name="build"/> also gets the data's
    /// number of classes K (0 for unlabelled data) and returns, for a network the loss calls with labels
    /// (<see cref="NetworkInfo.TakesLabels"/>, <c>D(x, y)</c>), an <c>nn.Module&lt;Tensor, Tensor, Tensor&gt;</c> whose
    /// forward takes (batch, int64 labels [B]); otherwise an <c>nn.Module&lt;Tensor, Tensor&gt;</c>. A network with
    /// <see cref="NetworkInfo.ClassHeads"/> = H returns [B, 1 + H·K] (its score, then H heads of K class logits); a
    /// <see cref="NetworkOutput.ClassLogits"/> network [B, K]. The trainer's dry run checks each module against this.
    /// Called once per network in declaration order (and once more for the EMA copy of <c>G</c>).
    /// </summary>
    /// <param name="name">The name stored in checkpoints (a resumed run must use the same).</param>
    /// <param name="noiseShape">Shape of one noise vector <c>z</c> (standard normal), without the batch dimension.</param>
    /// <param name="build">Builds the module for a network, given its declaration, the shape of one sample and K.</param>
    /// <param name="defaultBatchSize">Samples per batch when the options give none.</param>
    /// <param name="checkSampleShape">Null when the networks can model samples of a shape, else why not; by default every shape is accepted.</param>
    /// <example>
    /// <code>
    /// ModelFamily.Custom("my-cgan", [2], (network, sampleShape, classes) => network.TakesLabels
    ///     ? new MyConditionalCritic(sampleShape[0], classes)     // nn.Module&lt;Tensor, Tensor, Tensor&gt;
    ///     : new MyGenerator(sampleShape[0]));                     // nn.Module&lt;Tensor, Tensor&gt;
    /// </code>
    /// </example>
    public static IModelFamily Custom(string name, IReadOnlyList<long> noiseShape,
        Func<NetworkInfo, IReadOnlyList<long>, int, nn.Module> build, int defaultBatchSize = 64,
        Func<IReadOnlyList<long>, string?>? checkSampleShape = null)
    {
        ArgumentNullException.ThrowIfNull(build);
        return Create(name, noiseShape, build, conditional: true, defaultBatchSize, checkSampleShape);
    }

    private static CustomFamily Create(string name, IReadOnlyList<long> noiseShape, Func<NetworkInfo, IReadOnlyList<long>, int, nn.Module> build,
        bool conditional,
        int defaultBatchSize, Func<IReadOnlyList<long>, string?>? checkSampleShape)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(noiseShape);
        if (noiseShape.Count == 0 || noiseShape.Any(d => d <= 0)) throw new ArgumentException("The noise shape needs at least one positive size.",
            nameof(noiseShape));
        if (defaultBatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(defaultBatchSize), "The batch size must be positive.");
        return new CustomFamily(name, noiseShape.ToArray(), build, conditional, defaultBatchSize, checkSampleShape);
    }

    /// <summary>The family <c>Custom</c> returns; <c>conditional</c> is true for the overload whose build function takes the class count.</summary>
    private sealed class CustomFamily(string name, long[] noiseShape, Func<NetworkInfo, IReadOnlyList<long>, int, nn.Module> build, bool conditional,
        int defaultBatchSize, Func<IReadOnlyList<long>, string?>? check) : IModelFamily
    {
        public string Name => name;

        public string Description => "user-defined networks";

        public int DefaultBatchSize => defaultBatchSize;

        public IReadOnlyList<long> NoiseShape => noiseShape;

        public string? CheckSampleShape(IReadOnlyList<long> sampleShape) => check?.Invoke(sampleShape);

        public nn.Module<Tensor, Tensor> Build(NetworkInfo network, IReadOnlyList<long> sampleShape) => Build(network, sampleShape, 0) switch
        {
            nn.Module<Tensor, Tensor> module => module,
            var other => throw new InvalidOperationException(
                $"Model family '{name}' built a {other.GetType().Name} for network '{network.Name}', which is not an nn.Module<Tensor, Tensor>; " +
                "a module taking labels is built through Build(network, sampleShape, classCount)."),
        };

        public nn.Module Build(NetworkInfo network, IReadOnlyList<long> sampleShape, int classCount)
        {
            if (!conditional && ModelFactory.NeedsClasses(network) is { } need)
                throw new NotSupportedException(
                    $"Model family '{name}' builds no conditional networks, but network '{network.Name}' {need}. Build the family with the " +
                    "ModelFamily.Custom overload whose build function takes the class count, (network, sampleShape, classes) => ..., and return " +
                    "an nn.Module<Tensor, Tensor, Tensor> (batch, labels) for a network that takes labels.");
            return build(network, sampleShape, classCount) ?? throw new InvalidOperationException($"Model family '{name}' built no module for network " +
                $"'{network.Name}'.");
        }
    }
}
