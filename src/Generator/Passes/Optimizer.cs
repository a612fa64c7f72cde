using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using GanDsl.Generator.Helpers;
using GanDsl.Generator.Ir;

namespace GanDsl.Generator.Passes;

/// <summary>
/// Rewrites a loss's IR into fewer, numerically stable native calls. Pure: spec in, spec out.
/// Each rewrite is one small method named after the identity it uses; they run bottom-up until
/// nothing changes. Common subexpressions need no pass: equal subtrees are equal values and the
/// emitter evaluates each once.
/// </summary>
internal static class Optimizer
{
    public static LossClassSpec Run(LossClassSpec spec, CancellationToken cancellationToken)
    {
        var analysis = new Analysis(spec.Networks.ToDictionary(n => n.Name, StringComparer.Ordinal));
        var optimizer = new Rewriter(analysis);
        LossSpec? Loss(LossSpec? loss) => loss is null ? null : loss with { Expression = optimizer.Rewrite(loss.Expression) };

        var discriminator = Loss(spec.Discriminator);
        cancellationToken.ThrowIfCancellationRequested();
        var generator = Loss(spec.Generator)!;
        var states = spec.States.Select(s => s with { Update = optimizer.Rewrite(s.Update) }).ToEquatableArray();
        var monitors = spec.Monitors.Select(m => m with { Expression = optimizer.Rewrite(m.Expression) }).ToEquatableArray();
        return spec with { Discriminator = discriminator, Generator = generator, States = states, Monitors = monitors };
    }

    /// <summary>Optimises one expression (tests call this directly).</summary>
    public static ExprNode Run(ExprNode node, IReadOnlyDictionary<string, NetworkSpec> networks) => new Rewriter(new Analysis(networks)).Rewrite(node);

    private sealed class Rewriter(Analysis analysis)
    {
        private readonly Dictionary<ExprNode, ExprNode> _done = new();

        public ExprNode Rewrite(ExprNode node)
        {
            if (_done.TryGetValue(node, out var known)) return known;
            var result = node switch
            {
                ApplyNode a => a with { Argument = Rewrite(a.Argument) },
                HeadNode h => h with { Output = (ApplyNode)Rewrite(h.Output) },
                NamedNode n => n with { Body = Rewrite(n.Body) },
                CallNode c => Simplify(new CallNode(c.Op, c.Args.Select(Rewrite).ToEquatableArray())),
                _ => node,
            };
            _done[node] = result;
            return result;
        }

        // Applies the first matching rule. Rules build new nodes through Call, which simplifies them,
        // and return operands that are already simplified, so a rule's result is final.
        private ExprNode Simplify(CallNode call) =>
            FoldConstants(call)
            ?? DropIdentityOperand(call)
            ?? CancelDoubleNegation(call)
            ?? SubtractingNegationIsAdding(call)
            ?? LogOfSigmoidIsLogSigmoid(call)
            ?? LogOfOneMinusSigmoidIsNegSoftplus(call)
            ?? MeanOfNegationIsNegatedMean(call)
            ?? MeanOfPerSampleMeansIsMean(call)
            ?? MeanSoftplusIsBceWithLogits(call)
            ?? MeanLogSigmoidIsNegatedBceWithLogits(call)
            ?? MeanSquaredDifferenceIsMseLoss(call)
            ?? MeanAbsoluteDifferenceIsL1Loss(call)
            ?? MeanCrossEntropyIsCrossEntropyLoss(call)
            ?? MeanSquaredNormIsSumOfSquares(call)
            ?? (ExprNode)call;

        private bool IsTensor(ExprNode node) => !analysis.Of(node).IsHost;

        private static bool IsConst(ExprNode node, double value) => node is ConstNode c && c.Value.Equals(value);

        /// <summary>Builds a node a rule introduces, simplified in turn (its operands already are).</summary>
        private ExprNode Call(Op op, params ExprNode[] args) => Simplify(new CallNode(op, args));

        /// <summary>op(c1, c2, ...) = its value, for operations the table can evaluate on the host.</summary>
        private static ExprNode? FoldConstants(CallNode call)
        {
            if (call.Args.Count == 0 || !call.Args.All(a => a is ConstNode)) return null;
            var fold = Operations.Of(call.Op).Fold;
            if (fold is null) return null;
            var folded = fold(call.Args.Select(a => ((ConstNode)a).Value).ToArray());
            return !double.IsNaN(folded) && !double.IsInfinity(folded) ? new ConstNode(folded) : null;
        }

        /// <summary>a + 0 = 0 + a = a - 0 = a·1 = 1·a = a/1 = a; 0 - a = -a.</summary>
        private ExprNode? DropIdentityOperand(CallNode call)
        {
            if (call.Args.Count != 2) return null;
            var (a, b) = (call.Args[0], call.Args[1]);
            return call.Op switch
            {
                Op.Add when IsConst(b, 0) => a,
                Op.Add when IsConst(a, 0) => b,
                Op.Sub when IsConst(b, 0) => a,
                Op.Sub when IsConst(a, 0) && b is not ConstNode => Call(Op.Neg, b),
                Op.Mul when IsConst(b, 1) => a,
                Op.Mul when IsConst(a, 1) => b,
                Op.Div when IsConst(b, 1) => a,
                _ => null,
            };
        }

        /// <summary>-(-a) = a.</summary>
        private static ExprNode? CancelDoubleNegation(CallNode call) =>
            call.Op == Op.Neg && call.Args[0] is CallNode { Op: Op.Neg } inner ? inner.Args[0] : null;

        /// <summary>a - (-b) = a + b; a + (-b) = a - b.</summary>
        private ExprNode? SubtractingNegationIsAdding(CallNode call) => call.Op switch
        {
            Op.Sub when call.Args[1] is CallNode { Op: Op.Neg } n => Call(Op.Add, call.Args[0], n.Args[0]),
            Op.Add when call.Args[1] is CallNode { Op: Op.Neg } n => Call(Op.Sub, call.Args[0], n.Args[0]),
            _ => null,
        };

        /// <summary>log σ(t) = -softplus(-t), computed by the log-sigmoid kernel: finite for any t.</summary>
        private ExprNode? LogOfSigmoidIsLogSigmoid(CallNode call) =>
            call.Op == Op.Log && call.Args[0] is CallNode { Op: Op.Sigmoid } s && IsTensor(s)
                ? Call(Op.LogSigmoid, s.Args[0]) : null;

        /// <summary>log(1 - σ(t)) = -softplus(t): finite where 1 - σ(t) rounds to 0.</summary>
        private ExprNode? LogOfOneMinusSigmoidIsNegSoftplus(CallNode call) =>
            call.Op == Op.Log && call.Args[0] is CallNode { Op: Op.Sub } d && IsConst(d.Args[0], 1)
            && d.Args[1] is CallNode { Op: Op.Sigmoid } s && IsTensor(s)
                ? Call(Op.Neg, Call(Op.Softplus, s.Args[0])) : null;

        /// <summary>E[-u] = -E[u], so the patterns below see the inner reduction.</summary>
        private ExprNode? MeanOfNegationIsNegatedMean(CallNode call) =>
            call.Op == Op.Mean && call.Args[0] is CallNode { Op: Op.Neg } n ? Call(Op.Neg, Call(Op.Mean, n.Args[0])) : null;

        /// <summary>
        /// The mean of per-sample means is the mean (every sample has as many elements), so EBGAN's
        /// Mean(MeanPerSample(Square(AE(v) - v))) reaches the mse_loss rule below: one call instead of four.
        /// </summary>
        private ExprNode? MeanOfPerSampleMeansIsMean(CallNode call) =>
            call.Op == Op.Mean && call.Args[0] is CallNode { Op: Op.MeanPerSample } m && IsTensor(m.Args[0])
                ? Call(Op.Mean, m.Args[0]) : null;

        /// <summary>
        /// E softplus(-t) = BCE-with-logits(t, 1) and E softplus(t) = BCE-with-logits(t, 0): one
        /// binary_cross_entropy_with_logits kernel, stable for any t.
        /// </summary>
        private ExprNode? MeanSoftplusIsBceWithLogits(CallNode call)
        {
            if (call.Op != Op.Mean || call.Args[0] is not CallNode { Op: Op.Softplus } sp || !IsTensor(sp)) return null;
            return sp.Args[0] is CallNode { Op: Op.Neg } neg
                ? Call(Op.BceWithLogitsMean, neg.Args[0], new ConstNode(1))
                : Call(Op.BceWithLogitsMean, sp.Args[0], new ConstNode(0));
        }

        /// <summary>E log σ(t) = -BCE-with-logits(t, 1).</summary>
        private ExprNode? MeanLogSigmoidIsNegatedBceWithLogits(CallNode call) =>
            call.Op == Op.Mean && call.Args[0] is CallNode { Op: Op.LogSigmoid } ls && IsTensor(ls)
                ? Call(Op.Neg, Call(Op.BceWithLogitsMean, ls.Args[0], new ConstNode(1))) : null;

        /// <summary>
        /// E (a - b)² = mse_loss(a, b) when a and b have the same shape or one is a scalar (a host number or a
        /// scalar tensor such as RaLSGAN's Mean(D(G(z))): broadcasting it keeps the other's shape, so the mean is
        /// over the same elements). E (u + h)² = mse_loss(u, -h) for a host h (RaLSGAN's "… + 1"): two calls
        /// instead of four.
        /// </summary>
        private ExprNode? MeanSquaredDifferenceIsMseLoss(CallNode call) =>
            call.Op == Op.Mean && call.Args[0] is CallNode { Op: Op.Square } sq && sq.Args[0] is CallNode { Op: Op.Sub or Op.Add } d
                ? MeanOfDifference(Op.MseMean, d) : null;

        /// <summary>
        /// E |a - b| = l1_loss(a, b) (BEGAN's L(v) = E |AE(v) - v|), under the same conditions as mse_loss: two calls
        /// instead of three, and the gradient at a = b is 0 either way (|·|' and l1_loss's both use sign(0) = 0).
        /// </summary>
        private ExprNode? MeanAbsoluteDifferenceIsL1Loss(CallNode call) =>
            call.Op == Op.Mean && call.Args[0] is CallNode { Op: Op.Abs } abs && abs.Args[0] is CallNode { Op: Op.Sub or Op.Add } d
                ? MeanOfDifference(Op.L1Mean, d) : null;

        /// <summary>E CE(l, t) = cross_entropy(l, t) with mean reduction: one libtorch call instead of two (AC-GAN's class terms).</summary>
        private static ExprNode? MeanCrossEntropyIsCrossEntropyLoss(CallNode call) =>
            call.Op == Op.Mean && call.Args[0] is CallNode { Op: Op.CrossEntropy } ce ? new CallNode(Op.CrossEntropyMean, ce.Args[0], ce.Args[1]) : null;

        /// <summary>
        /// E ‖g‖² = Σ g² / B (R1/R2 and zero-centred penalties, Mescheder et al. 2018): squares, one sum and a division instead
        /// of per-sample norms, their squares and a mean; no square root, so no 0/0 in the norm's backward at g = 0.
        /// </summary>
        private ExprNode? MeanSquaredNormIsSumOfSquares(CallNode call) =>
            call.Op == Op.Mean && call.Args[0] is CallNode { Op: Op.Square } sq && sq.Args[0] is CallNode { Op: Op.Norm } norm && IsTensor(norm.Args[0])
                ? new CallNode(Op.MeanSquaredNorm, norm.Args[0]) : null;

        /// <summary>E f(a - b) (or f(u + h)) as the fused kernel <paramref name="fused"/>(a, b), where the operands allow it.</summary>
        private ExprNode? MeanOfDifference(Op fused, CallNode d)
        {
            var (a, b) = (d.Args[0], d.Args[1]);
            var (fa, fb) = (analysis.Of(a), analysis.Of(b));
            if (fa.IsHost && fb.IsHost) return null;
            if (d.Op == Op.Add)
            {
                if (fb.IsHost) return Call(fused, a, Call(Op.Neg, b));
                if (fa.IsHost) return Call(fused, b, Call(Op.Neg, a));
                return null;
            }
            if (fa.IsHost) return Call(fused, b, a);
            if (fb.IsHost || fa.Shape == fb.Shape || fb.Shape == Shape.Scalar) return Call(fused, a, b);
            if (fa.Shape == Shape.Scalar) return Call(fused, b, a);
            return null;
        }
    }
}
