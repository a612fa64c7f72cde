using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Models;

/// <summary>
/// <c>dcgan28</c>: DCGAN-style convolutional networks (Radford et al. 2016) for 1×28×28 images in [−1, 1]
/// (Fashion-MNIST):
/// <list type="bullet">
/// <item>generator: z ∈ ℝ⁶⁴ →
/// Linear(64,128·7·7)-BatchNorm1d-ReLU-reshape(128,7,7)-ConvTranspose2d(128,64,4,2,1)-BatchNorm2d-ReLU-ConvTranspose2d(64,1,4,2,1)-Tanh;</item>
/// <item>score (D, auxiliary critics): Conv2d(1,64,4,2,1)-LeakyReLU(0.2)-Conv2d(64,128,4,2,1)-LeakyReLU(0.2)-flatten-Linear(128·7·7,1);</item>
/// <item>features: the same trunk ending in Linear(128·7·7,<see cref="FeatureCount"/>);</item>
/// <item>reconstruction: that encoder ending in Linear(128·7·7,<see cref="CodeSize"/>), then a decoder
/// Linear(<see cref="CodeSize"/>,128·7·7)-ReLU-reshape(128,7,7)-ConvTranspose2d(128,64,4,2,1)-ReLU-ConvTranspose2d(64,1,4,2,1)-Tanh.</item>
/// </list>
/// Critics have no batch norm, so gradient penalties (which are per sample) stay valid. Conditional networks (labels,
/// class heads, class logits): see <see cref="Build(NetworkInfo, IReadOnlyList{long}, int)"/>.
/// </summary>
public sealed class Dcgan28Family : IModelFamily
{
    /// <summary>Dimension of the noise <c>z</c>.</summary>
    public const int NoiseDimension = 64;

    /// <summary>Output width of a feature-valued critic.</summary>
    public const int FeatureCount = 256;

    /// <summary>Width of the autoencoder's code.</summary>
    public const int CodeSize = 64;

    private const long Flat = 128 * 7 * 7;

    /// <inheritdoc/>
    public string Name => "dcgan28";

    /// <inheritdoc/>
    public string Description => "DCGAN for 1x28x28 images in [-1,1], 64-d noise, batch 64 (Fashion-MNIST)";

    /// <inheritdoc/>
    public int DefaultBatchSize => 64;

    /// <inheritdoc/>
    public IReadOnlyList<long> NoiseShape { get; } = [NoiseDimension];

    /// <inheritdoc/>
    public string? CheckSampleShape(IReadOnlyList<long> sampleShape) =>
        sampleShape.SequenceEqual([1L, 28L, 28L]) ? null
        : $"Model 'dcgan28' needs 1×28×28 images, but the data has samples of shape [{string.Join(", ", sampleShape)}]; use model family 'mlp' for flat " +
            "samples.";

    /// <inheritdoc/>
    public nn.Module<Tensor, Tensor> Build(NetworkInfo network, IReadOnlyList<long> sampleShape)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (ModelFactory.NeedsClasses(network) is not null) throw ModelFactory.NeedsClassCount(this, network);
        if (CheckSampleShape(sampleShape) is { } problem) throw new ArgumentException(problem, nameof(sampleShape));
        return (network.Role, network.Output) switch
        {
            (NetworkRole.Generator, NetworkOutput.Sample) => nn.Sequential(
                nn.Linear(NoiseDimension, Flat), nn.BatchNorm1d(Flat), nn.ReLU(), nn.Unflatten(1, [128, 7, 7]),
                nn.ConvTranspose2d(128, 64, 4, stride: 2, padding: 1), nn.BatchNorm2d(64), nn.ReLU(),
                nn.ConvTranspose2d(64, 1, 4, stride: 2, padding: 1), nn.Tanh()),
            (NetworkRole.Critic, NetworkOutput.Score) => ConvCritic(1),
            (NetworkRole.Critic, NetworkOutput.Features) => ConvCritic(FeatureCount),
            (NetworkRole.Critic, NetworkOutput.Reconstruction) => nn.Sequential(
                nn.Conv2d(1, 64, 4, stride: 2, padding: 1), nn.LeakyReLU(0.2), nn.Conv2d(64, 128, 4, stride: 2, padding: 1), nn.LeakyReLU(0.2), nn.Flatten(),
                nn.Linear(Flat, CodeSize),
                nn.Linear(CodeSize, Flat), nn.ReLU(), nn.Unflatten(1, [128, 7, 7]),
                nn.ConvTranspose2d(128, 64, 4, stride: 2, padding: 1), nn.ReLU(), nn.ConvTranspose2d(64, 1, 4, stride: 2, padding: 1), nn.Tanh()),
            _ => throw ModelFactory.Unsupported(this, network),
        };
    }

    /// <summary>
    /// Conditional networks (<see cref="IModelFamily.Build(NetworkInfo, IReadOnlyList{long}, int)"/>) for data with K classes:
    /// <list type="bullet">
    /// <item>generator with labels: the label's embedding (nn.Embedding(K, <see cref="LabelEmbeddingSize"/>)) concatenated with z
    /// (Mirza &amp; Osindero 2014), then the unconditional generator with a first layer Linear(64+32, 128·7·7). Chosen over
    /// conditional batch norm (de Vries et al. 2017, as in BigGAN) because the network stays made of TorchSharp's own
    /// layers: its BatchNorm running statistics, PyTorch export and batch-independence check work unchanged;</item>
    /// <item>score critic with labels: the projection discriminator (Miyato &amp; Koyama 2018), D(x, y) = ψ(φ(x)) + ⟨embed(y), φ(x)⟩
    /// with φ the convolutional trunk up to the flattened 128·7·7 features, ψ its final Linear and embed a K × 6272 table;</item>
    /// <item>class heads (AC-GAN, Odena et al. 2017): H·K more columns of the same final Linear, so the trunk runs once
    /// (a score critic outputs [B, 1 + H·K]); the projection is added to the score column only;</item>
    /// <item>class-logits critic: the score trunk ending in Linear(128·7·7, K).</item>
    /// </list>
    /// Networks that need no classes are built exactly as by <see cref="Build(NetworkInfo, IReadOnlyList{long})"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">Labels on a features, class-logits or reconstruction critic; class heads on a generator or a
    /// reconstruction.</exception>
    public nn.Module Build(NetworkInfo network, IReadOnlyList<long> sampleShape, int classCount)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (ModelFactory.NeedsClasses(network) is null) return Build(network, sampleShape);
        if (CheckSampleShape(sampleShape) is { } problem) throw new ArgumentException(problem, nameof(sampleShape));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        long heads = (long)network.ClassHeads * classCount;
        return (network.Role, network.Output, network.TakesLabels, heads) switch
        {
            (NetworkRole.Generator, NetworkOutput.Sample, true, 0) => new LabelConcat(classCount, LabelEmbeddingSize, nn.Sequential(
                nn.Linear(NoiseDimension + LabelEmbeddingSize, Flat), nn.BatchNorm1d(Flat), nn.ReLU(), nn.Unflatten(1, [128, 7, 7]),
                nn.ConvTranspose2d(128, 64, 4, stride: 2, padding: 1), nn.BatchNorm2d(64), nn.ReLU(),
                nn.ConvTranspose2d(64, 1, 4, stride: 2, padding: 1), nn.Tanh())),
            (NetworkRole.Critic, NetworkOutput.Score, true, _) => new ProjectionCritic(ConvTrunk(), Flat, 1 + heads, classCount),
            (NetworkRole.Critic, NetworkOutput.Score, false, _) => ConvCritic(1 + heads),
            (NetworkRole.Critic, NetworkOutput.Features, false, _) => ConvCritic(FeatureCount + heads),
            (NetworkRole.Critic, NetworkOutput.ClassLogits, false, _) => ConvCritic(classCount + heads),
            _ => throw ModelFactory.Unsupported(this, network),
        };
    }

    /// <summary>Width of a label's embedding in the conditional generator.</summary>
    public const int LabelEmbeddingSize = 32;

    /// <summary>φ of the projection critic: Conv2d(1,64,4,2,1)-LeakyReLU(0.2)-Conv2d(64,128,4,2,1)-LeakyReLU(0.2)-flatten.</summary>
    private static nn.Module<Tensor, Tensor> ConvTrunk() => nn.Sequential(
        nn.Conv2d(1, 64, 4, stride: 2, padding: 1), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, stride: 2, padding: 1), nn.LeakyReLU(0.2),
        nn.Flatten());

    /// <summary>Conv2d(1,64,4,2,1)-LeakyReLU(0.2)-Conv2d(64,128,4,2,1)-LeakyReLU(0.2)-flatten-Linear(6272,outputs).</summary>
    private static nn.Module<Tensor, Tensor> ConvCritic(long outputs) => nn.Sequential(
        nn.Conv2d(1, 64, 4, stride: 2, padding: 1), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, stride: 2, padding: 1), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(Flat, outputs));
}
