namespace GanDsl.Losses;

/// <summary>Energies of an autoencoder discriminator AE, shared by EBGAN and MAGAN (macros).</summary>
public static class Autoencoder
{
    /// <summary>EBGAN's energy: each sample's mean squared reconstruction error, per sample (Zhao et al. 2016, eq. 1).</summary>
    /// <param name="v">A batch of samples.</param>
    public static Expr Energy(Expr v) => MeanPerSample(Square(AE(v) - v));
}
