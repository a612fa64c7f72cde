namespace GanDsl.Losses;

/// <summary>
/// Generative moment matching network (Li, Swersky &amp; Zemel 2015, "Generative Moment Matching Networks"):
/// no discriminator; the generator minimises the biased estimate of MMD²(x, G(z)) under a sum of Gaussian
/// kernels, σ ∈ {1, 2, 4, 8, 16}, samples flattened.
/// </summary>
[GanLoss("gmmn")]
public partial class Gmmn
{
    [GeneratorLoss] static Loss Generator => Mmd2(x, G(z));
}
