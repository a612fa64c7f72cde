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
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(noiseShape);
        ArgumentNullException.ThrowIfNull(build);
        if (noiseShape.Count == 0 || noiseShape.Any(d => d <= 0)) throw new ArgumentException("The noise shape needs at least one positive size.", nameof(noiseShape));
        if (defaultBatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(defaultBatchSize), "The batch size must be positive.");
        return new CustomFamily(name, noiseShape.ToArray(), build, defaultBatchSize, checkSampleShape);
    }

    private sealed class CustomFamily(string name, long[] noiseShape, Func<NetworkInfo, IReadOnlyList<long>, nn.Module<Tensor, Tensor>> build,
        int defaultBatchSize, Func<IReadOnlyList<long>, string?>? check) : IModelFamily
    {
        public string Name => name;

        public string Description => "user-defined networks";

        public int DefaultBatchSize => defaultBatchSize;

        public IReadOnlyList<long> NoiseShape => noiseShape;

        public string? CheckSampleShape(IReadOnlyList<long> sampleShape) => check?.Invoke(sampleShape);

        public nn.Module<Tensor, Tensor> Build(NetworkInfo network, IReadOnlyList<long> sampleShape) =>
            build(network, sampleShape) ?? throw new InvalidOperationException($"Model family '{name}' built no module for network '{network.Name}'.");
    }
}
