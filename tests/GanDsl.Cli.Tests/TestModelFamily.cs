using GanDsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Tests.Cli;

/// <summary>
/// A model family of a user's assembly, as <c>gan train --assembly PATH --model test-tiny</c> finds it: a public class
/// implementing <see cref="IModelFamily"/> with a public parameterless constructor, named by <see cref="Name"/>.
/// </summary>
public sealed class TinyTestFamily : IModelFamily
{
    /// <summary>Networks built by any instance so far (tests run one at a time), so a test can tell this family was used.</summary>
    public static int Builds;

    public string Name => "test-tiny";

    public string Description => "two small linear layers (test)";

    public int DefaultBatchSize => 32;

    public IReadOnlyList<long> NoiseShape => [3];

    public string? CheckSampleShape(IReadOnlyList<long> sampleShape) => sampleShape.Count == 1 ? null : "test-tiny models flat samples only.";

    public nn.Module<Tensor, Tensor> Build(NetworkInfo network, IReadOnlyList<long> sampleShape)
    {
        Interlocked.Increment(ref Builds);
        var output = network.Role == NetworkRole.Generator ? sampleShape[0] : 1;
        var input = network.Role == NetworkRole.Generator ? NoiseShape[0] : sampleShape[0];
        return nn.Sequential(nn.Linear(input, 8), nn.Tanh(), nn.Linear(8, output));
    }
}

/// <summary>A type that looks like a family but cannot be one: no public parameterless constructor, so it is not listed.</summary>
public sealed class NotAFamilyWithoutConstructor(int size) : IModelFamily
{
    public string Name => $"not-a-family-{size}";
    public string Description => "";
    public int DefaultBatchSize => 1;
    public IReadOnlyList<long> NoiseShape => [1];
    public string? CheckSampleShape(IReadOnlyList<long> sampleShape) => null;
    public nn.Module<Tensor, Tensor> Build(NetworkInfo network, IReadOnlyList<long> sampleShape) => throw new NotSupportedException();
}
