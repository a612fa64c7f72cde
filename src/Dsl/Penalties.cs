using static GanDsl.Vocabulary;

namespace GanDsl;

/// <summary>
/// Gradient penalties and regularisers written in the DSL. They are macros: the generator inlines
/// them where they are used (from the <see cref="MacroAttribute"/> text, since this assembly is a
/// compiled reference for user code). Each penalty is on <c>D</c>; for another critic, write the
/// one-line formula with that network.
/// </summary>
/// <remarks>
/// Gradient penalties differentiate Σᵢ D(x̂ᵢ) with respect to x̂ with the graph kept, take each
/// sample's L2 norm over its flattened features, and average over the batch.
/// Keep each <see cref="MacroAttribute"/> text equal to the expression body (a test checks it).
/// </remarks>
public static class Penalties
{
    /// <summary>WGAN-GP's two-sided penalty E (‖∇D(at)‖₂ - 1)² (Gulrajani et al. 2017). Use at <c>Between(x, G(z))</c>.</summary>
    [Macro("Mean(Square(Norm(Grad(D(at), at)) - 1))")]
    public static Expr GradientPenalty(Expr at) => Mean(Square(Norm(Grad(D(at), at)) - 1));

    /// <summary>WGAN-LP's one-sided penalty E max(0, ‖∇D(at)‖₂ - 1)² (Petzka et al. 2018).</summary>
    [Macro("Mean(Square(Relu(Norm(Grad(D(at), at)) - 1)))")]
    public static Expr OneSidedPenalty(Expr at) => Mean(Square(Relu(Norm(Grad(D(at), at)) - 1)));

    /// <summary>The zero-centred penalty E ‖∇D(at)‖₂² (Mescheder et al. 2018; Thanh-Tung et al. 2019).</summary>
    [Macro("Mean(Square(Norm(Grad(D(at), at))))")]
    public static Expr ZeroCenteredPenalty(Expr at) => Mean(Square(Norm(Grad(D(at), at))));

    /// <summary>R1: γ/2 E ‖∇ₓD(x)‖₂² at real samples (Mescheder et al. 2018).</summary>
    [Macro("gamma / 2 * ZeroCenteredPenalty(x)")]
    public static Expr R1(Expr gamma) => gamma / 2 * ZeroCenteredPenalty(x);

    /// <summary>R2: γ/2 E ‖∇D(G(z))‖₂² at generated samples (Mescheder et al. 2018).</summary>
    [Macro("gamma / 2 * ZeroCenteredPenalty(G(z))")]
    public static Expr R2(Expr gamma) => gamma / 2 * ZeroCenteredPenalty(G(z));

    /// <summary>
    /// DRAGAN's perturbed points v + α·C·std(v)·u with C = 0.5, α ~ U[0,1) per sample, u ~ U[0,1) per
    /// element, std the population standard deviation of the batch, a constant (Kodali et al. 2017).
    /// </summary>
    [Macro("v + UniformPerSample(v) * (0.5 * Std(v) * UniformLike(v))")]
    public static Expr DraganPoint(Expr v) => v + UniformPerSample(v) * (0.5 * Std(v) * UniformLike(v));

    /// <summary>DRAGAN's penalty: the two-sided gradient penalty at <see cref="DraganPoint"/>(v).</summary>
    [Macro("GradientPenalty(DraganPoint(v))")]
    public static Expr DraganPenalty(Expr v) => GradientPenalty(DraganPoint(v));
}
