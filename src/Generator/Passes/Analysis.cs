using System;
using System.Collections.Generic;
using GanDsl.Generator.Ir;

namespace GanDsl.Generator.Passes;

/// <summary>What the IR knows about a value: its shape, whether plain C# doubles compute it, and the networks it reads.</summary>
/// <param name="Shape">Scalar, per-sample, features or a batch of samples.</param>
/// <param name="IsHost">True for constants, hyperparameters, state and arithmetic on them: computed as a <c>double</c>, no tensor.</param>
/// <param name="Networks">Names of the networks the value depends on, in ordinal order.</param>
internal sealed record Facts(Shape Shape, bool IsHost, IReadOnlyList<string> Networks);

/// <summary>Infers <see cref="Facts"/> bottom-up over the IR (memoised: equal subtrees are analysed once).</summary>
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
        var facts = Compute(node);
        _memo[node] = facts;
        return facts;
    }

    private Facts Compute(ExprNode node)
    {
        switch (node)
        {
            case ConstNode or HyperNode or StateNode:
                return new Facts(Shape.Scalar, true, s_none);
            case InputNode:
                return new Facts(Shape.Samples, false, s_none);
            case NamedNode named:
                return Of(named.Body);
            case ApplyNode apply:
            {
                var arg = Of(apply.Argument);
                var output = Network(apply.Network)?.Output ?? NetOutput.Score;
                var shape = output switch
                {
                    NetOutput.Score => Shape.PerSample,
                    NetOutput.Features => Shape.Features,
                    NetOutput.Reconstruction => arg.Shape == Shape.Scalar ? Shape.Samples : arg.Shape,
                    _ => Shape.Samples,
                };
                return new Facts(shape, false, Union(arg.Networks, new[] { apply.Network }));
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
        for (var i = 0; i < args.Length; i++)
        {
            args[i] = Of(call.Args[i]);
            networks = Union(networks, args[i].Networks);
            allHost &= args[i].IsHost;
            if (args[i].Shape > widest) widest = args[i].Shape;
        }

        var operation = Operations.Of(call.Op);
        var first = args.Length > 0 ? args[0].Shape : Shape.Scalar;
        var shape = operation.Shape switch
        {
            ShapeRule.Broadcast => widest,
            ShapeRule.First => first,
            ShapeRule.PerSample => first == Shape.Scalar ? Shape.Scalar : Shape.PerSample,
            ShapeRule.Second => args.Length > 1 ? args[1].Shape : Shape.Scalar,
            ShapeRule.FreshPerSample => Shape.PerSample,
            _ => Shape.Scalar,
        };
        // Host when every operand is and the operation has a host form; random draws read only their operand's shape.
        return new Facts(shape, operation.IsHostComputable && allHost, operation.ReadsValues ? networks : s_none);
    }

    /// <summary>True when <paramref name="haystack"/> contains <paramref name="needle"/> as a subtree (the value depends on it).</summary>
    public static bool Contains(ExprNode haystack, ExprNode needle)
    {
        if (haystack.Equals(needle)) return true;
        return haystack switch
        {
            ApplyNode a => Contains(a.Argument, needle),
            NamedNode n => Contains(n.Body, needle),
            CallNode c => AnyArg(c, needle),
            _ => false,
        };

        static bool AnyArg(CallNode c, ExprNode needle)
        {
            foreach (var arg in c.Args) if (Contains(arg, needle)) return true;
            return false;
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
