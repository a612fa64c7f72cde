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
                $"Stopped at {Where(phase, criticIndex)}: {hostProblem}{TermsText(result)}. {CheckpointAdvice()} Try a smaller learning rate.", _step);
        }
        _guard.Record(new GuardSlot(_step, phase, criticIndex), real, result, optimizers.SelectMany(o => o.Parameters.Select(p => ($"{o.Network}.{p.Name}", (Tensor)p.Parameter))), CheckGuard);
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
            FiniteGuard.LossPart => $"Stopped at {where}: the {lossName} is {loss}{termsText}. {CheckpointAdvice()} Try a smaller learning rate.",
            _ when part.StartsWith(FiniteGuard.GradientPrefix, StringComparison.Ordinal) =>
                $"Stopped at {where}: the gradient of {part[FiniteGuard.GradientPrefix.Length..]} is not finite (the {lossName} was {loss}){termsText}. " +
                $"{CheckpointAdvice()} Try a smaller learning rate.",
            _ => $"Stopped at {where}: term '{part[FiniteGuard.TermPrefix.Length..]}' of the {lossName} is " +
                 $"{values.FirstOrDefault(v => v.Name == part[FiniteGuard.TermPrefix.Length..]).Value}{termsText}. {CheckpointAdvice()} Try a smaller learning rate.",
        };
        throw new NonFiniteException(message, slot.Step);
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
    /// the real batch and every gradient (flattened views); one <c>index_add_</c> with factor 0 of that vector into
    /// the step's row, column by part; and, when the loss reports tensors, one <c>copy_</c> of the loss and terms into a
    /// row of values (for the message). Multiplying by 0 keeps a NaN or ±∞ as NaN and makes every finite value
    /// 0, so a row entry is non-finite exactly when its part has a non-finite element: no sum can overflow from
    /// finite values (huge but finite gradients are not a reason to stop, and do not stop the run).
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

        private readonly Dictionary<string, int> _columns = new();
        private readonly List<string> _columnNames = new();
        private readonly List<(GuardSlot Slot, string[] ValueNames)> _slots = new();
        private Tensor? _flags, _values;
        private (int[] Columns, long[] Sizes, Tensor Ids)? _layout;
        private (int[] Columns, long[] Sizes, Tensor Ids)? _otherLayout;

        /// <summary>libtorch calls issued by the last <see cref="Record"/> (a counting hook for tests).</summary>
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
            var valueNames = new List<string>();
            if (result.LossTensor is { } loss) { parts.Add((LossPart, loss.reshape(1))); valueNames.Add(LossPart); }
            foreach (var term in result.TermValues)
                if (term.Tensor is { } t) { parts.Add((TermPrefix + term.Name, t.reshape(1))); valueNames.Add(term.Name); }
            parts.Add((RealPart, real.reshape(-1)));
            foreach (var (name, p) in parameters)
                if (p.grad is { } g) parts.Add((GradientPrefix + name, g.reshape(-1)));

            var columns = parts.Select(p => Column(p.Name)).ToArray();
            var sizes = parts.Select(p => p.Flat.shape[0]).ToArray();
            var all = torch.cat(parts.Select(p => p.Flat).ToArray());                 // call 1
            if (_flags is null || _slots.Count == Capacity || _flags.shape[1] < _columnNames.Count || _flags.dtype != all.dtype
                || _values!.shape[1] < valueNames.Count)
            {
                readPending();   // may stop the run; clears the record
                Reallocate(all.dtype, valueNames.Count);
            }

            var ids = Ids(columns, sizes);
            var row = _slots.Count;
            _flags!.select(0, row).index_add_(0, ids, all, alpha: 0);                 // call 2
            CallsLastRecord = 2;
            if (valueNames.Count > 0)
            {
                _values!.select(0, row).narrow(0, 0, valueNames.Count).copy_(all.narrow(0, 0, valueNames.Count));   // call 3
                CallsLastRecord = 3;
            }
            _slots.Add((slot, valueNames.ToArray()));
        }

        /// <summary>
        /// Reads the record (one synchronisation) and clears it: the first recorded step with a non-finite part,
        /// which part, and the loss and term values of that step; null when every step was finite.
        /// </summary>
        public (GuardSlot Slot, string Part, (string Name, double Value)[] Values)? FirstFault()
        {
            if (_slots.Count == 0 || _flags is null) return null;
            var rows = _slots.Count;
            double[] flags, values;
            using (var f = _flags.narrow(0, 0, rows).to_type(ScalarType.Float64).cpu()) flags = f.data<double>().ToArray();
            using (var v = _values!.narrow(0, 0, rows).to_type(ScalarType.Float64).cpu()) values = v.data<double>().ToArray();
            var width = (int)_flags.shape[1];
            var valueWidth = (int)_values.shape[1];
            var slots = _slots.ToArray();
            Clear();
            for (var r = 0; r < rows; r++)
            {
                var column = Array.FindIndex(flags, r * width, width, x => !double.IsFinite(x));
                if (column < 0) continue;
                var names = slots[r].ValueNames;
                var rowValues = names.Select((n, i) => (n, values[r * valueWidth + i])).ToArray();
                // Name the part a reader looks at first: the data, then the loss, the terms, the gradients.
                var faulty = Enumerable.Range(0, width).Where(c => c < _columnNames.Count && !double.IsFinite(flags[r * width + c]))
                    .Select(c => _columnNames[c]).OrderBy(Rank).First();
                return (slots[r].Slot, faulty, rowValues);
            }
            return null;

            static int Rank(string part) => part == RealPart ? 0 : part == LossPart ? 1 : part.StartsWith(TermPrefix, StringComparison.Ordinal) ? 2 : 3;
        }

        private int Column(string part)
        {
            if (_columns.TryGetValue(part, out var c)) return c;
            _columns[part] = c = _columnNames.Count;
            _columnNames.Add(part);
            return c;
        }

        /// <summary>The column of every element of the step's vector, cached per layout (one for critic steps, one for generator steps).</summary>
        private Tensor Ids(int[] columns, long[] sizes)
        {
            foreach (var layout in new[] { _layout, _otherLayout })
                if (layout is { } l && l.Columns.AsSpan().SequenceEqual(columns) && l.Sizes.AsSpan().SequenceEqual(sizes))
                    return l.Ids;
            var ids = new long[sizes.Sum()];
            var at = 0;
            for (var i = 0; i < columns.Length; i++)
            {
                Array.Fill(ids, columns[i], at, (int)sizes[i]);
                at += (int)sizes[i];
            }
            var tensor = torch.tensor(ids, device: device);
            tensor.DetachFromDisposeScope();   // the guard owns it
            _otherLayout?.Ids.Dispose();
            _otherLayout = _layout;
            _layout = (columns, sizes, tensor);
            return tensor;
        }

        /// <summary>Makes room (after a read): wider rows, another dtype.</summary>
        private void Reallocate(ScalarType dtype, int valueCount)
        {
            if (_slots.Count > 0) throw new InvalidOperationException("The guard's record must be read before it is reallocated.");
            var width = Math.Max(_columnNames.Count, (int?)_flags?.shape[1] ?? 0) + 8;
            var valueWidth = Math.Max(valueCount, (int?)_values?.shape[1] ?? 0) + 4;
            _flags?.Dispose();
            _values?.Dispose();
            _flags = torch.zeros([Capacity, width], dtype, device);
            _values = torch.zeros([Capacity, valueWidth], ScalarType.Float64, device);
            _flags.DetachFromDisposeScope();   // the guard owns its record
            _values.DetachFromDisposeScope();
        }

        private void Clear()
        {
            if (_slots.Count == 0) return;
            _flags?.narrow(0, 0, _slots.Count).zero_();
            _slots.Clear();
        }

        public void Dispose()
        {
            _flags?.Dispose();
            _values?.Dispose();
            _layout?.Ids.Dispose();
            _otherLayout?.Ids.Dispose();
        }
    }
}

/// <summary>A training step failed inside libtorch (a network returned a wrong shape, a dtype clash...); the message is libtorch's, prefixed with the step.</summary>
public sealed class TrainingStepException(string message, Exception? inner = null) : Exception(message, inner);
