using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Training;

public sealed partial class Trainer
{
    /// <summary>A non-finite value stopped the run; <see cref="LastGoodStep"/> is the last generator step completed before it.</summary>
    private sealed class NonFiniteException(string message, long lastGoodStep) : Exception(message)
    {
        public long LastGoodStep { get; } = lastGoodStep;
    }

    /// <summary>
    /// Records this step's finiteness on the device (<see cref="FiniteGuard"/>); values the loss reported as host
    /// numbers are checked here at once. Reads nothing from the device.
    /// </summary>
    private void GuardStep(StepResult result, StepPhase phase, int criticIndex, Tensor real, List<NamedOptimizer> optimizers)
    {
        var lossName = LossName(phase);
        var hostProblem = result.LossTensor is null && !double.IsFinite(result.Loss) ? $"the {lossName} is {result.Loss}"
            : result.TermValues.FirstOrDefault(t => t.Tensor is null && !double.IsFinite(t.Value)) is { } term
                ? $"term '{term.Name}' of the {lossName} is {term.Value}"
                : null;
        if (hostProblem is not null)
        {
            CheckGuard();   // an earlier step recorded on the device may be the first at fault
            throw new NonFiniteException(
                $"Stopped at {Where(phase, criticIndex)}: {hostProblem}{TermsText(result)}. {CheckpointAdvice()} {Advice(phase)}", _step);
        }
        _guard.Record(new GuardSlot(_step, phase, criticIndex), real, result,
            optimizers.SelectMany(o => o.Parameters.Select(p => ($"{o.Network}.{p.Name}", (Tensor)p.Parameter))), CheckGuard);
    }

    /// <summary>
    /// Reads the guard's device-side record (one synchronisation) and stops the run at the first step that had a
    /// non-finite value, naming the step and the value. Called before anything is written from the networks'
    /// state (metrics, pictures, checkpoints, progress reports, the final outputs), so nothing written comes from
    /// a step after a non-finite one.
    /// </summary>
    private void CheckGuard()
    {
        if (_guard.FirstFault() is not { } fault) return;
        var (slot, part, values) = fault;
        var lossName = LossName(slot.Phase);
        var where = slot.Phase == StepPhase.Critic
            ? $"generator step {slot.Step + 1}, critic step {slot.CriticIndex + 1} of {_loss.Info.CriticSteps}"
            : $"generator step {slot.Step + 1}";
        var loss = values.FirstOrDefault(v => v.Name == FiniteGuard.LossPart).Value;
        var terms = values.Where(v => v.Name != FiniteGuard.LossPart).ToArray();
        var termsText = terms.Length == 0 ? "" : $"; terms: {string.Join(", ", terms.Select(t => $"{t.Name}={t.Value:G6}"))}";
        var message = part switch
        {
            FiniteGuard.RealPart =>
                $"Stopped at {where}: the real batch at step {slot.Step + 1} contains NaN or infinite values (data: {_dataset.Name}). " +
                $"The data is at fault, not the training: check or clean it. {CheckpointAdvice()}",
            FiniteGuard.LossPart => $"Stopped at {where}: the {lossName} is {loss}{termsText}. {CheckpointAdvice()} {Advice(slot.Phase)}",
            _ when part.StartsWith(FiniteGuard.GradientPrefix, StringComparison.Ordinal) =>
                $"Stopped at {where}: the gradient of {part[FiniteGuard.GradientPrefix.Length..]} is not finite (the {lossName} was {loss}){termsText}. " +
                $"{CheckpointAdvice()} {Advice(slot.Phase)}",
            _ => $"Stopped at {where}: term '{part[FiniteGuard.TermPrefix.Length..]}' of the {lossName} is " +
                 $"{values.FirstOrDefault(v => v.Name == part[FiniteGuard.TermPrefix.Length..]).Value}{termsText}. {CheckpointAdvice()} {Advice(slot.Phase)}",
        };
        throw new NonFiniteException(message, slot.Step);
    }

    /// <summary>The build's warnings about this step's loss (GAN0023, GAN0026), which explain a non-finite value better than the learning rate does.</summary>
    private string Advice(StepPhase phase)
    {
        var warned = _loss.Info.Warnings.Where(w => w.InDiscriminatorLoss == (phase == StepPhase.Critic)).ToList();
        return warned.Count == 0 ? "Try a smaller learning rate."
            : "The build warned about this loss: " + string.Join("; ", warned.Select(w => $"{w.Id}: '{w.Expression}' can be non-finite: {w.Fix}")) + ".";
    }

    private static string LossName(StepPhase phase) => phase == StepPhase.Critic ? "discriminator loss" : "generator loss";

    private string CheckpointAdvice() => File.Exists(CheckpointPath)
        ? $"The last checkpoint ({CheckpointPath}) was kept."
        : "No checkpoint had been written yet.";

    private static string TermsText(StepResult r)
    {
        var terms = r.Terms;
        return terms.Count == 0 ? "" : $"; terms: {string.Join(", ", terms.Select(t => $"{t.Key}={t.Value:G6}"))}";
    }

    /// <summary>Which step a row of the guard's record belongs to.</summary>
    internal readonly record struct GuardSlot(long Step, StepPhase Phase, int CriticIndex);

    /// <summary>
    /// The divergence guard without a host synchronisation per step: a device-side flag, read at the next point
    /// where the trainer reads the device anyway (a logging, picture, checkpoint or progress step, or when its
    /// record is full), not by replaying from the last good state.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Why a flag and not a replay: replaying the steps since the last read would need a copy of every network,
    /// optimizer, EMA copy, loss state and random stream at each read, and finds the step again only where the
    /// steps are deterministic (CUDA's atomic reductions are not). The record instead keeps one row per step,
    /// one column per checked part (the real batch, the loss, each term, each parameter's gradient): the first
    /// row with a non-finite entry names the step and the part, at the cost of one small read.
    /// </para>
    /// <para>
    /// Per step, three libtorch calls, whatever the number of parameters: one <c>cat</c> of the loss, the terms,
    /// the real batch and every gradient (flattened views, each padded with cached zeros to whole blocks of 64);
    /// one matrix-vector product of that vector, viewed as blocks, with a zero vector, which gives Σ x·0 per
    /// block; one <c>index_add_</c> of the block results into the step's row, column by part. Multiplying by 0
    /// keeps a NaN or ±∞ as NaN and makes every finite value 0, so an entry is non-finite exactly when its part
    /// has a non-finite element: no sum can overflow from finite values (huge but finite gradients are not a
    /// reason to stop, and do not stop the run). The loss and terms are kept as new handles on the step's
    /// scalars (no copy), read only for the message. (An <c>index_add_</c> over every element, the first version,
    /// measured 10× slower on the CPU than this product: libtorch runs it as a serial loop.)
    /// </para>
    /// <para>
    /// The cost of not stopping at once: the optimizer applies the faulty step and those after it until the next
    /// read, so the networks held in memory after a divergence are not the last good ones; nothing is written
    /// from them (each read comes before the outputs), and the last checkpoint is the last good state.
    /// </para>
    /// </remarks>
    internal sealed class FiniteGuard(Device device) : IDisposable
    {
        internal const string LossPart = "loss", RealPart = "real batch", TermPrefix = "term ", GradientPrefix = "gradient ";

        /// <summary>Rows kept before a read is forced (a read every this many steps at most).</summary>
        internal const int Capacity = 256;

        /// <summary>Elements per block: every part is padded to whole blocks, so no block mixes two parts.</summary>
        private const int Block = 64;

        private readonly Dictionary<string, int> _columns = new();
        private readonly List<string> _columnNames = new();
        private readonly List<(GuardSlot Slot, (string Name, Tensor Value)[] Values)> _slots = new();
        private readonly Dictionary<(ScalarType, int), Tensor> _zeros = new();
        private Tensor? _flags;
        private (int[] Columns, long[] Sizes, Tensor Ids)? _layout;
        private (int[] Columns, long[] Sizes, Tensor Ids)? _otherLayout;

        /// <summary>libtorch calls that launch work, issued by the last <see cref="Record"/> (a counting hook for tests).</summary>
        internal int CallsLastRecord { get; private set; }

        /// <summary>Steps recorded and not yet read.</summary>
        internal int Pending => _slots.Count;

        /// <summary>
        /// Records one step's loss, terms, real batch and gradients. When the record is full, or this step has a
        /// part or a dtype it has no room for, <paramref name="readPending"/> reads it first (which may stop the run).
        /// </summary>
        public void Record(GuardSlot slot, Tensor real, StepResult result, IEnumerable<(string Name, Tensor Parameter)> parameters, Action readPending)
        {
            using var scope = torch.NewDisposeScope();
            var parts = new List<(string Name, Tensor Flat)>();
            var values = new List<(string Name, Tensor Value)>();
            if (result.LossTensor is { } loss) { parts.Add((LossPart, loss.reshape(1))); values.Add((LossPart, loss)); }
            foreach (var term in result.TermValues)
                if (term.Tensor is { } t) { parts.Add((TermPrefix + term.Name, t.reshape(1))); values.Add((term.Name, t)); }
            parts.Add((RealPart, real.reshape(-1)));
            foreach (var (name, p) in parameters)
                if (p.grad is { } g) parts.Add((GradientPrefix + name, g.reshape(-1)));

            var columns = parts.Select(p => Column(p.Name)).ToArray();
            var sizes = parts.Select(p => p.Flat.shape[0]).ToArray();
            var dtype = parts[^1].Flat.dtype;
            // Each part, then zeros up to a whole block (cached tensors: no call per step).
            var pieces = new List<Tensor>(2 * parts.Count);
            foreach (var (_, flat) in parts)
            {
                pieces.Add(flat);
                if (flat.shape[0] % Block is var rest and > 0) pieces.Add(Zeros(dtype, Block - (int)rest));
            }
            var all = torch.cat(pieces.ToArray());                                      // call 1
            if (_flags is null || _slots.Count == Capacity || _flags.shape[1] < _columnNames.Count || _flags.dtype != all.dtype)
            {
                readPending();   // may stop the run; clears the record
                Reallocate(all.dtype);
            }
            // Σ x·0 per block: NaN where the block holds a NaN or ±∞, else 0 (one matrix-vector product).
            var blocks = all.view(-1, Block).mv(Zeros(all.dtype, Block));              // call 2
            _flags!.select(0, _slots.Count).index_add_(0, Ids(columns, sizes), blocks, 1); // call 3: each block into its part's column
            CallsLastRecord = 3;
            // The loss and terms for the message: detached handles on the same scalars (views: no copy, no graph kept).
            _slots.Add((slot, values.Select(v => (v.Name, v.Value.detach().DetachFromDisposeScope())).ToArray()));
        }

        /// <summary>
        /// Reads the record (one synchronisation) and clears it: the first recorded step with a non-finite part,
        /// which part, and the loss and term values of that step; null when every step was finite.
        /// </summary>
        public (GuardSlot Slot, string Part, (string Name, double Value)[] Values)? FirstFault()
        {
            if (_slots.Count == 0 || _flags is null) return null;
            using var scope = torch.NewDisposeScope();   // the views and copies below (the trainer's loop has no scope here)
            var rows = _slots.Count;
            double[] flags;
            using (var f = _flags.narrow(0, 0, rows).to_type(ScalarType.Float64).cpu()) flags = f.data<double>().ToArray();
            var width = (int)_flags.shape[1];
            try
            {
                for (var r = 0; r < rows; r++)
                {
                    if (Array.FindIndex(flags, r * width, width, x => !double.IsFinite(x)) < 0) continue;
                    var values = _slots[r].Values.Select(v => (v.Name, v.Value.to_type(ScalarType.Float64).item<double>())).ToArray();
                    // Name the part a reader looks at first: the data, then the loss, the terms, the gradients.
                    var faulty = Enumerable.Range(0, Math.Min(width, _columnNames.Count)).Where(c => !double.IsFinite(flags[r * width + c]))
                        .Select(c => _columnNames[c]).OrderBy(Rank).First();
                    return (_slots[r].Slot, faulty, values);
                }
                return null;
            }
            finally
            {
                Clear();
            }

            static int Rank(string part) => part == RealPart ? 0 : part == LossPart ? 1 : part.StartsWith(TermPrefix, StringComparison.Ordinal) ? 2 : 3;
        }

        private int Column(string part)
        {
            if (_columns.TryGetValue(part, out var c)) return c;
            _columns[part] = c = _columnNames.Count;
            _columnNames.Add(part);
            return c;
        }

        /// <summary>A zero vector the guard keeps (padding and the product's second operand).</summary>
        private Tensor Zeros(ScalarType dtype, int length)
        {
            if (!_zeros.TryGetValue((dtype, length), out var zeros))
                _zeros[(dtype, length)] = zeros = torch.zeros([length], dtype, device).DetachFromDisposeScope();
            return zeros;
        }

        /// <summary>The column of every block of the step's vector, cached per layout (one for critic steps, one for generator steps).</summary>
        private Tensor Ids(int[] columns, long[] sizes)
        {
            foreach (var layout in new[] { _layout, _otherLayout })
                if (layout is { } l && l.Columns.AsSpan().SequenceEqual(columns) && l.Sizes.AsSpan().SequenceEqual(sizes))
                    return l.Ids;
            var ids = new List<long>();
            for (var i = 0; i < columns.Length; i++)
                ids.AddRange(Enumerable.Repeat((long)columns[i], (int)((sizes[i] + Block - 1) / Block)));
            var tensor = torch.tensor(ids.ToArray(), device: device).DetachFromDisposeScope();   // the guard owns it
            _otherLayout?.Ids.Dispose();
            _otherLayout = _layout;
            _layout = (columns, sizes, tensor);
            return tensor;
        }

        /// <summary>Makes room (after a read): wider rows, another dtype.</summary>
        private void Reallocate(ScalarType dtype)
        {
            if (_slots.Count > 0) throw new InvalidOperationException("The guard's record must be read before it is reallocated.");
            var width = Math.Max(_columnNames.Count, (int?)_flags?.shape[1] ?? 0) + 8;
            _flags?.Dispose();
            _flags = torch.zeros([Capacity, width], dtype, device).DetachFromDisposeScope();   // the guard owns its record
        }

        private void Clear()
        {
            if (_slots.Count == 0) return;
            using (torch.NewDisposeScope()) _flags?.narrow(0, 0, _slots.Count).zero_();
            foreach (var (_, values) in _slots)
                foreach (var (_, value) in values) value.Dispose();
            _slots.Clear();
        }

        public void Dispose()
        {
            Clear();
            _flags?.Dispose();
            _layout?.Ids.Dispose();
            _otherLayout?.Ids.Dispose();
            foreach (var zeros in _zeros.Values) zeros.Dispose();
        }
    }
}
