using System.Buffers.Binary;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Data;

/// <summary>Datasets made from data you already hold: a tensor of samples, or batches you produce yourself.</summary>
public static class UserData
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
    /// Batches you produce (an augmentation pipeline, a TorchSharp <c>DataLoader</c> projected to its image tensors,
    /// a generator method): each element is one batch [B, ...] of real samples. When the sequence ends, it is
    /// enumerated again (the next epoch). The trainer's batch size must equal every batch's first dimension.
    /// Resuming re-enumerates from the start and skips the batches already drawn, so a resumed run continues
    /// exactly when the sequence is deterministic.
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

        public IBatchSampler CreateSampler(int batchSize, ulong seed) => new Sampler(this, batches, batchSize);
    }

    private sealed class Sampler(BatchStream dataset, IEnumerable<Tensor> batches, int batchSize) : IBatchSampler
    {
        private IEnumerator<Tensor>? _enumerator;

        public IDataset Dataset => dataset;

        public int BatchSize => batchSize;

        public long[] BatchShape { get; } = [batchSize, .. dataset.SampleShape];

        public long Epoch { get; private set; }

        public long BatchesDrawn { get; private set; }

        public Batch Next()
        {
            var data = new float[BatchShape.Aggregate(1L, (a, b) => a * b)];
            var epoch = NextInto(data);
            return new Batch(data, BatchShape, epoch);
        }

        public long NextInto(Span<float> destination)
        {
            var epoch = Epoch;
            var batch = Advance();
            using var host = batch.detach().to(ScalarType.Float32).cpu().contiguous();
            if (!host.shape.SequenceEqual(BatchShape))
                throw new InvalidOperationException(
                    $"Batch {BatchesDrawn} of '{dataset.Name}' has shape [{string.Join(", ", host.shape)}], but the run expects [{string.Join(", ", BatchShape)}] (batch size, then the sample shape).");
            host.data<float>().CopyTo(destination);
            BatchesDrawn++;
            return epoch;
        }

        // One batch of lookahead: the epoch ends when the batch just drawn was the sequence's last, so the trainer
        // sees the end of an epoch after its last batch (as with finite datasets), not one batch later.
        private Tensor? _next;

        private Tensor Advance()
        {
            if (_enumerator is null)
            {
                _enumerator = batches.GetEnumerator();
                _next = _enumerator.MoveNext() ? _enumerator.Current
                    : throw new InvalidOperationException($"The batches of '{dataset.Name}' are empty: the sequence yielded nothing.");
            }
            var current = _next!;
            if (_enumerator.MoveNext())
            {
                _next = _enumerator.Current;
            }
            else
            {
                _enumerator.Dispose();
                _enumerator = batches.GetEnumerator();
                _next = _enumerator.MoveNext() ? _enumerator.Current
                    : throw new InvalidOperationException($"The batches of '{dataset.Name}' yielded nothing on a second enumeration.");
                Epoch++;
            }
            return current;
        }

        // State: the number of batches drawn; restoring re-enumerates and skips them.
        public byte[] GetState()
        {
            var state = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(state, BatchesDrawn);
            return state;
        }

        public void SetState(byte[] state)
        {
            if (state is not { Length: 8 }) throw new ArgumentException("Not a batch-stream state (8 bytes expected).", nameof(state));
            var drawn = BinaryPrimitives.ReadInt64LittleEndian(state);
            if (drawn < 0) throw new ArgumentException($"A batch-stream state cannot have drawn {drawn} batches.", nameof(state));
            _enumerator?.Dispose();
            _enumerator = null;
            _next = null;
            Epoch = 0;
            BatchesDrawn = 0;
            for (long i = 0; i < drawn; i++)
            {
                Advance();
                BatchesDrawn++;
            }
        }
    }
}
