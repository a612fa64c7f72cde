using GanDsl;
using static GanDsl.Penalties;
using static GanDsl.Vocabulary;

namespace CustomLoss;

/// <summary>
/// A loss the zoo does not ship: the hinge loss (Lim &amp; Ye 2017) with R1 regularisation at real
/// samples (Mescheder et al. 2018), as StyleGAN-era discriminators often train. Declared here, outside the
/// library: the generator checks it at compile time and writes its tensor code.
/// </summary>
[GanLoss("hinge-r1")]
public partial class HingeR1
{
    /// <summary>R1 weight γ (γ/2 E ‖∇ₓD(x)‖²).</summary>
    [Hyper] const double Gamma = 1;

    [DiscriminatorLoss] static Loss Discriminator => Mean(Relu(1 - D(x))) + Mean(Relu(1 + D(G(z)))) + R1(Gamma);

    [GeneratorLoss] static Loss Generator => -Mean(D(G(z)));
}
