using GanDsl;
using static GanDsl.Penalties;
using static GanDsl.Vocabulary;

namespace MyGanLosses;

/// <summary>
/// Hinge loss (Lim &amp; Ye 2017) with the R1 penalty on real samples (Mescheder et al. 2018, eq. 9).
/// Edit it, or add classes like it: the build checks each [GanLoss] class and reports mistakes as GAN diagnostics.
/// </summary>
[GanLoss("my-hinge-r1"), Adam(2e-4, 0.0, 0.9)]
public partial class HingeR1
{
    /// <summary>Weight γ of the R1 penalty γ/2 E‖∇D(x)‖² (GanDsl.Penalties.R1).</summary>
    [Hyper] const double Gamma = 1;

    [DiscriminatorLoss] static Loss Critic => Mean(Relu(1 - D(x))) + Mean(Relu(1 + D(G(z)))) + R1(Gamma);
    [GeneratorLoss] static Loss Generator => -Mean(D(G(z)));
}
