using System;
using GanDsl.Generator.Helpers;

namespace GanDsl.Generator.Ir;

/// <summary>
/// A node of the loss IR: plain immutable data with structural equality, so equal subtrees are
/// the same value (common-subexpression elimination is a dictionary lookup) and specs holding
/// them cache in the incremental pipeline. No Roslyn symbols, syntax or locations.
/// </summary>
internal abstract record ExprNode
{
    // Records recompute structural hashes on every call; caching it keeps the CSE dictionaries linear.
    private int _hash;

    protected abstract int ComputeHash();

    public override int GetHashCode()
    {
        if (_hash == 0)
        {
            var h = ComputeHash();
            _hash = h == 0 ? 1 : h;
        }
        return _hash;
    }

    public virtual bool Equals(ExprNode? other) => other is not null && (ReferenceEquals(this, other) || EqualityContract == other.EqualityContract);
}

/// <summary>A numeric literal.</summary>
internal sealed record ConstNode(double Value) : ExprNode
{
    // Bitwise: 0.0 and -0.0 are different constants (1/x tells them apart).
    protected override int ComputeHash() => BitConverter.DoubleToInt64Bits(Value).GetHashCode();
    public bool Equals(ConstNode? other) => other is not null && BitConverter.DoubleToInt64Bits(Value) == BitConverter.DoubleToInt64Bits(other.Value);
    public override int GetHashCode() => base.GetHashCode();
}

/// <summary>A hyperparameter, read from <c>Hyper[name]</c> at each step (so runs can override it).</summary>
internal sealed record HyperNode(string Name) : ExprNode
{
    protected override int ComputeHash() => StringComparer.Ordinal.GetHashCode(Name) ^ 0x1111;
    public bool Equals(HyperNode? other) => other is not null && Name == other.Name;
    public override int GetHashCode() => base.GetHashCode();
}

/// <summary>The current value of a state variable (BEGAN's k).</summary>
internal sealed record StateNode(string Name) : ExprNode
{
    protected override int ComputeHash() => StringComparer.Ordinal.GetHashCode(Name) ^ 0x2222;
    public bool Equals(StateNode? other) => other is not null && Name == other.Name;
    public override int GetHashCode() => base.GetHashCode();
}

/// <summary>One of the step's input batches.</summary>
internal sealed record InputNode(InputKind Kind) : ExprNode
{
    protected override int ComputeHash() => (int)Kind + 0x3333;
    public bool Equals(InputNode? other) => other is not null && Kind == other.Kind;
    public override int GetHashCode() => base.GetHashCode();
}

/// <summary>A network applied to a batch: <c>D(x)</c>, <c>G(z)</c>; with class labels, <c>D(x, y)</c>, <c>G(z, yz)</c>.</summary>
/// <param name="Labels">The label input (<c>y</c> or <c>yz</c>) for a conditional application, else null.</param>
internal sealed record ApplyNode(string Network, ExprNode Argument, ExprNode? Labels = null) : ExprNode
{
    protected override int ComputeHash() => unchecked((StringComparer.Ordinal.GetHashCode(Network) * 31 + Argument.GetHashCode()) * 31
        + (Labels?.GetHashCode() ?? 0));
    public bool Equals(ApplyNode? other) => other is not null && Network == other.Network && Argument.Equals(other.Argument) && Equals(Labels, other.Labels);
    public override int GetHashCode() => base.GetHashCode();
}

/// <summary>
/// A column block of a network's output when the network carries class heads (AC-GAN's D): the score (column 0,
/// <paramref name="Index"/> −1, printed as the network) or the class logits of head <paramref name="Index"/>
/// (columns 1 + Index·K .. (Index + 1)·K). Every read of one <paramref name="Output"/> slices the same forward pass.
/// </summary>
/// <param name="Name">The name the loss reads it by: the network's for the score, the head's (<c>Q</c>) for a head.</param>
internal sealed record HeadNode(string Name, int Index, ApplyNode Output) : ExprNode
{
    protected override int ComputeHash() => unchecked((StringComparer.Ordinal.GetHashCode(Name) * 31 + Index) * 31 + Output.GetHashCode());
    public bool Equals(HeadNode? other) => other is not null && Name == other.Name && Index == other.Index && Output.Equals(other.Output);
    public override int GetHashCode() => base.GetHashCode();
}

/// <summary>An operation of the vocabulary (or a fused kernel the optimiser introduced).</summary>
internal sealed record CallNode(Op Op, EquatableArray<ExprNode> Args) : ExprNode
{
    public CallNode(Op op, params ExprNode[] args) : this(op, new EquatableArray<ExprNode>(args)) { }

    protected override int ComputeHash() => unchecked((int)Op * 7919 + Args.GetHashCode());
    public bool Equals(CallNode? other) => other is not null && Op == other.Op && (ReferenceEquals(this, other) || Args.Equals(other.Args));
    public override int GetHashCode() => base.GetHashCode();
}

/// <summary>
/// A scalar macro's value (<c>gp</c>, <c>L(x)</c>): transparent for evaluation, reported by name
/// as a step term.
/// </summary>
internal sealed record NamedNode(string Name, ExprNode Body) : ExprNode
{
    protected override int ComputeHash() => unchecked(StringComparer.Ordinal.GetHashCode(Name) * 17 + Body.GetHashCode());
    public bool Equals(NamedNode? other) => other is not null && Name == other.Name && Body.Equals(other.Body);
    public override int GetHashCode() => base.GetHashCode();
}

/// <summary>The input batches a step reads.</summary>
internal enum InputKind
{
    /// <summary><c>x</c>: the real batch.</summary>
    Real,
    /// <summary><c>z</c>: the noise batch.</summary>
    Noise,
    /// <summary><c>z2</c>: the second noise batch.</summary>
    Noise2,
    /// <summary><c>y</c>: the class labels of the real batch (int64 [B]).</summary>
    RealLabels,
    /// <summary><c>yz</c>: the class labels drawn with the noise batch (int64 [B]).</summary>
    NoiseLabels,
}

/// <summary>Operations of the IR. The first group mirrors the vocabulary; the last is introduced by the optimiser.</summary>
internal enum Op
{
    Add, Sub, Mul, Div, Neg,
    Log, Exp, Sqrt, Abs, Square, Pow, Sigmoid, LogSigmoid, Softplus, Relu, Min, Max, Clamp,
    Mean, Sum, MeanPerSample, Norm, Std,
    Grad, Between, UniformPerSample, UniformLike, StopGradient, Mmd2,
    Step, BatchMean,
    Tanh, Log1p, Expm1, LogSumExp, LogSumExpPerSample, Softmax, LogSoftmax, MaxAll, MinAll, TopK,
    Augment, AugmentShared, Jitter,
    CrossEntropy,

    /// <summary>mean(softplus(t) - t·y): binary_cross_entropy_with_logits(t, y), one kernel.</summary>
    BceWithLogitsMean,
    /// <summary>mean((a - b)²): mse_loss(a, b), one kernel.</summary>
    MseMean,
    /// <summary>mean(|a - b|): l1_loss(a, b), one kernel.</summary>
    L1Mean,
    /// <summary>mean(CrossEntropy(l, t)): cross_entropy(l, t) with mean reduction, one kernel.</summary>
    CrossEntropyMean,
    /// <summary>mean over samples of ‖g_i‖²: Σ g² / B, no square root.</summary>
    MeanSquaredNorm,
}
