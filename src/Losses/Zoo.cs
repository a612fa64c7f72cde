using System.Reflection;

namespace GanDsl.Losses;

/// <summary>
/// The loss zoo: every seed objective (docs/losses.md) as a DSL declaration, one file each, registered
/// under its canonical name (<c>minimax</c>, <c>wgan-gp</c>, <c>r1</c>, ...).
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
}
