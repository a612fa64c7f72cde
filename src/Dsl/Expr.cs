using System.ComponentModel;

namespace GanDsl;

/// <summary>
/// A symbolic tensor-valued expression of the loss DSL: a batch, a per-sample value or a scalar.
/// </summary>
/// <remarks>
/// Nothing of type <see cref="Expr"/> is ever evaluated. The GanDsl source generator reads the
/// C# expression that builds it and emits tensor code for it; the types and operators here exist
/// so that a loss type-checks in the IDE. Calling any member at run time throws
/// <see cref="InvalidOperationException"/>.
/// Arithmetic follows broadcasting: a per-sample value combined with a batch of samples scales each
/// sample; a scalar combines with anything.
/// </remarks>
public sealed class Expr
{
    private Expr() { }

    /// <summary>Elementwise sum.</summary>
    public static Expr operator +(Expr a, Expr b) => throw NotEvaluated("+");
    /// <summary>Elementwise sum with a constant.</summary>
    public static Expr operator +(Expr a, double b) => throw NotEvaluated("+");
    /// <summary>Elementwise sum with a constant.</summary>
    public static Expr operator +(double a, Expr b) => throw NotEvaluated("+");
    /// <summary>Elementwise difference.</summary>
    public static Expr operator -(Expr a, Expr b) => throw NotEvaluated("-");
    /// <summary>Elementwise difference with a constant.</summary>
    public static Expr operator -(Expr a, double b) => throw NotEvaluated("-");
    /// <summary>Elementwise difference with a constant.</summary>
    public static Expr operator -(double a, Expr b) => throw NotEvaluated("-");
    /// <summary>Elementwise product.</summary>
    public static Expr operator *(Expr a, Expr b) => throw NotEvaluated("*");
    /// <summary>Elementwise product with a constant.</summary>
    public static Expr operator *(Expr a, double b) => throw NotEvaluated("*");
    /// <summary>Elementwise product with a constant.</summary>
    public static Expr operator *(double a, Expr b) => throw NotEvaluated("*");
    /// <summary>Elementwise quotient.</summary>
    public static Expr operator /(Expr a, Expr b) => throw NotEvaluated("/");
    /// <summary>Elementwise quotient by a constant.</summary>
    public static Expr operator /(Expr a, double b) => throw NotEvaluated("/");
    /// <summary>Elementwise quotient of a constant.</summary>
    public static Expr operator /(double a, Expr b) => throw NotEvaluated("/");
    /// <summary>Elementwise negation.</summary>
    public static Expr operator -(Expr a) => throw NotEvaluated("-");

    /// <summary>A constant (or a hyperparameter) used where an expression is expected.</summary>
    public static implicit operator Expr(double value) => throw NotEvaluated("a constant");

    /// <summary>
    /// The exception every DSL member throws when code runs it: DSL expressions are read by the
    /// source generator, never executed. Generated code uses it to implement declared networks.
    /// </summary>
    /// <param name="what">The member that was called.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static InvalidOperationException NotEvaluated(string what) => new(
        $"GanDsl expressions are read by the source generator and never run ('{what}' was called). " +
        "Use the generated loss class (its DiscriminatorStep/GeneratorStep) instead; " +
        "if it is missing, check that the GanDsl.Generator analyzer is referenced.");
}

/// <summary>
/// The type of a loss member (<c>[DiscriminatorLoss]</c>, <c>[GeneratorLoss]</c>): a scalar
/// <see cref="Expr"/> to be minimised. Any expression converts to it implicitly; the generator
/// reports GAN0020 when the expression is not a scalar.
/// </summary>
public sealed class Loss
{
    private Loss() { }

    /// <summary>Treats an expression as the loss to minimise.</summary>
    public static implicit operator Loss(Expr value) => throw Expr.NotEvaluated("Loss");
}
