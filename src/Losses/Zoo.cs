using System.Reflection;

namespace GanDsl.Losses;

/// <summary>
/// The loss zoo: every seed objective (docs/losses.md) as a DSL declaration, one file each, registered
/// under its canonical name (<c>minimax</c>, <c>wgan-gp</c>, <c>r1</c>, ...), and the objectives added since
/// (<see cref="AddedNames"/>: f-GAN, WGAN-div, Softmax GAN, LeCam, top-k, DiffAugment, bCR, zCR).
/// </summary>
public static class Zoo
{
    /// <summary>The assembly holding the zoo's generated losses.</summary>
    public static Assembly Assembly => typeof(Zoo).Assembly;

    /// <summary>A registry of every loss of the zoo, to pick one by name.</summary>
    public static LossRegistry CreateRegistry() => new(Assembly);

    /// <summary>The canonical names of the seed objectives, in the order docs/losses.md lists them (the registry must hold each).</summary>
    public static IReadOnlyList<string> CanonicalNames { get; } =
    [
        "minimax", "nonsaturating", "dragan", "lsgan", "hinge", "wgan", "wgan-gp", "wgan-lp", "rwgan", "mcgan",
        "fisher", "cramer", "rsgan", "ragan", "ralsgan", "ragan-aux", "ebgan", "began", "magan", "gmmn", "mmdgan",
        "r1", "r2", "zero-gp",
    ];

    /// <summary>
    /// The objectives added beyond the seed ones (issue 17), each verified like the canonical ones
    /// against <c>tests/reference/zoo/zoo.json</c>: the f-GAN family of Nowozin et al. 2016 (six divergences,
    /// each with the paper's alternative generator loss and, under <c>-saturating</c>, the saddle-point one),
    /// then the regularised and augmented losses since.
    /// </summary>
    public static IReadOnlyList<string> AddedNames { get; } =
    [
        "fgan-tv", "fgan-tv-saturating", "fgan-kl", "fgan-kl-saturating", "fgan-rkl", "fgan-rkl-saturating",
        "fgan-pearson", "fgan-pearson-saturating", "fgan-hellinger", "fgan-hellinger-saturating", "fgan-gan",
        "fgan-gan-saturating", "wgan-div", "softmax-gan", "lecam", "topk", "diffaug-hinge", "bcr", "zcr",
    ];

    /// <summary>
    /// The conditional losses (issue 16), which read class labels (<c>LossInfo.UsesLabels</c>) and train only on labelled
    /// data: conditional GAN (Mirza &amp; Osindero 2014), AC-GAN (Odena et al. 2017), the projection discriminator's hinge
    /// loss (Miyato &amp; Koyama 2018) and TAC-GAN (Gong et al. 2019).
    /// </summary>
    public static IReadOnlyList<string> ConditionalNames { get; } = ["cgan", "acgan", "projection-hinge", "tac-gan"];

    /// <summary>Every loss of the zoo: <see cref="CanonicalNames"/>, <see cref="AddedNames"/>, then <see cref="ConditionalNames"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. CanonicalNames, .. AddedNames, .. ConditionalNames];
}
