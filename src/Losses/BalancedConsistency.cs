namespace GanDsl.Losses;

/// <summary>
/// Balanced consistency regularisation, bCR (Zhao, Singh, Lee, Zhang, Odena &amp; Zhang 2021, "Improved Consistency
/// Regularization for GANs", Algorithm 1) on the non-saturating loss: the critic is asked to give an augmented sample
/// the score of the sample itself, for real and for generated samples alike:
/// L_D += λ_real E (D(x) - D(T(x)))² + λ_fake E (D(G(z)) - D(T(G(z))))², λ_real = λ_fake = 10; L_G is unchanged.
/// </summary>
/// <remarks>
/// T is <c>Augment</c> (DiffAugment's colour, translation and cutout on images, a 0.05 jitter on 2-D points); the
/// paper's T for CIFAR is flipping and a few pixels of translation.
/// </remarks>
[GanLoss("bcr")]
public partial class BalancedConsistency
{
    /// <summary>Weight λ_real of the consistency term on real samples.</summary>
    [Hyper] const double LambdaReal = 10;

    /// <summary>Weight λ_fake of the consistency term on generated samples.</summary>
    [Hyper] const double LambdaFake = 10;

    /// <summary>E (D(x) - D(T(x)))², reported as a term.</summary>
    static Expr RealConsistency => Mean(Square(D(x) - D(Augment(x))));

    /// <summary>E (D(G(z)) - D(T(G(z))))², reported as a term.</summary>
    static Expr FakeConsistency => Mean(Square(D(G(z)) - D(Augment(G(z)))));

    [DiscriminatorLoss]
    static Loss Discriminator =>
        -Mean(Log(Sigmoid(D(x)))) - Mean(Log(1 - Sigmoid(D(G(z))))) + LambdaReal * RealConsistency + LambdaFake * FakeConsistency;

    [GeneratorLoss] static Loss Generator => -Mean(Log(Sigmoid(D(G(z)))));
}
