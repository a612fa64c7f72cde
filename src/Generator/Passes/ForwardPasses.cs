using System;
using System.Collections.Generic;
using System.Linq;
using GanDsl.Generator.Helpers;
using GanDsl.Generator.Ir;

namespace GanDsl.Generator.Passes;

/// <summary>
/// The step planner's decision on forward passes: the applications of one network in a loss (a critic's
/// <c>D(x)</c> and <c>D(G(z))</c>) share one pass on their concatenated batches, so the network's layers run
/// one larger matrix product forward and one backward instead of several. Concatenation is exact only for a
/// batch-independent network, which the generator cannot see (networks are the user's modules): the shared call
/// (<see cref="RuntimeText.SharedForward"/>) checks that at run time and otherwise makes one pass each. Left out here,
/// each with its reason in a comment: applications a <c>Grad</c> runs back through (the penalty's <c>D(x̂)</c>: in a
/// shared pass that gradient would run back through every batch, doing the other batches' work again), gradient
/// leaves, applications whose batch is computed from another application of the same network, and everything
/// under <c>[SeparateForwardPasses]</c>.
/// </summary>
internal static class ForwardPasses
{
    private const string GradientTaken = "a gradient runs back through it, which in a shared pass would run back through every batch";
    private const string Attribute = "[SeparateForwardPasses]";
    private const string Chained = "its batch is computed from another application of the same network";

    /// <summary>
    /// <paramref name="values"/> with shareable applications grouped (each group at the earliest point where all its
    /// batches exist, every other value in its order as far as dependencies allow), and the reasons for the others.
    /// </summary>
    public static List<PlannedValue> Share(List<PlannedValue> values, ISet<ExprNode> onGradientPath, bool separate)
    {
        var fedByItsNetwork = FedByTheSameNetwork(values);
        var groups = new List<List<NetworkValue>>();
        var reasons = new Dictionary<int, string>();
        foreach (var network in values.OfType<NetworkValue>().GroupBy(v => (v.Network, v.NoGrad)))
        {
            var applications = network.ToList();
            if (applications.Count < 2) continue;
            var group = new List<NetworkValue>();
            foreach (var application in applications)
            {
                if (separate) reasons[application.Id] = Attribute;
                else if (application.GradLeaf || onGradientPath.Contains(application.Node)) reasons[application.Id] = GradientTaken;
                else if (fedByItsNetwork.Contains(application.Id)) reasons[application.Id] = Chained;
                else group.Add(application);
            }
            if (group.Count >= 2) groups.Add(group);
        }
        if (groups.Count == 0 && reasons.Count == 0) return values;

        var annotated = values.Select(v => v is NetworkValue n && reasons.TryGetValue(n.Id, out var why) ? n with { OwnPass = why } : v).ToList();
        if (groups.Count == 0) return annotated;

        // Each group replaces its members, at the first member's place; then a stable topological order.
        var memberOf = new Dictionary<int, int>();   // member id -> group's id (its first member's)
        var shared = new Dictionary<int, SharedForwardValue>();
        foreach (var group in groups)
        {
            var first = group[0];
            shared[first.Id] = new SharedForwardValue(first.Id, first.Node, first.Network, first.NoGrad, group.ToEquatableArray());
            foreach (var member in group) memberOf[member.Id] = first.Id;
        }
        var merged = new List<PlannedValue>();
        foreach (var value in annotated)
        {
            if (!memberOf.TryGetValue(value.Id, out var groupId)) merged.Add(value);
            else if (groupId == value.Id) merged.Add(shared[groupId]);
        }
        var ordered = StableTopologicalOrder(merged, id => memberOf.TryGetValue(id, out var g) ? g : id);

        // The loss's random draws (Between's α, Dropout's masks) must come in the same order as in the plain step.
        if (!RandomDraws(ordered).SequenceEqual(RandomDraws(annotated))) return annotated;
        return ordered;
    }

    /// <summary>The values that draw from the step's random source, in order.</summary>
    private static IEnumerable<int> RandomDraws(IEnumerable<PlannedValue> values) =>
        values.OfType<OperationValue>().Where(o => Operations.Of(o.Op).Forms[o.Form].Call.Contains(RuntimeText.RandomSource)).Select(o => o.Id);

    /// <summary>Kahn's algorithm, always taking the earliest ready value of the original order.</summary>
    private static List<PlannedValue> StableTopologicalOrder(List<PlannedValue> values, Func<int, int> node)
    {
        var position = new Dictionary<int, int>();
        for (var i = 0; i < values.Count; i++) position[values[i].Id] = i;
        var waitingOn = new int[values.Count];
        var dependents = new List<int>[values.Count];
        for (var i = 0; i < values.Count; i++) dependents[i] = new List<int>();
        for (var i = 0; i < values.Count; i++)
            foreach (var dependency in Dependencies(values[i]).Select(node).Distinct())
                if (position.TryGetValue(dependency, out var at) && at != i)
                {
                    waitingOn[i]++;
                    dependents[at].Add(i);
                }
        var ready = new SortedSet<int>(Enumerable.Range(0, values.Count).Where(i => waitingOn[i] == 0));
        var ordered = new List<PlannedValue>(values.Count);
        while (ready.Count > 0)
        {
            var next = ready.Min;
            ready.Remove(next);
            ordered.Add(values[next]);
            foreach (var dependent in dependents[next])
                if (--waitingOn[dependent] == 0) ready.Add(dependent);
        }
        if (ordered.Count != values.Count) throw new InvalidOperationException("Shared forward passes made the step's values cyclic.");
        return ordered;
    }

    /// <summary>
    /// The applications whose batch is computed, directly or through other values, from an application of the same
    /// network in the same gradient mode: they cannot join that application's pass. One pass over the values in
    /// plan order (operands come first), carrying per value the networks it was computed through: linear in the
    /// values, so a loss with thousands of applications plans as fast as one with two.
    /// </summary>
    private static HashSet<int> FedByTheSameNetwork(List<PlannedValue> values)
    {
        var through = new Dictionary<int, HashSet<(string, bool)>>();
        var fed = new HashSet<int>();
        foreach (var value in values)
        {
            var upstream = new HashSet<(string, bool)>();
            foreach (var id in Dependencies(value))
                if (through.TryGetValue(id, out var networks)) upstream.UnionWith(networks);
            if (value is NetworkValue application)
            {
                if (upstream.Contains((application.Network, application.NoGrad))) fed.Add(application.Id);
                upstream.Add((application.Network, application.NoGrad));
            }
            through[value.Id] = upstream;
        }
        return fed;
    }

    /// <summary>The temporaries a value reads.</summary>
    internal static IEnumerable<int> Dependencies(PlannedValue value) => value switch
    {
        NetworkValue n => Ids(n.Argument),
        OperationValue o => o.Operands.SelectMany(Ids),
        SharedForwardValue s => s.Members.SelectMany(m => Ids(m.Argument)),
        HeadValue h => Ids(h.Output),
        _ => Enumerable.Empty<int>(),
    };

    /// <summary>The temporaries an operand reads.</summary>
    internal static IEnumerable<int> Ids(Operand operand) => operand switch
    {
        ValueOperand v => new[] { v.Id },
        PerSampleOperand p => Ids(p.Value).Concat(Ids(p.Like)),
        _ => Enumerable.Empty<int>(),
    };
}
