using System.Buffers.Binary;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Data;

/// <summary>Datasets made from data you already hold: a tensor of samples, or batches you produce yourself.</summary>
public static partial class UserData
{
    /// <summary>
    /// The samples of <paramref name="samples"/> ([N, D] vectors or [N, C, H, W] images, any floating dtype, any
    /// device; copied to host float32 once) as a finite dataset: shuffled epochs drawn from the run's seed,
    /// exactly resumable, as a <c>.npy</c> file would be.
    /// </summary>
    /// <param name="samples">The real samples, the first dimension indexing them.</param>
    /// <param name="name">The dataset's name in checkpoints and logs (a resumed run must give the same).</param>
    /// <exception cref="ArgumentException">The tensor has another rank, no samples, or non-finite values.</exception>
    public static IDataset FromTensor(Tensor samples, string name = "tensor")
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (!samples.is_floating_point()) throw new ArgumentException($"The samples must be a floating-point tensor, not {samples.dtype}.", nameof(samples));
        using (var finite = samples.isfinite().all())
            if (!finite.item<bool>()) throw new ArgumentException("The samples contain NaN or infinite values.", nameof(samples));
        return new NpyDataset(name, samples.ToNpyArray());
    }

    /// <summary>
    /// Batches you produce (an augmentation pipeline, a generator method; for a TorchSharp <c>DataLoader</c> see
    /// <see cref="FromDataLoader"/>): each element is one batch [B, ...] of real samples. When the sequence ends, it is
    /// enumerated again (the next epoch). The samples flow in order and the trainer cuts its own batches from them, so
    /// your batches may have any size, a short last one included (a trainer batch that spans the end of a pass
    /// belongs to the epoch it started in). Resuming re-enumerates from the start and skips the samples already
    /// drawn, so a resumed run continues exactly when the sequence is deterministic.
    /// </summary>
    /// <param name="batches">The sequence of batches; enumerated lazily, possibly several times.</param>
    /// <param name="sampleShape">The shape of one sample (without the batch dimension).</param>
    /// <param name="name">The dataset's name in checkpoints and logs.</param>
    public static IDataset FromBatches(IEnumerable<Tensor> batches, IReadOnlyList<long> sampleShape, string name = "batches")
    {
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(sampleShape);
        if (sampleShape.Count == 0 || sampleShape.Any(d => d <= 0)) throw new ArgumentException("The sample shape needs at least one positive size.", nameof(sampleShape));
        return new BatchStream(batches, sampleShape.ToArray(), name);
    }

    private sealed class BatchStream(IEnumerable<Tensor> batches, long[] sampleShape, string name) : IDataset
    {
        public string Name => name;

        public IReadOnlyList<long> SampleShape => sampleShape;

        public long? Count => null;

        public IBatchSampler CreateSampler(int batchSize, ulong seed)
        {
            if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
            return new Sampler(this, batches, batchSize);
        }
    }

    /// <summary>
    /// Cuts batches of any size from the stream of samples the user's batches hold. The batch being read is a host
    /// copy taken when the enumerator reaches it: a TorchSharp DataLoader disposes a batch's tensors when it moves on.
    /// </summary>
    private sealed class Sampler(BatchStream dataset, IEnumerable<Tensor> batches, int batchSize) : IBatchSampler
    {
        private readonly int _sampleSize = checked((int)ShapeUtil.Product(dataset.SampleShape));
        private IEnumerator<Tensor>? _enumerator;
        private float[] _pending = [];   // the current user batch, on the host
        private int _pendingCount;        // samples in it
        private int _pendingOffset;       // samples of it already drawn
        private long _batchInPass;        // index of the current user batch in this pass, for messages

        public IDataset Dataset => dataset;

        public int BatchSize => batchSize;

        public long[] BatchShape { get; } = [batchSize, .. dataset.SampleShape];

        public long Epoch { get; private set; }

        public long BatchesDrawn { get; private set; }

        /// <summary>Samples drawn since the start: the position a checkpoint stores.</summary>
        public long SamplesDrawn { get; private set; }

        public Batch Next()
        {
            var data = new float[checked(batchSize * _sampleSize)];
            var epoch = NextInto(data);
            return new Batch(data, (long[])BatchShape.Clone(), epoch);
        }

        public long NextInto(Span<float> destination)
        {
            if (destination.Length != batchSize * _sampleSize)
                throw new ArgumentException($"The destination holds {destination.Length} floats; a batch of shape {ShapeUtil.Format(BatchShape)} needs {batchSize * _sampleSize}.", nameof(destination));
            var epoch = Epoch;
            Take(batchSize, destination);
            BatchesDrawn++;
            return epoch;
        }

        /// <summary>Draws <paramref name="count"/> samples into <paramref name="destination"/> (or skips them when it is empty).</summary>
        private void Take(long count, Span<float> destination)
        {
            if (_enumerator is null) Start(first: true);
            for (long done = 0; done < count;)
            {
                var take = (int)Math.Min(count - done, _pendingCount - _pendingOffset);
                if (!destination.IsEmpty)
                    _pending.AsSpan(_pendingOffset * _sampleSize, take * _sampleSize).CopyTo(destination.Slice(checked((int)done * _sampleSize)));
                _pendingOffset += take;
                done += take;
                SamplesDrawn += take;
                // Read ahead as soon as a user batch is used up, so the end of a pass shows in Epoch right after its
                // last sample (as with finite datasets), not one batch later.
                if (_pendingOffset == _pendingCount) Advance();
            }
        }

        private void Start(bool first)
        {
            _enumerator?.Dispose();
            _enumerator = batches.GetEnumerator();
            _batchInPass = -1;
            if (!_enumerator.MoveNext())
                throw new InvalidOperationException(first
                    ? $"The batches of '{dataset.Name}' are empty: the sequence yielded nothing."
                    : $"The batches of '{dataset.Name}' yielded nothing on a second enumeration.");
            Load(_enumerator.Current);
        }

        private void Advance()
        {
            if (_enumerator!.MoveNext())
            {
                Load(_enumerator.Current);
                return;
            }
            Start(first: false);
            Epoch++;
        }

        private void Load(Tensor batch)
        {
            _batchInPass++;
            using var host = batch.detach().to(ScalarType.Float32).cpu().contiguous();
            var shape = host.shape;
            if (shape.Length != dataset.SampleShape.Count + 1 || !shape.AsSpan(1).SequenceEqual(dataset.SampleShape.ToArray()) || shape[0] == 0)
            {
                var expected = ShapeUtil.Format([shape.Length > 0 && shape[0] > 0 ? shape[0] : 1, .. dataset.SampleShape]);
                throw new InvalidOperationException(
                    $"Batch {_batchInPass} of a pass over '{dataset.Name}' has shape {ShapeUtil.Format(shape)}, but batches of {ShapeUtil.Format(dataset.SampleShape)} samples have shape {expected} (at least one sample, then the sample shape).");
            }
            _pending = host.data<float>().ToArray();
            _pendingCount = checked((int)shape[0]);
            _pendingOffset = 0;
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
            if (drawn < 0 || samples < 0) throw new ArgumentException($"A batch-stream state cannot have drawn {drawn} batches, {samples} samples.", nameof(state));
            _enumerator?.Dispose();
            _enumerator = null;
            Epoch = 0;
            SamplesDrawn = 0;
            Take(samples, []);
            BatchesDrawn = drawn;
        }
    }
}
