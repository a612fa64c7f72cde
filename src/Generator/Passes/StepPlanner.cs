using System;
using System.Collections.Generic;
using System.Linq;
using GanDsl.Generator.Helpers;
using GanDsl.Generator.Ir;

namespace GanDsl.Generator.Passes;

/// <summary>
/// What the emitter writes for one loss: a plan per step method. Plain equatable data, like the spec;
/// every decision about the step (what is frozen, which tensors are gradient leaves, where a per-sample
/// value broadcasts, what is on the host, what is reported) is made here, so the emitter only writes.
/// </summary>
internal sealed record LossPlan(LossClassSpec Spec, StepPlan? Discriminator, StepPlan Generator, StepPlan? EndOfEpoch, bool UsesSecondNoise);

/// <summary>One step method.</summary>
/// <param name="Kind">Critic, generator or end-of-epoch step.</param>
/// <param name="Loss">The loss minimised (null at the end of an epoch: updates only).</param>
/// <param name="Hypers">Hyperparameters read once at the top, in declaration order.</param>
/// <param name="States">State values read once at the top (the values before this step's updates).</param>
/// <param name="Networks">Networks fetched once at the top.</param>
/// <param name="Frozen">Critics frozen for the whole step (<c>c.Freeze</c>): the generator step's critics.</param>
/// <param name="Values">The loss's tensor values in evaluation order (operands first), each computed once.</param>
/// <param name="Result">The loss value that gets the one backward pass (null at the end of an epoch).</param>
/// <param name="TailGradients">
/// The <c>Grad</c>s the state updates and monitors read (a gradient-norm monitor), with the values first
/// computed for them: evaluated after the loss and before backward, with gradients on, since they need the
/// graph that backward frees and a gradient cannot be taken under no_grad. Their macros report no terms.
/// </param>
/// <param name="Updates">State updates, evaluated after backward without gradients and assigned together.</param>
/// <param name="Monitors">Scalar macros reported after backward, evaluated without gradients.</param>
/// <param name="Terms">What the step reports besides the loss, in order.</param>
internal sealed record StepPlan(
    StepKind Kind,
    LossSpec? Loss,
    EquatableArray<string> Hypers,
    EquatableArray<string> States,
    EquatableArray<string> Networks,
    EquatableArray<string> Frozen,
    EquatableArray<PlannedValue> Values,
    Operand? Result,
    EquatableArray<PlannedValue> TailGradients,
    EquatableArray<TailItem> Updates,
    EquatableArray<TailItem> Monitors,
    EquatableArray<TermPlan> Terms)
{
    /// <summary>True when the step reads the real batch's labels <c>y</c> (fetched once, checked present).</summary>
    public bool ReadsRealLabels { get; init; }

    /// <summary>True when the step reads the labels drawn with the noise, <c>yz</c>.</summary>
    public bool ReadsNoiseLabels { get; init; }
}

/// <summary>A state update or a monitor: its name, DSL text, the values first computed for it, and its value.</summary>
internal sealed record TailItem(string Name, string SourceText, EquatableArray<PlannedValue> Values, Operand Value);

/// <summary>A reported term: a tensor term when the value is a tensor, a double when it is on the host.</summary>
/// <param name="Monitor">True for a monitor's value (the emitter's local of that monitor).</param>
internal sealed record TermPlan(string Name, Operand Value, bool Monitor = false);

/// <summary>One tensor temporary (<c>t{Id}</c>): the IR node it computes, and whether it is made a gradient leaf.</summary>
/// <param name="GradLeaf">True when a <c>Grad</c> is taken at this value: it is made a leaf that requires grad.</param>
internal abstract record PlannedValue(int Id, ExprNode Node, bool GradLeaf);

/// <summary>An input batch made a gradient leaf (<c>Grad(D(x), x)</c>).</summary>
internal sealed record LeafInputValue(int Id, ExprNode Node, InputKind Input) : PlannedValue(Id, Node, true);

/// <summary>A network applied to a batch.</summary>
/// <param name="NoGrad">True when the network is not trained in this step and runs under no_grad (G in the critic step).</param>
/// <param name="OwnPass">
/// Why this application has a forward pass of its own although the network is applied more than once in the loss
/// (written as a comment), or null.
/// </param>
/// <param name="Labels">The labels of a conditional application (<c>D(x, y)</c>), else null.</param>
/// <param name="ClassHeads">The network's number of class heads: its output is then [B, 1 + H·K], read through <see cref="HeadValue"/>s.</param>
internal sealed record NetworkValue(int Id, ExprNode Node, bool GradLeaf, string Network, NetworkOutput Output, Operand Argument, bool NoGrad,
    string? OwnPass = null,
    Operand? Labels = null, int ClassHeads = 0)
    : PlannedValue(Id, Node, GradLeaf);

/// <summary>The score column (<paramref name="Index"/> −1) or a class head's logits, sliced from a network's forward pass
/// <paramref name="Output"/>.</summary>
internal sealed record HeadValue(int Id, ExprNode Node, bool GradLeaf, Operand Output, int Index) : PlannedValue(Id, Node, GradLeaf);

/// <summary>
/// Applications of one network that share a forward pass on their concatenated batches (<see cref="RuntimeText.SharedForward"/>,
/// which falls back to one pass each when the network is not batch-independent at run time). Placed after every
/// value its members' batches need; <see cref="PlannedValue.Id"/> is the first member's.
/// </summary>
/// <param name="Members">The applications, in the order their batches are concatenated (each keeps its own temporary).</param>
internal sealed record SharedForwardValue(int Id, ExprNode Node, string Network, bool NoGrad, EquatableArray<NetworkValue> Members)
    : PlannedValue(Id, Node, false)
{
    /// <summary>Members whose temporaries nothing reads (a <see cref="SharedTailValue"/> reads the pass whole): not written out.</summary>
    public EquatableArray<int> Unread { get; init; } = EquatableArray<int>.Empty;
}

/// <summary>
/// A sum of one fused kernel (<paramref name="Op"/>) over every part of the shared pass <paramref name="SharedId"/>, each
/// against its host target (<paramref name="Targets"/>, in the pass's member order), written as one call on the joined
/// output (<see cref="SharedTails"/>).
/// </summary>
internal sealed record SharedTailValue(int Id, ExprNode Node, int SharedId, string Network, Op Op, EquatableArray<Operand> Targets)
    : PlannedValue(Id, Node, false);

/// <summary>An operation of the table, written with its tensor form <paramref name="Form"/>.</summary>
internal sealed record OperationValue(int Id, ExprNode Node, bool GradLeaf, Op Op, int Form, EquatableArray<Operand> Operands)
    : PlannedValue(Id, Node, GradLeaf);

/// <summary>How a value reaches the operation that reads it.</summary>
internal abstract record Operand;

/// <summary>A tensor temporary.</summary>
internal sealed record ValueOperand(int Id) : Operand;

/// <summary>An input batch as the context holds it.</summary>
internal sealed record InputOperand(InputKind Input) : Operand;

/// <summary>A double computed on the host (constants, hyperparameters, state and arithmetic on them).</summary>
internal sealed record HostOperand(ExprNode Node) : Operand;

/// <summary>A host double where a tensor is needed: a scalar tensor of the batch's type and device.</summary>
internal sealed record HostTensorOperand(ExprNode Node) : Operand;

/// <summary>A per-sample [B] value next to a batch: reshaped to [B,1,...] to scale each sample of <paramref name="Like"/>.</summary>
internal sealed record PerSampleOperand(Operand Value, Operand Like) : Operand;

/// <summary>
/// Plans the step methods of an optimised spec. Pure: spec in, plan out. Every walk over the IR is iterative
/// (explicit stacks), like <see cref="Analysis"/> and <see cref="GradientFlow"/>: safe at any depth.
/// </summary>
internal static class StepPlanner
{
    public static LossPlan Plan(LossClassSpec spec)
    {
        var analysis = new Analysis(spec.Networks.ToDictionary(n => n.Name, StringComparer.Ordinal));
        var discriminator = spec.Discriminator is { } d ? new Planner(spec, analysis, StepKind.Critic).Plan(d) : null;
        var generator = new Planner(spec, analysis, StepKind.Generator).Plan(spec.Generator);
        var endOfEpoch = spec.States.Any(s => s.Timing == StateUpdateTiming.EndOfEpoch) ? new Planner(spec, analysis, StepKind.EndOfEpoch).Plan(null) : null;
        return new LossPlan(spec, discriminator, generator, endOfEpoch, UsesNoise2(spec));
    }

    private static bool UsesNoise2(LossClassSpec spec)
    {
        var noise2 = new InputNode(InputKind.Noise2);
        return new[] { spec.Discriminator?.Expression, spec.Generator.Expression }
            .Concat(spec.States.Select(s => s.Update)).Concat(spec.Monitors.Select(m => m.Expression))
            .Any(e => e is not null && Analysis.Contains(e, noise2));
    }

    /// <summary>Walks one step's expressions depth first, operands left to right: temporaries are numbered in that order.</summary>
    private sealed class Planner(LossClassSpec spec, Analysis analysis, StepKind step)
    {
        private readonly Dictionary<ExprNode, Operand> _known = new();
        private readonly HashSet<ExprNode> _gradLeaves = new();
        /// <summary>Network applications a <c>Grad</c> runs back through (inside its first operand, depending on its second).</summary>
        private readonly HashSet<ExprNode> _onGradientPath = new();
        private readonly List<TermPlan> _terms = new();
        private readonly HashSet<string> _termNames = new(StringComparer.Ordinal);
        private List<PlannedValue> _values = new();
        /// <summary>True after backward: values are computed under no_grad and scalar macros report nothing.</summary>
        private bool _inTail;
        /// <summary>False while planning the tail's gradients: their scalar macros are not the loss's terms.</summary>
        private bool _reportTerms = true;
        private int _nextId;

        public StepPlan Plan(LossSpec? loss)
        {
            var timing = step switch
            {
                StepKind.Critic => StateUpdateTiming.AfterCriticStep,
                StepKind.Generator => StateUpdateTiming.AfterGeneratorStep,
                _ => StateUpdateTiming.EndOfEpoch,
            };
            var updates = spec.States.Where(s => s.Timing == timing).ToList();
            // Monitors (BEGAN's M) are reported after the critic step, or after the generator step of a loss with no critic.
            var monitors = step == StepKind.Critic || step == StepKind.Generator && spec.Discriminator is null ? spec.Monitors.ToList() : new List<LossSpec>();
            var all = new List<ExprNode>();
            if (loss is not null) all.Add(loss.Expression);
            all.AddRange(updates.Select(u => u.Update));
            all.AddRange(monitors.Select(m => m.Expression));
            foreach (var e in all) CollectGradLeaves(e);

            var used = new HashSet<string>(all.SelectMany(e => analysis.Of(e).Networks), StringComparer.Ordinal);
            var hypers = spec.Hypers.Where(h => all.Any(e => Analysis.Contains(e, new HyperNode(h.Name)))).Select(h => h.Name);
            var states = spec.States.Where(s => all.Any(e => Analysis.Contains(e, new StateNode(s.Name)))).Select(s => s.Name);
            var networks = spec.Networks.Where(n => used.Contains(n.Name)).Select(n => n.Name);
            var frozen = step == StepKind.Generator && loss is not null
                ? spec.Networks.Where(n => n.Role == NetworkRole.Critic && analysis.Of(loss.Expression).Networks.Contains(n.Name)).Select(n => n.Name)
                : Enumerable.Empty<string>();

            // The loss: graph values, one backward pass. At the end of an epoch everything is tail.
            Operand? result = null;
            if (loss is not null)
            {
                result = Tensor(loss.Expression);
                foreach (var state in spec.States)
                    if (Analysis.Contains(loss.Expression, new StateNode(state.Name))) AddTerm(new TermPlan(state.Name,
                        new HostOperand(new StateNode(state.Name))));
            }
            var body = ForwardPasses.Share(_values, _onGradientPath, spec.SeparateForwardPasses);

            // Gradients the tail reads: taken before backward, with gradients on (G stays a constant in the critic step).
            _values = new List<PlannedValue>();
            _reportTerms = false;
            var tailExpressions = updates.Select(u => u.Update).Concat(monitors.Select(m => m.Expression)).ToList();
            foreach (var grad in GradsInEvaluationOrder(tailExpressions)) Tensor(grad);
            var tailGradients = _values;
            _reportTerms = true;

            // After backward, without gradients: updates see this step's values (simultaneous), monitors are reported.
            _inTail = true;
            var updateItems = updates.Select(u => Tail(u.Name, u.UpdateText, u.Update)).ToList();
            var monitorItems = new List<TailItem>();
            foreach (var m in monitors.Where(m => !_termNames.Contains(m.MemberName)))   // a monitor the loss already reports stays as it is
            {
                var item = Tail(m.MemberName, m.SourceText, m.Expression);
                monitorItems.Add(item);
                AddTerm(new TermPlan(m.MemberName, item.Value, Monitor: true));
            }

            if (!spec.SeparateForwardPasses) body = SharedTails.Fuse(body, ReadOutsideTheBody(tailGradients, updateItems, monitorItems));

            return new StepPlan(step, loss, hypers.ToEquatableArray(), states.ToEquatableArray(), networks.ToEquatableArray(), frozen.ToEquatableArray(),
                body.ToEquatableArray(), result, tailGradients.ToEquatableArray(), updateItems.ToEquatableArray(), monitorItems.ToEquatableArray(),
                _terms.ToEquatableArray())
            {
                ReadsRealLabels = all.Any(e => Analysis.Contains(e, new InputNode(InputKind.RealLabels))),
                ReadsNoiseLabels = all.Any(e => Analysis.Contains(e, new InputNode(InputKind.NoiseLabels))),
            };
        }

        /// <summary>The body's temporaries that the tail's gradients, updates, monitors and reported terms read.</summary>
        private HashSet<int> ReadOutsideTheBody(List<PlannedValue> tailGradients, List<TailItem> updates, List<TailItem> monitors)
        {
            var tail = updates.Concat(monitors).ToList();
            var operands = _terms.Select(t => t.Value).Concat(tail.Select(t => t.Value));
            var values = tailGradients.Concat(tail.SelectMany(t => t.Values));
            return new HashSet<int>(operands.SelectMany(ForwardPasses.Ids).Concat(values.SelectMany(ForwardPasses.Dependencies)));
        }

        private TailItem Tail(string name, string text, ExprNode node)
        {
            _values = new List<PlannedValue>();
            var value = analysis.Of(node).IsHost ? new HostOperand(node) : Tensor(node);
            return new TailItem(name, text, _values.ToEquatableArray(), value);
        }

        private void CollectGradLeaves(ExprNode root)
        {
            foreach (var node in Analysis.Subtree(root))
                if (node is CallNode { Op: Op.Grad } grad)
                {
                    _gradLeaves.Add(grad.Args[1]);
                    CollectApplicationsOnGradientPath(grad.Args[0], grad.Args[1], _onGradientPath);
                }
        }

        /// <summary>
        /// The network applications a gradient of <paramref name="output"/> with respect to <paramref name="at"/> runs
        /// back through: those in <paramref name="output"/> that depend on <paramref name="at"/> (autograd skips the
        /// rest). Memoised post-order walk with an explicit stack: linear in the subtree, safe at any depth.
        /// </summary>
        private static void CollectApplicationsOnGradientPath(ExprNode output, ExprNode at, HashSet<ExprNode> into)
        {
            var onPath = new Dictionary<ExprNode, bool>(ReferenceComparer.Instance);
            var stack = new Stack<(ExprNode Node, bool Expanded)>();
            stack.Push((output, false));
            while (stack.Count > 0)
            {
                var (node, expanded) = stack.Pop();
                if (onPath.ContainsKey(node)) continue;
                var children = Analysis.Children(node);
                if (!expanded)
                {
                    stack.Push((node, true));
                    foreach (var child in children) if (!onPath.ContainsKey(child)) stack.Push((child, false));
                    continue;
                }
                var reaches = node.Equals(at) || children.Any(child => onPath[child]);
                onPath[node] = reaches;
                if (reaches && node is ApplyNode) into.Add(node);
            }
        }

        /// <summary>
        /// The tensor-valued <c>Grad</c>s of <paramref name="roots"/> that the loss did not compute, outermost first,
        /// left to right (a Grad inside another is planned with it).
        /// </summary>
        private List<ExprNode> GradsInEvaluationOrder(IEnumerable<ExprNode> roots)
        {
            var found = new List<ExprNode>();
            var seen = new HashSet<ExprNode>();
            foreach (var root in roots)
            {
                var stack = new Stack<ExprNode>();
                stack.Push(root);
                while (stack.Count > 0)
                {
                    var node = stack.Pop();
                    if (_known.ContainsKey(node) || !seen.Add(node)) continue;
                    if (node is CallNode { Op: Op.Grad } && !analysis.Of(node).IsHost)
                    {
                        found.Add(node);
                        continue;
                    }
                    var children = Analysis.Children(node);
                    for (var i = children.Count - 1; i >= 0; i--) stack.Push(children[i]);
                }
            }
            return found;
        }

        private void AddTerm(TermPlan term)
        {
            if (_termNames.Add(term.Name)) _terms.Add(term);
        }

        /// <summary>
        /// The operand holding <paramref name="root"/>'s value as a tensor, planning it (and its operands, depth
        /// first, left to right) on first use. Iterative: a node is planned once all its operands are.
        /// </summary>
        private Operand Tensor(ExprNode root)
        {
            var stack = new Stack<(ExprNode Node, bool Expanded)>();
            stack.Push((root, false));
            while (stack.Count > 0)
            {
                var (node, expanded) = stack.Pop();
                if (_known.ContainsKey(node) || analysis.Of(node).IsHost) continue;
                if (!expanded)
                {
                    stack.Push((node, true));
                    var children = Analysis.Children(node);
                    for (var i = children.Count - 1; i >= 0; i--)
                        if (!_known.ContainsKey(children[i])) stack.Push((children[i], false));
                    continue;
                }
                _known[node] = PlanOne(node);
            }
            return Known(root);
        }

        /// <summary>An operand already planned (or a host value, which needs no plan).</summary>
        private Operand Known(ExprNode node) =>
            analysis.Of(node).IsHost ? new HostTensorOperand(node)
            : _known.TryGetValue(node, out var known) ? known
            : throw new InvalidOperationException("Not planned yet: " + Printer.Print(node));

        /// <summary>Plans one node whose tensor operands are planned.</summary>
        private Operand PlanOne(ExprNode node)
        {
            switch (node)
            {
                case NamedNode named:
                    {
                        var result = Known(named.Body);
                        // A scalar macro of the loss is reported under its name; the tail reports nothing of its own.
                        if (!_inTail && _reportTerms && analysis.Of(named).Shape == Shape.Scalar) AddTerm(new TermPlan(named.Name, result));
                        return result;
                    }
                case InputNode input:
                    return _gradLeaves.Contains(node) ? Add(new LeafInputValue(_nextId++, node, input.Kind)) : new InputOperand(input.Kind);
                case ApplyNode apply:
                    {
                        var argument = Known(apply.Argument);
                        var network = analysis.Network(apply.Network);
                        // The generator is not trained in the critic step: its output is a constant, computed without a graph.
                        var noGrad = network?.Role == NetworkRole.Generator && step == StepKind.Critic && !_inTail;
                        var labels = apply.Labels is null ? null : Known(apply.Labels);
                        return Add(new NetworkValue(_nextId++, node, _gradLeaves.Contains(node), apply.Network, network?.Output ?? NetworkOutput.Score,
                            argument, noGrad,
                            Labels: labels, ClassHeads: network?.ClassHeads ?? 0));
                    }
                case HeadNode head:
                    return Add(new HeadValue(_nextId++, node, _gradLeaves.Contains(node), Known(head.Output), head.Index));
                case CallNode call:
                    return PlanCall(call);
                default:
                    throw new InvalidOperationException("Cannot plan " + node.GetType().Name);
            }
        }

        private Operand Add(PlannedValue value)
        {
            _values.Add(value);
            var operand = new ValueOperand(value.Id);
            _known[value.Node] = operand;
            return operand;
        }

        private Operand PlanCall(CallNode call)
        {
            var operation = Operations.Of(call.Op);
            var host = call.Args.Select(a => analysis.Of(a).IsHost).ToArray();
            var form = Operations.ChooseForm(operation, host, out var asTensor);
            if (form < 0) throw new InvalidOperationException(operation.Printed + " has no tensor form for operands ("
                + string.Join(", ", host.Select(h => h ? "host" : "tensor")) + ")");

            var operands = new Operand[call.Args.Count];
            for (var i = 0; i < operands.Length; i++)
                operands[i] = !host[i] ? Known(call.Args[i]) : asTensor[i] ? new HostTensorOperand(call.Args[i]) : new HostOperand(call.Args[i]);
            Broadcast(call, operation, operands, host);
            return Add(new OperationValue(_nextId++, call, _gradLeaves.Contains(call), call.Op, form, operands.ToEquatableArray()));
        }

        /// <summary>Elementwise operands: a per-sample tensor next to a wider tensor is reshaped to scale each of its samples.</summary>
        private void Broadcast(CallNode call, Operation operation, Operand[] operands, bool[] host)
        {
            if (operation.Shape is not (ShapeRule.Broadcast or ShapeRule.First) || operation.Forms.Count == 0 || operands.Length < 2) return;
            var widest = -1;
            for (var i = 0; i < operands.Length; i++)
                if (!host[i] && (widest < 0 || analysis.Of(call.Args[i]).Shape > analysis.Of(call.Args[widest]).Shape)) widest = i;
            if (widest < 0 || analysis.Of(call.Args[widest]).Shape <= Shape.PerSample) return;
            if (operation.Shape == ShapeRule.First && widest != 0) return;   // Clamp: the bounds follow the value, not the other way round
            for (var i = 0; i < operands.Length; i++)
                if (!host[i] && analysis.Of(call.Args[i]).Shape == Shape.PerSample) operands[i] = new PerSampleOperand(operands[i], operands[widest]);
        }
    }
}
