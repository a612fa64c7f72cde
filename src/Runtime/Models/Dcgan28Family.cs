using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Models;

/// <summary>
/// <c>dcgan28</c>: DCGAN-style convolutional networks (Radford et al. 2016) for 1×28×28 images in [−1, 1]
/// (Fashion-MNIST):
/// <list type="bullet">
/// <item>generator: z ∈ ℝ⁶⁴ → Linear(64,128·7·7)-BatchNorm1d-ReLU-reshape(128,7,7)-ConvTranspose2d(128,64,4,2,1)-BatchNorm2d-ReLU-ConvTranspose2d(64,1,4,2,1)-Tanh;</item>
/// <item>score (D, auxiliary critics): Conv2d(1,64,4,2,1)-LeakyReLU(0.2)-Conv2d(64,128,4,2,1)-LeakyReLU(0.2)-flatten-Linear(128·7·7,1);</item>
/// <item>features: the same trunk ending in Linear(128·7·7,<see cref="FeatureCount"/>);</item>
/// <item>reconstruction: that encoder ending in Linear(128·7·7,<see cref="CodeSize"/>), then a decoder
/// Linear(<see cref="CodeSize"/>,128·7·7)-ReLU-reshape(128,7,7)-ConvTranspose2d(128,64,4,2,1)-ReLU-ConvTranspose2d(64,1,4,2,1)-Tanh.</item>
/// </list>
/// Critics have no batch norm, so gradient penalties (which are per sample) stay valid.
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
        : $"Model 'dcgan28' needs 1×28×28 images, but the data has samples of shape [{string.Join(", ", sampleShape)}]; use model family 'mlp' for flat samples.";

    /// <inheritdoc/>
    public nn.Module<Tensor, Tensor> Build(NetworkInfo network, IReadOnlyList<long> sampleShape)
    {
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

    /// <summary>Conv2d(1,64,4,2,1)-LeakyReLU(0.2)-Conv2d(64,128,4,2,1)-LeakyReLU(0.2)-flatten-Linear(6272,outputs).</summary>
    private static nn.Module<Tensor, Tensor> ConvCritic(long outputs) => nn.Sequential(
        nn.Conv2d(1, 64, 4, stride: 2, padding: 1), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, stride: 2, padding: 1), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(Flat, outputs));
}
