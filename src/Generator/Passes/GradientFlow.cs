using System;
using System.Collections.Generic;
using GanDsl.Generator.Ir;

namespace GanDsl.Generator.Passes;

/// <summary>
/// Where gradients actually flow in one step, as the emitted code will run it: the networks a loss
/// trains, and whether a <c>Grad(f, at)</c> has a path from f back to at. Iterative: safe for any depth.
/// </summary>
/// <remarks>
/// Edges that carry no gradient: the operands the operation table marks so (<see cref="Operation.Gradient"/>:
/// <c>StopGradient</c>, <c>Step</c>, <c>Std</c>, random draws, the kernel widths of <c>Mmd2</c>, the exponent of
/// <c>Pow</c>, ...); constants, hyperparameters and state (host values); and, in the critic step, every
/// generator-role network, which runs under <c>NoGrad</c> there (its output is a constant, or a fresh leaf
/// when it is the <c>at</c> of a Grad). <c>Grad(f, at)</c> is built with
/// <c>createGraph: true</c>, so its value carries gradient back through f.
/// </remarks>
internal static class GradientFlow
{
    /// <summary>The networks whose parameters get a gradient from <paramref name="root"/> in <paramref name="step"/>.</summary>
    public static HashSet<string> TrainedNetworks(ExprNode root, StepKind step, Func<string, NetworkSpec?> network)
    {
        var trained = new HashSet<string>(StringComparer.Ordinal);
        Walk(root, step, network, node =>
        {
            if (node is ApplyNode apply) trained.Add(apply.Network);
            return false;
        });
        return trained;
    }

    /// <summary>True when a gradient flows from <paramref name="value"/> back to <paramref name="at"/> in <paramref name="step"/>.</summary>
    public static bool Reaches(ExprNode value, ExprNode at, StepKind step, Func<string, NetworkSpec?> network)
    {
        at = Analysis.Unwrap(at);
        return Walk(value, step, network, node => Analysis.Unwrap(node).Equals(at));
    }

    /// <summary>Every <c>Grad</c> node of <paramref name="root"/> (inside others too), each once.</summary>
    public static List<CallNode> Grads(ExprNode root)
    {
        var found = new List<CallNode>();
        var seen = new HashSet<ExprNode>();
        var stack = new Stack<ExprNode>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (!seen.Add(node)) continue;
            if (node is CallNode { Op: Op.Grad } grad) found.Add(grad);
            foreach (var child in Analysis.Children(node)) stack.Push(child);
        }
        return found;
    }

    /// <summary>Visits the nodes a gradient reaches from <paramref name="root"/>; stops early when <paramref name="visit"/> returns true.</summary>
    private static bool Walk(ExprNode root, StepKind step, Func<string, NetworkSpec?> network, Func<ExprNode, bool> visit)
    {
        var seen = new HashSet<ExprNode>(ReferenceComparer.Instance);
        var stack = new Stack<ExprNode>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (!seen.Add(node)) continue;
            if (visit(node)) return true;
            switch (node)
            {
                case NamedNode named:
                    stack.Push(named.Body);
                    break;
                case ApplyNode apply:
                    // In the critic step a generator-role network runs without gradients: its output is a constant.
                    if (step == StepKind.Critic && network(apply.Network)?.Role == NetworkRole.Generator) break;
                    stack.Push(apply.Argument);   // labels are class indices: no gradient reaches them
                    break;
                case HeadNode head:
                    stack.Push(head.Output);
                    break;
                case CallNode call:
                    foreach (var arg in DifferentiableOperands(call)) stack.Push(arg);
                    break;
            }
        }
        return false;
    }

    /// <summary>The operands a gradient flows back into, as the operation table says (<see cref="Operation.Gradient"/>).</summary>
    private static IEnumerable<ExprNode> DifferentiableOperands(CallNode call)
    {
        var operation = Operations.Of(call.Op);
        for (var i = 0; i < call.Args.Count; i++)
            if (operation.CarriesGradient(i)) yield return call.Args[i];
    }
}
