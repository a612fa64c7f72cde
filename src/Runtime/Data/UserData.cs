using System.Buffers.Binary;
using GanDsl.Formats;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Data;

/// <summary>Datasets made from data you already hold: a tensor of samples, or batches you produce yourself.</summary>
/// <remarks>
/// One dtype rule for every source (<see cref="FromTensor(Tensor, string)"/>, <see cref="FromBatches"/>, <c>FromDataset</c>,
/// <c>FromDataLoader</c>), as <c>torch.nn</c> layers expect: floating-point samples (float16, bfloat16, float32,
/// float64) are converted to float32; integer, bool and complex ones are refused with an
/// <see cref="ArgumentException"/> that says how to convert them (PyTorch would fail later, inside the first layer,
/// with "expected scalar type Float"). A null or empty input is an <see cref="ArgumentException"/> naming the argument.
/// Non-finite samples are found on the device at the step that draws them (the trainer stops, naming the real batch).
/// </remarks>
public static partial class UserData
{
    /// <summary>
    /// The samples of <paramref name="samples"/> ([N, D] vectors or [N, C, H, W] images, any floating dtype, any
    /// device; copied once as float32 and kept on that device, then on the run's) as a finite dataset: shuffled epochs
    /// drawn from the run's seed, each batch gathered on the run's device, exactly resumable, as a <c>.npy</c> file
    /// would be.
    /// </summary>
    /// <param name="samples">The real samples, the first dimension indexing them.</param>
    /// <param name="name">The dataset's name in checkpoints and logs (a resumed run must give the same).</param>
    /// <exception cref="ArgumentException">The tensor is null, not floating point, of another rank, has no samples,
    /// or holds non-finite values.</exception>
    public static IDataset FromTensor(Tensor samples, string name = "tensor")
    {
        ArgumentNullException.ThrowIfNull(samples);
        CheckFloating(samples, nameof(samples), $"The samples of '{name}'");
        if (samples.dim() is not (2 or 4))
            throw new ArgumentException($"The samples of '{name}' have shape {ShapeUtil.Format(samples.shape)}; a dataset needs [N, D] vectors or [N, " +
                "C, H, W] images.", nameof(samples));
        if (samples.numel() == 0)
            throw new ArgumentException($"The samples of '{name}' have shape {ShapeUtil.Format(samples.shape)}: no samples.", nameof(samples));
        using (var finite = samples.isfinite().all())
            if (!finite.item<bool>()) throw new ArgumentException($"The samples of '{name}' contain NaN or infinite values.", nameof(samples));
        // A copy: the dataset must not change when the caller later modifies or disposes its tensor.
        using var detached = samples.detach();
        return new NpyDataset(name, detached.to_type(ScalarType.Float32, copy: true));
    }

    /// <summary>
    /// The samples of <paramref name="samples"/> with their class labels <paramref name="labels"/>, for conditional losses
    /// (those that read <c>y</c>): drawn exactly as <see cref="FromTensor(Tensor, string)"/> draws the samples, each batch
    /// with the labels of its samples. Labels are one class index per sample, shape [N]: integers (any integer dtype), or
    /// floats that all hold whole numbers; K, the number of classes, is <paramref name="classCount"/> or the largest label
    /// + 1. A class with no sample is allowed (its frequency is 0, so the generator is asked for it only with uniform
    /// noise labels).
    /// </summary>
    /// <param name="samples">The real samples, the first dimension indexing them.</param>
    /// <param name="labels">The class of each sample, shape [N] (copied).</param>
    /// <param name="name">The dataset's name in checkpoints and logs.</param>
    /// <param name="classCount">K, when the labels do not show every class; null for the largest label + 1.</param>
    /// <param name="classNames">A name per class for plots and reports; null for "class 0", "class 1", ...</param>
    /// <exception cref="ArgumentException">The samples fail <see cref="FromTensor(Tensor, string)"/>'s checks, or the labels are
    /// not integers (or whole-number floats), not [N], of another length than the samples, negative, or not covered by
    /// <paramref name="classCount"/>.</exception>
    public static ILabelledDataset FromTensor(Tensor samples, Tensor labels, string name = "tensor", int? classCount = null,
        IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var unlabelled = (FiniteDataset)FromTensor(samples, name);
        return LabelledFiniteDataset.Create(unlabelled, labels, $"The labels of '{name}'", classCount, classNames, nameof(labels));
    }

    /// <summary>
    /// Batches you produce (an augmentation pipeline, a generator method; for a TorchSharp <c>DataLoader</c> see
    /// <see cref="FromDataLoader"/>): each element is one batch [B, ...] of real samples. When the sequence ends, it is
    /// enumerated again (the next epoch). The samples flow in order and the trainer cuts its own batches from them, so
    /// your batches may have any size, a short last one included (a trainer batch that spans the end of a pass
    /// belongs to the epoch it started in). Resuming re-enumerates from the start and skips the samples already
    /// drawn, so a resumed run continues exactly when the sequence is deterministic.
    /// </summary>
    /// <param name="batches">The sequence of batches (floating point, any device); enumerated lazily, possibly several
    /// times. Each batch is copied once, as float32, to the run's device when the trainer reaches it.</param>
    /// <param name="sampleShape">The shape of one sample (without the batch dimension).</param>
    /// <param name="name">The dataset's name in checkpoints and logs.</param>
    /// <exception cref="ArgumentException">When an argument is null or the sample shape is empty; when drawing, a batch
    /// that is null or not floating point (<see cref="InvalidOperationException"/> for a batch of another shape).</exception>
    public static IDataset FromBatches(IEnumerable<Tensor> batches, IReadOnlyList<long> sampleShape, string name = "batches")
    {
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(sampleShape);
        if (sampleShape.Count == 0 || sampleShape.Any(d => d <= 0)) throw new ArgumentException("The sample shape needs at least one positive size.",
            nameof(sampleShape));
        return new BatchStream(batches.Select(b => new StreamItem(b, null)), sampleShape.ToArray(), name, nameof(batches));
    }

    /// <summary>One of the user's batches and, for labelled data, its labels (one class per sample).</summary>
    private readonly record struct StreamItem(Tensor? Samples, Tensor? Labels);

    /// <summary>The dtype rule of every source (see the class remarks).</summary>
    private static void CheckFloating(Tensor tensor, string parameter, string what)
    {
        if (!tensor.is_floating_point())
            throw new ArgumentException(
                $"{what} are {tensor.dtype} tensors; GanDsl trains on floating-point samples (float16, bfloat16 and float64 are converted to float32). " +
                "Convert them in your data, e.g. images in 0..255: x.to(ScalarType.Float32) / 127.5 - 1 for [-1, 1]; " +
                "labels or other integers cannot be samples.", parameter);
    }

    /// <param name="batches">The user's batches.</param>
    /// <param name="sampleShape">One sample's shape.</param>
    /// <param name="name">The dataset's name.</param>
    /// <param name="parameter">The argument the batches came from, for messages ("batches", "loader").</param>
    private class BatchStream(IEnumerable<StreamItem> batches, long[] sampleShape, string name, string parameter) : IDataset
    {
        public string Name => name;

        public IReadOnlyList<long> SampleShape => sampleShape;

        public long? Count => null;

        public string Parameter => parameter;

        public virtual IBatchSampler CreateSampler(int batchSize, ulong seed)
        {
            if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
            return new Sampler(this, batches, batchSize);
        }

        /// <summary>The batches, for the labelled sampler.</summary>
        protected IEnumerable<StreamItem> Items => batches;
    }

    /// <summary>A <see cref="BatchStream"/> whose batches come with labels (<see cref="FromDataLoader"/> with a label key).</summary>
    private sealed class LabelledBatchStream(IEnumerable<StreamItem> batches, long[] sampleShape, string name, string parameter, int classCount,
        double[] frequencies)
        : BatchStream(batches, sampleShape, name, parameter), ILabelledDataset
    {
        public int ClassCount => classCount;

        public IReadOnlyList<string> ClassNames { get; } = Enumerable.Range(0, classCount).Select(k => $"class {k}").ToArray();

        public IReadOnlyList<double> ClassFrequencies => frequencies;

        public override IBatchSampler CreateSampler(int batchSize, ulong seed)
        {
            if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
            return new LabelledSampler(this, Items, batchSize);
        }
    }

    private sealed class LabelledSampler(LabelledBatchStream dataset, IEnumerable<StreamItem> batches, int batchSize) : Sampler(dataset, batches, batchSize),
        ILabelledBatchSampler
    {
        public (Tensor Samples, Tensor Labels) NextLabelled(Device? device = null)
        {
            var (samples, labels) = Next(device, withLabels: true);
            return (samples, labels!);
        }
    }

    /// <summary>
    /// Cuts batches of any size from the stream of samples the user's batches hold. The batch being read is a float32
    /// copy on the run's device, taken when the enumerator reaches it: a TorchSharp DataLoader disposes a batch's
    /// tensors when it moves on, and a producer may refill one tensor in place. The trainer's batches are views of
    /// that copy (or one concatenation on the device where a batch spans two of the user's).
    /// </summary>
    private class Sampler(BatchStream dataset, IEnumerable<StreamItem> batches, int batchSize) : IBatchSampler
    {
        private IEnumerator<StreamItem>? _enumerator;
        private Tensor? _pending;          // the current user batch: float32, our own copy
        private Tensor? _pendingLabels;    // its labels (labelled streams): int64, our own copy
        private long _pendingCount;        // samples in it
        private long _pendingOffset;       // samples of it already drawn
        private long _batchInPass;         // index of the current user batch in this pass, for messages

        public IDataset Dataset => dataset;

        public int BatchSize => batchSize;

        public long[] BatchShape { get; } = [batchSize, .. dataset.SampleShape];

        public long Epoch { get; private set; }

        public long BatchesDrawn { get; private set; }

        /// <summary>Samples drawn since the start: the position a checkpoint stores.</summary>
        public long SamplesDrawn { get; private set; }

        public Tensor NextTensor(Device? device = null) => Next(device, withLabels: false).Samples;

        /// <summary>The next batch, and with <paramref name="withLabels"/> the labels of its samples.</summary>
        protected (Tensor Samples, Tensor? Labels) Next(Device? device, bool withLabels)
        {
            device ??= CPU;
            var pieces = new List<Tensor>(1);
            var labelPieces = withLabels ? new List<Tensor>(1) : null;
            Take(batchSize, pieces, labelPieces, device);
            BatchesDrawn++;
            return (Join(pieces, device), labelPieces is null ? null : Join(labelPieces, device));
        }

        /// <summary>The pieces as one tensor on <paramref name="device"/> (a view when there is one piece already there).</summary>
        private static Tensor Join(List<Tensor> pieces, Device device)
        {
            Tensor batch;
            if (pieces.Count == 1) batch = pieces[0];
            else
            {
                batch = torch.cat(pieces);
                foreach (var piece in pieces) piece.Dispose();
            }
            if (batch.device_type == device.type && batch.device_index == device.index) return batch;
            using (batch) return batch.to(device);   // a batch loaded while skipping (resume) sits on the user's device
        }

        /// <summary>Draws <paramref name="count"/> samples (and labels) as views into <paramref name="pieces"/> (or skips them when it is null).</summary>
        private void Take(long count, List<Tensor>? pieces, List<Tensor>? labelPieces, Device? device)
        {
            if (_enumerator is null) Start(first: true, device);
            for (long done = 0; done < count;)
            {
                var take = Math.Min(count - done, _pendingCount - _pendingOffset);
                pieces?.Add(_pending!.narrow(0, _pendingOffset, take));
                labelPieces?.Add(_pendingLabels!.narrow(0, _pendingOffset, take));
                _pendingOffset += take;
                done += take;
                SamplesDrawn += take;
                // Read ahead as soon as a user batch is used up, so the end of a pass shows in Epoch right after its
                // last sample (as with finite datasets), not one batch later.
                if (_pendingOffset == _pendingCount) Advance(device);
            }
        }

        private void Start(bool first, Device? device)
        {
            _enumerator?.Dispose();
            _enumerator = batches.GetEnumerator();
            _batchInPass = -1;
            if (!_enumerator.MoveNext())
                throw new ArgumentException(first
                    ? $"The batches of '{dataset.Name}' are empty: the sequence yielded nothing."
                    : $"The batches of '{dataset.Name}' yielded nothing on a second enumeration.", dataset.Parameter);
            Load(_enumerator.Current, device);
        }

        private void Advance(Device? device)
        {
            if (_enumerator!.MoveNext())
            {
                Load(_enumerator.Current, device);
                return;
            }
            Start(first: false, device);
            Epoch++;
        }

        /// <summary>Checks a user batch (and its labels) and keeps a float32 copy of it on <paramref name="device"/> (null: where it is).</summary>
        private void Load(StreamItem item, Device? device)
        {
            var batch = item.Samples;
            _batchInPass++;
            if (batch is null)
                throw new ArgumentException($"Batch {_batchInPass} of a pass over '{dataset.Name}' is null.", dataset.Parameter);
            CheckFloating(batch, dataset.Parameter, $"Batch {_batchInPass} of a pass over '{dataset.Name}': the samples");
            var shape = batch.shape;
            if (shape.Length != dataset.SampleShape.Count + 1 || !shape.AsSpan(1).SequenceEqual(dataset.SampleShape.ToArray()) || shape[0] == 0)
            {
                var expected = ShapeUtil.Format([shape.Length > 0 && shape[0] > 0 ? shape[0] : 1, .. dataset.SampleShape]);
                throw new InvalidOperationException(
                    $"Batch {_batchInPass} of a pass over '{dataset.Name}' has shape {ShapeUtil.Format(shape)}, " +
                    $"but batches of {ShapeUtil.Format(dataset.SampleShape)} samples have shape {expected} (at least one sample, then the sample shape).");
            }
            _pending?.Dispose();
            using (var detached = batch.detach())
                _pending = (device is null
                    ? detached.to_type(ScalarType.Float32, copy: true)
                    : detached.to(ScalarType.Float32, device, copy: true)).DetachFromDisposeScope();   // lives across steps
            _pendingCount = shape[0];
            _pendingOffset = 0;
            if (dataset is LabelledBatchStream labelled)
            {
                // Each loader batch's labels pass the checks of FromTensor's (on the host: a loader makes them there).
                var what = $"The labels of batch {_batchInPass} of a pass over '{dataset.Name}'";
                var labels = item.Labels ?? throw new ArgumentException($"{what} are null.", dataset.Parameter);
                var valid = ClassLabels.Check(labels, _pendingCount, what, labelled.ClassCount, dataset.Parameter);
                _pendingLabels?.Dispose();
                var values = valid.Values;   // our own int64 copy on the CPU
                if (device is not null && (values.device_type != device.type || values.device_index != device.index))
                {
                    var moved = values.to(device);
                    values.Dispose();
                    values = moved;
                }
                _pendingLabels = values.DetachFromDisposeScope();   // lives across steps
            }
        }

        // State: batches and samples drawn; restoring re-enumerates and skips the samples.
        public byte[] GetState()
        {
            var state = new byte[16];
            BinaryPrimitives.WriteInt64LittleEndian(state, BatchesDrawn);
            BinaryPrimitives.WriteInt64LittleEndian(state.AsSpan(8), SamplesDrawn);
            return state;
        }

        public void SetState(byte[] state)
        {
            // 8 bytes: a checkpoint from before batches could differ from the trainer's (batches drawn, each of BatchSize).
            if (state is not { Length: 16 or 8 }) throw new ArgumentException("Not a batch-stream state (16 bytes expected).", nameof(state));
            var drawn = BinaryPrimitives.ReadInt64LittleEndian(state);
            var samples = state.Length == 16 ? BinaryPrimitives.ReadInt64LittleEndian(state.AsSpan(8)) : drawn * batchSize;
            if (drawn < 0 || samples < 0) throw new ArgumentException($"A batch-stream state cannot have drawn {drawn} batches, {samples} samples.",
                nameof(state));
            _enumerator?.Dispose();
            _enumerator = null;
            Epoch = 0;
            SamplesDrawn = 0;
            Take(samples, null, null, null);
            BatchesDrawn = drawn;
        }
    }
}
