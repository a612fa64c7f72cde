namespace GanDsl.Losses;

/// <summary>
/// The relativistic average losses of Jolicoeur-Martineau 2018 ("The relativistic discriminator: a key
/// element missing from standard GAN") as macros over critic outputs, shared by RaGAN and RaGAN-aux.
/// </summary>
public static class Relativistic
{
    /// <summary>RaGAN's discriminator loss: E softplus(-(real - E fake)) + E softplus(fake - E real).</summary>
    /// <param name="real">The critic on real samples, per sample.</param>
    /// <param name="fake">The critic on generated samples, per sample.</param>
    public static Expr AverageDiscriminatorLoss(Expr real, Expr fake) =>
        Mean(Softplus(-(real - Mean(fake)))) + Mean(Softplus(fake - Mean(real)));

    /// <summary>RaGAN's generator loss: the discriminator loss with real and fake swapped.</summary>
    /// <param name="real">The critic on real samples, per sample.</param>
    /// <param name="fake">The critic on generated samples, per sample.</param>
    public static Expr AverageGeneratorLoss(Expr real, Expr fake) =>
        Mean(Softplus(-(fake - Mean(real)))) + Mean(Softplus(real - Mean(fake)));
}
