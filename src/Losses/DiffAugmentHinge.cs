namespace GanDsl.Losses;

/// <summary>
/// Hinge loss with DiffAugment (Zhao, Liu, Lin, Zhu &amp; Han 2020, "Differentiable Augmentation for Data-Efficient
/// GAN Training", eqs. 2-3): the critic sees only augmented batches, real and generated, and the generator is
/// trained through the same differentiable augmentation T, so D cannot simply memorise the real set:
/// L_D = E relu(1 - D(T(x))) + E relu(1 + D(T(G(z)))), L_G = -E D(T(G(z))).
/// </summary>
/// <remarks>
/// T is <c>Augment</c>: the paper's reference policy colour + translation + cutout on image batches, a 0.05 jitter on
/// 2-D point batches; real and generated batches get independent draws, as in the authors' code.
/// </remarks>
[GanLoss("diffaug-hinge")]
public partial class DiffAugmentHinge
{
    [DiscriminatorLoss] static Loss Discriminator => Mean(Relu(1 - D(Augment(x)))) + Mean(Relu(1 + D(Augment(G(z)))));

    [GeneratorLoss] static Loss Generator => -Mean(D(Augment(G(z))));
}
