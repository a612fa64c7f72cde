using System;
using System.Collections.Generic;
using System.Linq;
using GanDsl.Generator.Ir;

namespace GanDsl.Generator.Passes;

/// <summary>What the IR knows about a value: its shape, whether plain C# doubles compute it, and the networks it reads.</summary>
/// <param name="Shape">Scalar, per-sample, features or a batch of samples.</param>
/// <param name="IsHost">True for constants, hyperparameters, state and arithmetic on them: computed as a <c>double</c>, no tensor.</param>
/// <param name="Networks">Names of the networks the value depends on, in ordinal order.</param>
/// <param name="Space">For a batch of samples: whether it lives in data space or noise space.</param>
/// <param name="Height">Nodes on the longest path down to a leaf (1 for a leaf).</param>
/// <param name="Rows">
/// Null for a value over the whole batch; for a value over some of its rows (<c>TopK</c>), which rows: values
/// with equal keys have the same rows and combine elementwise, others do not.
/// </param>
internal sealed record Facts(Shape Shape, bool IsHost, IReadOnlyList<string> Networks, Space Space = Space.None, int Height = 1, ExprNode? Rows = null);

/// <summary>Where a batch of samples lives: networks of the critic role read data space, generator-role networks read noise.</summary>
internal enum Space
{
    /// <summary>Not a batch of samples, or nothing decides it (a constant).</summary>
    None,
    /// <summary>Data space: x, G(z), reconstructions, interpolates between them.</summary>
    Data,
    /// <summary>Noise space: z, z2.</summary>
    Noise,
    /// <summary>Data and noise combined elementwise: the shapes differ at run time.</summary>
    Mixed,
}

/// <summary>
/// Infers <see cref="Facts"/> bottom-up over the IR (memoised: equal subtrees are analysed once).
/// Iterative, with an explicit stack: safe for any depth of IR.
/// </summary>
internal sealed class Analysis
{
    private static readonly string[] s_none = Array.Empty<string>();
    private readonly IReadOnlyDictionary<string, NetworkSpec> _networks;
    private readonly Dictionary<ExprNode, Facts> _memo = new();

    public Analysis(IReadOnlyDictionary<string, NetworkSpec> networks) => _networks = networks;

    public NetworkSpec? Network(string name) => _networks.TryGetValue(name, out var n) ? n : null;

    public Facts Of(ExprNode node)
    {
        if (_memo.TryGetValue(node, out var known)) return known;
        var stack = new Stack<(ExprNode Node, bool Expanded)>();
        stack.Push((node, false));
        while (stack.Count > 0)
        {
            var (current, expanded) = stack.Pop();
            if (_memo.ContainsKey(current)) continue;
            if (expanded)
            {
                _memo[current] = Compute(current);
                continue;
            }
            stack.Push((current, true));
            foreach (var child in Children(current))
                if (!_memo.ContainsKey(child)) stack.Push((child, false));
        }
        return _memo[node];
    }

    /// <summary>The operands of a node, in order.</summary>
    public static IReadOnlyList<ExprNode> Children(ExprNode node) => node switch
    {
        ApplyNode { Labels: { } labels } a => new[] { a.Argument, labels },
        ApplyNode a => new[] { a.Argument },
        HeadNode h => new[] { (ExprNode)h.Output },
        NamedNode n => new[] { n.Body },
        CallNode c => c.Args.ToList(),
        _ => Array.Empty<ExprNode>(),
    };

    // Every operand is already in the memo (see Of).
    private Facts Compute(ExprNode node)
    {
        switch (node)
        {
            case ConstNode or HyperNode or StateNode:
                return new Facts(Shape.Scalar, true, s_none);
            case InputNode { Kind: InputKind.RealLabels or InputKind.NoiseLabels }:
                return new Facts(Shape.Labels, false, s_none);
            case InputNode input:
                return new Facts(Shape.Samples, false, s_none, input.Kind == InputKind.Real ? Space.Data : Space.Noise);
            case HeadNode head:
                {
                    var output = _memo[head.Output];
                    return new Facts(head.Index < 0 ? Shape.PerSample : Shape.ClassLogits, false, output.Networks, Space.None, output.Height + 1);
                }
            case NamedNode named:
                {
                    var body = _memo[named.Body];
                    return body with { Height = body.Height + 1 };
                }
            case ApplyNode apply:
                {
                    var arg = _memo[apply.Argument];
                    var network = Network(apply.Network);
                    var output = network?.Output ?? NetworkOutput.Score;
                    var shape = output switch
                    {
                        // The raw output of a network with class heads, [B, 1 + H·K]: read only through HeadNodes.
                        NetworkOutput.Score when network?.ClassHeads > 0 => Shape.Features,
                        NetworkOutput.Score => Shape.PerSample,
                        NetworkOutput.ClassLogits => Shape.ClassLogits,
                        NetworkOutput.Features => Shape.Features,
                        NetworkOutput.Reconstruction => arg.Shape == Shape.Scalar ? Shape.Samples : arg.Shape,
                        _ => Shape.Samples,
                    };
                    var space = output is NetworkOutput.Sample or NetworkOutput.Reconstruction ? Space.Data : Space.None;
                    return new Facts(shape, false, Union(arg.Networks, new[] { apply.Network }), space, arg.Height + 1);
                }
            case CallNode call:
                return OfCall(call);
            default:
                throw new InvalidOperationException("Unknown IR node " + node.GetType().Name);
        }
    }

    private Facts OfCall(CallNode call)
    {
        var args = new Facts[call.Args.Count];
        IReadOnlyList<string> networks = s_none;
        var allHost = true;
        var widest = Shape.Scalar;
        var space = Space.None;
        var height = 0;
        for (var i = 0; i < args.Length; i++)
        {
            args[i] = _memo[call.Args[i]];
            networks = Union(networks, args[i].Networks);
            allHost &= args[i].IsHost;
            if (args[i].Shape > widest) widest = args[i].Shape;
            space = Join(space, args[i].Space);
            if (args[i].Height > height) height = args[i].Height;
        }
        height++;

        var operation = Operations.Of(call.Op);
        var rows = RowsOf(call, operation.Shape, args);
        var first = args.Length > 0 ? args[0].Shape : Shape.Scalar;
        var firstSpace = args.Length > 0 ? args[0].Space : Space.None;
        // The space follows the shape rule: elementwise results join their operands' spaces, a value of its
        // first (second) operand's shape lives where that operand does, reductions live in no space.
        var (shape, resultSpace) = operation.Shape switch
        {
            ShapeRule.Broadcast => (widest, space),
            ShapeRule.First => (first, firstSpace),
            ShapeRule.PerSample => (first == Shape.Scalar ? Shape.Scalar : Shape.PerSample, Space.None),
            ShapeRule.Second => args.Length > 1 ? (args[1].Shape, args[1].Space) : (Shape.Scalar, Space.None),
            ShapeRule.FreshPerSample or ShapeRule.TopRows => (Shape.PerSample, Space.None),
            _ => (Shape.Scalar, Space.None),
        };
        // Host when every operand is and the operation has a host form; random draws read only their operand's shape.
        return new Facts(shape, operation.IsHostComputable && allHost, operation.ReadsValues ? networks : s_none, resultSpace, height,
            shape == Shape.Scalar ? null : rows);
    }

    /// <summary>
    /// Which rows of the batch a value covers (see <see cref="Facts.Rows"/>): TopK's are keyed by its fraction (and
    /// the rows it ranks), so TopK(D(x), Nu) and TopK(D(G(z)), Nu) cover as many rows; other operations keep their
    /// operands' rows (the parser reports operands whose rows differ).
    /// </summary>
    private static ExprNode? RowsOf(CallNode call, ShapeRule rule, Facts[] args)
    {
        switch (rule)
        {
            case ShapeRule.TopRows:
                return args[0].Rows is { } inner ? new CallNode(Op.TopK, inner, call.Args[1]) : call.Args[1];
            case ShapeRule.Second:
                return args.Length > 1 ? args[1].Rows : null;
            case ShapeRule.Scalar:
                return null;
            case ShapeRule.Broadcast:
                foreach (var arg in args)
                    if (arg.Rows is not null) return arg.Rows;
                return null;
            default:
                return args.Length > 0 ? args[0].Rows : null;
        }
    }

    /// <summary>The space of an elementwise combination: data with noise is mixed; a value of no space takes the other's.</summary>
    public static Space Join(Space a, Space b) => a == Space.None ? b : b == Space.None || a == b ? a : Space.Mixed;

    /// <summary>True when <paramref name="haystack"/> contains <paramref name="needle"/> as a subtree (the value depends on it). Iterative.</summary>
    public static bool Contains(ExprNode haystack, ExprNode needle) => Subtree(haystack).Any(node => node.Equals(needle));

    /// <summary>
    /// Every node of <paramref name="root"/>'s tree, each shared node once (by reference), parents before their
    /// operands. Iterative (an explicit stack): safe at any depth.
    /// </summary>
    public static IEnumerable<ExprNode> Subtree(ExprNode root)
    {
        var seen = new HashSet<ExprNode>(ReferenceComparer.Instance);
        var stack = new Stack<ExprNode>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (!seen.Add(node)) continue;
            yield return node;
            foreach (var child in Children(node)) stack.Push(child);
        }
    }

    /// <summary>Looks through <see cref="NamedNode"/> wrappers.</summary>
    public static ExprNode Unwrap(ExprNode node)
    {
        while (node is NamedNode n) node = n.Body;
        return node;
    }

    private static IReadOnlyList<string> Union(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        if (b.Count == 0) return a;
        if (a.Count == 0) return b;
        var set = new SortedSet<string>(a, StringComparer.Ordinal);
        set.UnionWith(b);
        if (set.Count == a.Count) return a;
        var result = new string[set.Count];
        set.CopyTo(result);
        return result;
    }
}

/// <summary>Reference equality for the visited sets of the IR walks (netstandard2.0 has no ReferenceComparer).</summary>
internal sealed class ReferenceComparer : IEqualityComparer<object>
{
    public static ReferenceComparer Instance { get; } = new();

    public new bool Equals(object? x, object? y) => ReferenceEquals(x, y);

    public int GetHashCode(object obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
}
