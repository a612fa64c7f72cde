using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Models;

/// <summary>
/// A family of built-in architectures (<c>mlp</c>, <c>dcgan28</c>): it builds every network a loss
/// declares, choosing the architecture from the network's role and output kind (see <see cref="NetworkOutput"/>).
/// </summary>
public interface IModelFamily
{
    /// <summary>The name used on the command line and stored in checkpoints.</summary>
    string Name { get; }

    /// <summary>One line describing the architectures, for help texts.</summary>
    string Description { get; }

    /// <summary>The batch size the family's reference experiments use (256 for <c>mlp</c>, 64 for <c>dcgan28</c>).</summary>
    int DefaultBatchSize { get; }

    /// <summary>Shape of one noise vector <c>z</c>, without the batch dimension.</summary>
    IReadOnlyList<long> NoiseShape { get; }

    /// <summary>
    /// Null when the family can model samples of <paramref name="sampleShape"/>; otherwise a sentence
    /// saying why not and what to use instead.
    /// </summary>
    string? CheckSampleShape(IReadOnlyList<long> sampleShape);

    /// <summary>
    /// Builds a freshly initialised network for <paramref name="network"/> (drawing its initial weights
    /// from the global generator, as PyTorch does) for samples of <paramref name="sampleShape"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">The role and output kind have no architecture in this family.</exception>
    nn.Module<Tensor, Tensor> Build(NetworkInfo network, IReadOnlyList<long> sampleShape);

    /// <summary>
    /// Builds a freshly initialised network for <paramref name="network"/> on data with <paramref name="classCount"/>
    /// classes (0 for unlabelled data). A conditional network (<see cref="NetworkInfo.TakesLabels"/>) is an
    /// <c>nn.Module&lt;Tensor, Tensor, Tensor&gt;</c> taking (batch, int64 labels [B]); one with
    /// <see cref="NetworkInfo.ClassHeads"/> = H returns its output then H heads of K class logits ([B, 1 + H·K] for a
    /// score); a <see cref="NetworkOutput.ClassLogits"/> network returns [B, K].
    /// </summary>
    /// <remarks>
    /// The default calls <see cref="Build(NetworkInfo, IReadOnlyList{long})"/> for networks that need no classes, so a
    /// family written before conditional GANs keeps working for every unconditional loss; implement this member to
    /// build conditional networks.
    /// </remarks>
    /// <exception cref="NotSupportedException">The family has no architecture for the network (by default: for any network that needs classes).</exception>
    nn.Module Build(NetworkInfo network, IReadOnlyList<long> sampleShape, int classCount) =>
        ModelFactory.NeedsClasses(network) is { } need
            ? throw new NotSupportedException(
                $"Model family '{Name}' ({GetType().FullName}) builds no conditional networks, but network '{network.Name}' {need}. " +
                "Implement IModelFamily.Build(network, sampleShape, classCount) in the family (or build it with ModelFamily.Custom's " +
                "overload whose build function takes the class count), or train a loss without labels.")
            : Build(network, sampleShape);
}
