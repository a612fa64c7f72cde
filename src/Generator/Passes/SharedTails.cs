using System.Collections.Generic;
using System.Linq;
using GanDsl.Generator.Helpers;
using GanDsl.Generator.Ir;

namespace GanDsl.Generator.Passes;

/// <summary>
/// The step planner's second decision on shared forward passes: a loss term that covers every part of one shared pass
/// with the same fused kernel, <c>BCE(D(x), c₁) + BCE(D(G(z)), c₂)</c> (the non-saturating critic, Goodfellow et al.
/// 2014), becomes one call on the pass's joined output (<see cref="SharedTailValue"/>), so the loss's kernels run once
/// forward and once backward instead of once per part. The runtime call falls back to one call per part when the pass
/// was not shared or the parts differ in size, as the plain step computes it. Only where nothing else reads the
/// per-part terms: a term the step reports, or one read twice, keeps its own call.
/// </summary>
internal static class SharedTails
{
    /// <summary><paramref name="body"/> with every such sum fused; <paramref name="readElsewhere"/> are the temporaries read outside the body.</summary>
    public static List<PlannedValue> Fuse(List<PlannedValue> body, ISet<int> readElsewhere)
    {
        var byId = body.ToDictionary(v => v.Id);
        var reads = ReadCounts(body);
        foreach (var id in readElsewhere) reads[id] = reads.TryGetValue(id, out var n) ? n + 1 : 1;
        // Each member's pass and place in it, so that matching a term is constant time (a pass may have thousands of members).
        var memberOf = new Dictionary<int, (SharedForwardValue Shared, int Index)>();
        foreach (var shared in body.OfType<SharedForwardValue>())
            for (var i = 0; i < shared.Members.Count; i++) memberOf[shared.Members[i].Id] = (shared, i);

        var replaced = new Dictionary<int, PlannedValue>();
        var removed = new HashSet<int>();
        foreach (var sum in body.OfType<OperationValue>())
        {
            if (sum.Op != Op.Add || sum.GradLeaf || sum.Operands.Count != 2) continue;
            var parts = sum.Operands.Select(o => Part(o, byId, reads, memberOf)).ToList();
            if (parts.Any(p => p is null)) continue;
            var (first, second) = (parts[0]!.Value, parts[1]!.Value);
            var shared = first.Shared;
            if (!ReferenceEquals(shared, second.Shared) || first.Index == second.Index || shared.Members.Count != 2) continue;
            var targets = new Operand[2];
            targets[first.Index] = first.Term.Operands[1];
            targets[second.Index] = second.Term.Operands[1];
            replaced[sum.Id] = new SharedTailValue(sum.Id, sum.Node, shared.Id, shared.Network, Op.BceWithLogitsMean, targets.ToEquatableArray());
            removed.Add(first.Term.Id);
            removed.Add(second.Term.Id);
        }
        if (replaced.Count == 0) return body;

        var fused = body.Where(v => !removed.Contains(v.Id)).Select(v => replaced.TryGetValue(v.Id, out var r) ? r : v).ToList();
        // Members whose own temporaries nothing reads any more are not written out.
        var stillRead = new HashSet<int>(fused.SelectMany(ForwardPasses.Dependencies).Concat(readElsewhere));
        return fused.Select(v => v is SharedForwardValue s
            ? s with { Unread = s.Members.Where(m => !stillRead.Contains(m.Id)).Select(m => m.Id).ToEquatableArray() }
            : v).ToList();
    }

    /// <summary>
    /// A fused BCE term read only by the sum, of a score network's application that is a member of a shared pass,
    /// against a host target: the term, its pass and the application's place in it; else null.
    /// </summary>
    private static (OperationValue Term, SharedForwardValue Shared, int Index)? Part(
        Operand operand, Dictionary<int, PlannedValue> byId, Dictionary<int, int> reads, Dictionary<int, (SharedForwardValue Shared, int Index)> memberOf)
    {
        if (operand is not ValueOperand { Id: var id } || !byId.TryGetValue(id, out var value) || reads[id] != 1) return null;
        if (value is not OperationValue { Op: Op.BceWithLogitsMean, GradLeaf: false } term) return null;
        if (term.Operands[0] is not ValueOperand scored || term.Operands[1] is not HostOperand) return null;
        if (!memberOf.TryGetValue(scored.Id, out var place)) return null;
        var (shared, index) = place;
        var member = shared.Members[index];
        if (member.Output != NetworkOutput.Score || member.ClassHeads > 0 || member.GradLeaf) return null;
        return (term, shared, index);
    }

    private static Dictionary<int, int> ReadCounts(IEnumerable<PlannedValue> values)
    {
        var reads = new Dictionary<int, int>();
        foreach (var value in values)
            foreach (var id in ForwardPasses.Dependencies(value))
                reads[id] = reads.TryGetValue(id, out var n) ? n + 1 : 1;
        return reads;
    }
}
