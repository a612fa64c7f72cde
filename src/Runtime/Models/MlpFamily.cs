using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Models;

/// <summary>
/// <c>mlp</c>: fully connected networks for flat samples (the 2D toy datasets), the architecture of the
/// usual PyTorch toy experiments (for example Gulrajani et al. 2017's 8-Gaussians runs):
/// <list type="bullet">
/// <item>generator: Linear(2,512)-ReLU-Linear(512,512)-ReLU-Linear(512,512)-ReLU-Linear(512,D) from 2-d Gaussian noise;</item>
/// <item>score (D, auxiliary critics): Linear(D,512)-ReLU-Linear(512,512)-ReLU-Linear(512,512)-ReLU-Linear(512,1);</item>
/// <item>features (McGAN, Cramér, MMD-GAN): the score trunk ending in Linear(512,<see cref="FeatureCount"/>);</item>
/// <item>reconstruction (EBGAN, BEGAN, MAGAN): an autoencoder Linear(D,512)-ReLU-Linear(512,512)-ReLU-Linear(512,<see cref="CodeSize"/>)
/// then Linear(<see cref="CodeSize"/>,512)-ReLU-Linear(512,512)-ReLU-Linear(512,D).</item>
/// </list>
/// Layers use PyTorch's default initialisation, so with the same seed the weights equal PyTorch's. Conditional
/// networks (labels, class heads, class logits): see <see cref="Build(NetworkInfo, IReadOnlyList{long}, int)"/>.
/// <para>
/// <c>mlp-sn</c> (<see cref="MlpFamily(bool)"/> with <c>spectralNormCritic</c>) is the same with every linear layer of
/// the discriminators (score, features, class logits, the projection critic's φ and ψ) spectrally normalised
/// (<see cref="Nn.SpectralNorm"/>; Miyato et al. 2018, the SNGAN discriminator); generators and autoencoder critics
/// are as in <c>mlp</c>.
/// </para>
/// </summary>
public sealed class MlpFamily : IModelFamily
{
    private readonly bool _spectralNormCritic;

    /// <summary>The <c>mlp</c> family.</summary>
    public MlpFamily()
    {
    }

    /// <summary>The <c>mlp</c> family, or <c>mlp-sn</c> when <paramref name="spectralNormCritic"/> is set.</summary>
    /// <param name="spectralNormCritic">Spectrally normalise every linear layer of the discriminators.</param>
    public MlpFamily(bool spectralNormCritic) => _spectralNormCritic = spectralNormCritic;

    /// <summary>Width of every hidden layer.</summary>
    public const int Hidden = 512;

    /// <summary>Dimension of the noise <c>z</c>.</summary>
    public const int NoiseDimension = 2;

    /// <summary>Output width of a feature-valued critic.</summary>
    public const int FeatureCount = 16;

    /// <summary>Width of the autoencoder's code.</summary>
    public const int CodeSize = 8;

    /// <inheritdoc/>
    public string Name => _spectralNormCritic ? "mlp-sn" : "mlp";

    /// <inheritdoc/>
    public string Description => _spectralNormCritic
        ? "as mlp, with every linear layer of the discriminators spectrally normalised (SNGAN, Miyato et al. 2018)"
        : "4-layer ReLU MLPs, width 512, 2-d noise, batch 256 (for 2D data and other flat samples)";

    /// <inheritdoc/>
    public int DefaultBatchSize => 256;

    /// <inheritdoc/>
    public IReadOnlyList<long> NoiseShape { get; } = [NoiseDimension];

    /// <inheritdoc/>
    public string? CheckSampleShape(IReadOnlyList<long> sampleShape) =>
        sampleShape.Count == 1 && sampleShape[0] > 0 ? null
        : $"Model '{Name}' needs flat samples (shape [D]), but the data has samples of shape [{string.Join(", ", sampleShape)}]; use model family " +
            "'dcgan28' for 1×28×28 images.";

    /// <inheritdoc/>
    public nn.Module<Tensor, Tensor> Build(NetworkInfo network, IReadOnlyList<long> sampleShape)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (ModelFactory.NeedsClasses(network) is not null) throw ModelFactory.NeedsClassCount(this, network);
        if (CheckSampleShape(sampleShape) is { } problem) throw new ArgumentException(problem, nameof(sampleShape));
        long d = sampleShape[0];
        return (network.Role, network.Output) switch
        {
            (NetworkRole.Generator, NetworkOutput.Sample) => Trunk(NoiseDimension, d),
            (NetworkRole.Critic, NetworkOutput.Score) => Trunk(d, 1, _spectralNormCritic),
            (NetworkRole.Critic, NetworkOutput.Features) => Trunk(d, FeatureCount, _spectralNormCritic),
            (NetworkRole.Critic, NetworkOutput.Reconstruction) => nn.Sequential(
                nn.Linear(d, Hidden), nn.ReLU(), nn.Linear(Hidden, Hidden), nn.ReLU(), nn.Linear(Hidden, CodeSize),
                nn.Linear(CodeSize, Hidden), nn.ReLU(), nn.Linear(Hidden, Hidden), nn.ReLU(), nn.Linear(Hidden, d)),
            _ => throw ModelFactory.Unsupported(this, network),
        };
    }

    /// <summary>
    /// Conditional networks (<see cref="IModelFamily.Build(NetworkInfo, IReadOnlyList{long}, int)"/>) for data with K
    /// classes: a score critic that takes labels is a projection discriminator (Miyato &amp; Koyama 2018) on the score
    /// trunk; any other network that takes labels embeds them (nn.Embedding(K, <see cref="LabelEmbeddingSize"/>)) and
    /// concatenates the embedding with its input (Mirza &amp; Osindero 2014), its first layer
    /// <see cref="LabelEmbeddingSize"/> wider; class heads (AC-GAN, Odena et al. 2017) widen the last layer by H·K
    /// (a score D outputs 1 + H·K); a class-logits critic is the score trunk ending in Linear(512,K). Networks that need
    /// no classes are built exactly as by <see cref="Build(NetworkInfo, IReadOnlyList{long})"/> (same weights for a seed).
    /// </summary>
    /// <exception cref="NotSupportedException">Class heads on a generator or a reconstruction.</exception>
    public nn.Module Build(NetworkInfo network, IReadOnlyList<long> sampleShape, int classCount)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (ModelFactory.NeedsClasses(network) is null) return Build(network, sampleShape);
        if (CheckSampleShape(sampleShape) is { } problem) throw new ArgumentException(problem, nameof(sampleShape));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        long d = sampleShape[0], heads = (long)network.ClassHeads * classCount;
        long extra = network.TakesLabels ? LabelEmbeddingSize : 0;
        nn.Module<Tensor, Tensor> body = (network.Role, network.Output, heads) switch
        {
            (NetworkRole.Generator, NetworkOutput.Sample, 0) => Trunk(NoiseDimension + extra, d),
            (NetworkRole.Critic, NetworkOutput.Score, _) => Trunk(d + extra, 1 + heads, _spectralNormCritic),
            (NetworkRole.Critic, NetworkOutput.Features, _) => Trunk(d + extra, FeatureCount + heads, _spectralNormCritic),
            (NetworkRole.Critic, NetworkOutput.ClassLogits, _) => Trunk(d + extra, classCount + heads, _spectralNormCritic),
            (NetworkRole.Critic, NetworkOutput.Reconstruction, 0) => nn.Sequential(
                nn.Linear(d + extra, Hidden), nn.ReLU(), nn.Linear(Hidden, Hidden), nn.ReLU(), nn.Linear(Hidden, CodeSize),
                nn.Linear(CodeSize, Hidden), nn.ReLU(), nn.Linear(Hidden, Hidden), nn.ReLU(), nn.Linear(Hidden, d)),
            _ => throw ModelFactory.Unsupported(this, network),
        };
        // A label-taking score critic is a projection discriminator (Miyato & Koyama 2018): on the ring it matched labels to
        // modes far better than the concatenated embedding (seed 0, 2,000 steps, projection-hinge: 87% vs 65% of samples
        // at their label's mode; docs/conditional-networks.md).
        if (network is { TakesLabels: true, Role: NetworkRole.Critic, Output: NetworkOutput.Score })
        {
            // The trunk above was drawn first and stays drawn (seeded weights as before); the projection critic has its own.
            body.Dispose();
            return new ProjectionCritic(Features(d, _spectralNormCritic), Layer(Hidden, 1 + heads, _spectralNormCritic), Hidden, classCount);
        }
        return network.TakesLabels ? new LabelConcat(classCount, LabelEmbeddingSize, body) : body;
    }

    /// <summary>Width of a label's embedding in a conditional network.</summary>
    public const int LabelEmbeddingSize = 16;

    /// <summary>The score trunk without its last layer, Linear(in,512)-ReLU-Linear(512,512)-ReLU-Linear(512,512)-ReLU: φ of a projection critic.</summary>
    private static nn.Module<Tensor, Tensor> Features(long inputs, bool spectralNorm) => nn.Sequential(
        Layer(inputs, Hidden, spectralNorm), nn.ReLU(),
        Layer(Hidden, Hidden, spectralNorm), nn.ReLU(),
        Layer(Hidden, Hidden, spectralNorm), nn.ReLU());

    /// <summary>Linear(in,512)-ReLU-Linear(512,512)-ReLU-Linear(512,512)-ReLU-Linear(512,out).</summary>
    private static nn.Module<Tensor, Tensor> Trunk(long inputs, long outputs, bool spectralNorm = false) => nn.Sequential(
        Layer(inputs, Hidden, spectralNorm), nn.ReLU(),
        Layer(Hidden, Hidden, spectralNorm), nn.ReLU(),
        Layer(Hidden, Hidden, spectralNorm), nn.ReLU(),
        Layer(Hidden, outputs, spectralNorm));

    /// <summary>A linear layer; spectrally normalised when asked (its u and v drawn from the global generator right after its weights).</summary>
    private static nn.Module<Tensor, Tensor> Layer(long inputs, long outputs, bool spectralNorm) =>
        spectralNorm ? new Nn.SpectralNorm(nn.Linear(inputs, outputs)) : nn.Linear(inputs, outputs);
}
