namespace GanDsl.Losses;

/// <summary>
/// Energy-based GAN (Zhao, Mathieu &amp; LeCun 2016, "Energy-based Generative Adversarial Network", eqs. 1-2):
/// an autoencoder discriminator whose energy e(v) is the per-sample mean squared reconstruction error;
/// it lowers the energy of real samples and pushes generated ones above the margin m (hinge per sample).
/// The optional pulling-away term is not included.
/// </summary>
[GanLoss("ebgan")]
public partial class Ebgan
{
    /// <summary>Margin m (data dependent; the paper tunes it per dataset).</summary>
    [Hyper] const double Margin = 1;

    [DiscriminatorLoss] static Loss Discriminator => Mean(Energy(x)) + Mean(Relu(Margin - Energy(G(z))));

    [GeneratorLoss] static Loss Generator => Mean(Energy(G(z)));
}
