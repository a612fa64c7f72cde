using System.Buffers.Binary;
using GanDsl.Formats;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Data;

/// <summary>Layout of the byte arrays that samplers return from <c>GetState</c>.</summary>
/// <remarks>
/// "GDSS", a version byte, a kind byte, then the fields of the kind, all little-endian. The sample shape,
/// dataset size and batch size are stored so a state cannot silently be applied to a different setup.
/// </remarks>
internal static class SamplerStateFormat
{
    public const byte Version = 1;
    public const byte KindStream = 1;
    public const byte KindEpoch = 2;
    private static ReadOnlySpan<byte> Magic => "GDSS"u8;

    public static byte[] Begin(byte kind, IDataset dataset, int batchSize, int payload, out int offset)
    {
        int shapeBytes = 4 + 8 * dataset.SampleShape.Count;
        var bytes = new byte[4 + 2 + shapeBytes + 8 + 4 + payload];
        Magic.CopyTo(bytes);
        bytes[4] = Version;
        bytes[5] = kind;
        offset = 6;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset), dataset.SampleShape.Count); offset += 4;
        foreach (long d in dataset.SampleShape) { BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(offset), d); offset += 8; }
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(offset), dataset.Count ?? -1); offset += 8;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset), batchSize); offset += 4;
        return bytes;
    }

    /// <summary>Checks the common header against this sampler and returns the offset of the kind's fields.</summary>
    public static int Check(byte[] state, byte kind, IDataset dataset, int batchSize, int payload)
    {
        ArgumentNullException.ThrowIfNull(state);
        string kindName = kind == KindStream ? "stream" : "epoch";
        if (state.Length < 10 || !state.AsSpan(0, 4).SequenceEqual(Magic))
            throw new ArgumentException("Not a sampler state (missing the 'GDSS' header).", nameof(state));
        if (state[4] != Version)
            throw new ArgumentException($"Sampler state version {state[4]} is not supported (expected {Version}).", nameof(state));
        if (state[5] != kind)
            throw new ArgumentException($"The state belongs to another kind of sampler (kind {state[5]}, this is a {kindName} sampler).", nameof(state));
        int offset = 6;
        int rank = BinaryPrimitives.ReadInt32LittleEndian(state.AsSpan(offset)); offset += 4;
        if (rank < 0 || rank > 16 || state.Length != 6 + 4 + 8 * rank + 8 + 4 + payload)
            throw new ArgumentException($"Sampler state has the wrong length ({state.Length} bytes) for a {kindName} sampler.", nameof(state));
        var shape = new long[rank];
        for (int i = 0; i < rank; i++) { shape[i] = BinaryPrimitives.ReadInt64LittleEndian(state.AsSpan(offset)); offset += 8; }
        long count = BinaryPrimitives.ReadInt64LittleEndian(state.AsSpan(offset)); offset += 8;
        int stateBatch = BinaryPrimitives.ReadInt32LittleEndian(state.AsSpan(offset)); offset += 4;
        if (!shape.SequenceEqual(dataset.SampleShape))
            throw new ArgumentException($"The state was captured for samples of shape {ShapeUtil.Format(shape)}, but '{dataset.Name}' has " +
                $"{ShapeUtil.Format(dataset.SampleShape)}.", nameof(state));
        if (count != (dataset.Count ?? -1))
            throw new ArgumentException($"The state was captured for a dataset of {(count < 0 ? "infinite" : count.ToString())} samples, but " +
                $"'{dataset.Name}' has {(dataset.Count?.ToString() ?? "infinite")}.", nameof(state));
        if (stateBatch != batchSize)
            throw new ArgumentException($"The state was captured with batch size {stateBatch}, but this sampler uses {batchSize}.", nameof(state));
        return offset;
    }
}

/// <summary>
/// Sampler of a <see cref="StreamDataset"/>: one generator, advanced sample by sample. Batches are drawn several at a
/// time into one tensor (a chunk: one batch, then twice as many each time, up to about 1 MB), which goes to the device
/// once and hands out a view per batch, so a step copies nothing from the host. The generator's state before each
/// batch of the chunk is kept, so a checkpoint stores the position of the next batch handed out, as if drawn one by one.
/// The samples' classes are recorded as they are drawn; only <see cref="LabelledStreamSampler"/> sends them to the device.
/// </summary>
internal class StreamSampler : IBatchSampler
{
    private const int ChunkBytes = 1 << 20;
    private readonly StreamDataset _dataset;
    private readonly Xoshiro256 _random;
    private readonly int _sampleSize;
    private readonly int _maxChunkBatches;
    private int _fills;               // chunks drawn since the last restore: the next chunk is 2^_fills batches, at most _maxChunkBatches
    private byte[] _states = [];      // generator state before each batch of the chunk
    private Tensor? _chunk;           // [batches, BatchShape...], on _chunkDevice
    private float[] _chunkValues = [];
    private long[] _chunkLabelValues = [];
    private Tensor? _labelChunk;      // [batches, BatchSize] int64, on the device of _chunk, made on the first labelled draw
    private int _chunkBatches;        // batches in the chunk
    private int _next;                // the chunk's next batch to hand out

    public StreamSampler(StreamDataset dataset, int batchSize, ulong seed)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
        _dataset = dataset;
        BatchSize = batchSize;
        _random = new Xoshiro256(seed);
        _sampleSize = checked((int)ShapeUtil.Product(dataset.SampleShape));
        BatchShape = [batchSize, .. dataset.SampleShape];
        _maxChunkBatches = (int)Math.Clamp(ChunkBytes / (4L * batchSize * _sampleSize), 1, 64);
    }

    public IDataset Dataset => _dataset;
    public int BatchSize { get; }
    public long[] BatchShape { get; }
    public long Epoch => 0;
    public long BatchesDrawn { get; private set; }

    public Tensor NextTensor(Device? device = null) => Next(device, withLabels: false).Samples;

    /// <summary>The next batch, and with <paramref name="withLabels"/> its classes as a view of the chunk's labels on the device.</summary>
    protected (Tensor Samples, Tensor? Labels) Next(Device? device, bool withLabels)
    {
        device ??= CPU;
        if (_next == _chunkBatches) Fill();
        if (_chunk is null || _chunk.device_type != device.type || _chunk.device_index != device.index)
        {
            _chunk?.Dispose();
            _labelChunk?.Dispose();
            _labelChunk = null;
            _chunk = torch.tensor(_chunkValues, [_chunkBatches, .. BatchShape], device: device).DetachFromDisposeScope();   // lives across steps
        }
        if (withLabels)
            _labelChunk ??= torch.tensor(_chunkLabelValues, [_chunkBatches, BatchSize], device: device).DetachFromDisposeScope();
        BatchesDrawn++;
        var index = _next++;
        return (_chunk.select(0, index), withLabels ? _labelChunk!.select(0, index) : null);
    }

    /// <summary>Draws the next chunk of batches on the host.</summary>
    private void Fill()
    {
        _chunk?.Dispose();
        _chunk = null;
        _labelChunk?.Dispose();
        _labelChunk = null;
        _chunkBatches = Math.Min(_maxChunkBatches, 1 << Math.Min(_fills++, 30));
        int batchSize = BatchSize * _sampleSize;
        if (_chunkValues.Length != _chunkBatches * batchSize) _chunkValues = new float[checked(_chunkBatches * batchSize)];
        if (_chunkLabelValues.Length != _chunkBatches * BatchSize) _chunkLabelValues = new long[_chunkBatches * BatchSize];
        if (_states.Length != _chunkBatches * Xoshiro256.StateSize) _states = new byte[_chunkBatches * Xoshiro256.StateSize];
        for (int b = 0; b < _chunkBatches; b++)
        {
            _random.WriteState(_states.AsSpan(b * Xoshiro256.StateSize, Xoshiro256.StateSize));
            var batch = _chunkValues.AsSpan(b * batchSize, batchSize);
            for (int i = 0; i < BatchSize; i++)
                _chunkLabelValues[b * BatchSize + i] = _dataset.DrawSample(_random, batch.Slice(i * _sampleSize, _sampleSize));
        }
        _next = 0;
    }

    public byte[] GetState()
    {
        byte[] bytes = SamplerStateFormat.Begin(SamplerStateFormat.KindStream, _dataset, BatchSize, 8 + Xoshiro256.StateSize, out int offset);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(offset), BatchesDrawn);
        // The state before the next batch handed out: one the chunk holds, or the generator's after the chunk.
        if (_next < _chunkBatches) _states.AsSpan(_next * Xoshiro256.StateSize, Xoshiro256.StateSize).CopyTo(bytes.AsSpan(offset + 8));
        else _random.WriteState(bytes.AsSpan(offset + 8));
        return bytes;
    }

    public void SetState(byte[] state)
    {
        int offset = SamplerStateFormat.Check(state, SamplerStateFormat.KindStream, _dataset, BatchSize, 8 + Xoshiro256.StateSize);
        long drawn = BinaryPrimitives.ReadInt64LittleEndian(state.AsSpan(offset));
        if (drawn < 0) throw new ArgumentException("Sampler state has a negative batch count.", nameof(state));
        _random.SetState(state.AsSpan(offset + 8, Xoshiro256.StateSize));
        BatchesDrawn = drawn;
        _chunk?.Dispose();
        _chunk = null;
        _labelChunk?.Dispose();
        _labelChunk = null;
        _chunkBatches = _next = _fills = 0;
    }
}

/// <summary>The sampler of a labelled stream (the ring, the grid): batches and the classes their samples were drawn from.</summary>
internal sealed class LabelledStreamSampler(StreamDataset dataset, int batchSize, ulong seed) : StreamSampler(dataset, batchSize, seed), ILabelledBatchSampler
{
    public (Tensor Samples, Tensor Labels) NextLabelled(Device? device = null)
    {
        var (samples, labels) = Next(device, withLabels: true);
        return (samples, labels!);
    }
}

/// <summary>
/// Sampler of a <see cref="FiniteDataset"/>: a seeded permutation per epoch. The permutation of epoch <c>e</c> is
/// a Fisher–Yates shuffle driven by <see cref="Xoshiro256.DeriveSeed"/>(seed, e), so the state is just
/// (seed, epoch, position) and a restore rebuilds the permutation.
/// </summary>
internal class EpochSampler : IBatchSampler
{
    private readonly FiniteDataset _dataset;
    private ulong _seed;
    private readonly long[] _order;
    private Tensor? _orderOnDevice;   // the epoch's permutation on the device batches are drawn on, sent once per epoch
    private readonly int _batchesPerEpoch;
    private long _epoch;
    private int _batchInEpoch;

    public EpochSampler(FiniteDataset dataset, int batchSize, ulong seed)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
        if (dataset.SampleCount > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(dataset), dataset.SampleCount, "Datasets above 2^31 samples are not supported.");
        if (batchSize > dataset.SampleCount)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
                $"The batch size exceeds the {dataset.SampleCount} samples of '{dataset.Name}'.");
        _dataset = dataset;
        _seed = seed;
        BatchSize = batchSize;
        BatchShape = [batchSize, .. dataset.SampleShape];
        _order = new long[dataset.SampleCount];
        _batchesPerEpoch = (int)(dataset.SampleCount / batchSize);
        Shuffle(0);
    }

    public IDataset Dataset => _dataset;
    public int BatchSize { get; }
    public long[] BatchShape { get; }
    public long Epoch => _epoch;
    public long BatchesDrawn { get; private set; }

    /// <summary>Full batches per epoch (the remainder of each permutation is skipped).</summary>
    public int BatchesPerEpoch => _batchesPerEpoch;

    public Tensor NextTensor(Device? device = null) => Next(device, labels: null).Samples;

    /// <summary>The next batch, and the <paramref name="labels"/> gathered at the same indices when given.</summary>
    protected (Tensor Samples, Tensor? Labels) Next(Device? device, Func<Tensor, Tensor>? labels)
    {
        device ??= CPU;
        if (_orderOnDevice is null || _orderOnDevice.device_type != device.type || _orderOnDevice.device_index != device.index)
        {
            _orderOnDevice?.Dispose();
            _orderOnDevice = torch.tensor(_order, device: device).DetachFromDisposeScope();   // lives for the epoch, across steps
        }
        Tensor batch;
        Tensor? batchLabels;
        using (var indices = _orderOnDevice.narrow(0, (long)_batchInEpoch * BatchSize, BatchSize))
        {
            batch = _dataset.GetBatch(indices);
            batchLabels = labels?.Invoke(indices);
        }
        BatchesDrawn++;
        if (++_batchInEpoch == _batchesPerEpoch)
        {
            _epoch++;
            _batchInEpoch = 0;
            Shuffle(_epoch);
        }
        return (batch, batchLabels);
    }

    private void Shuffle(long epoch)
    {
        var random = new Xoshiro256(Xoshiro256.DeriveSeed(_seed, (ulong)epoch));
        _orderOnDevice?.Dispose();
        _orderOnDevice = null;
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        for (int i = _order.Length - 1; i > 0; i--)
        {
            int j = random.NextInt(i + 1);
            (_order[i], _order[j]) = (_order[j], _order[i]);
        }
    }

    public byte[] GetState()
    {
        byte[] bytes = SamplerStateFormat.Begin(SamplerStateFormat.KindEpoch, _dataset, BatchSize, 8 + 8 + 4 + 8, out int offset);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(offset), _seed);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(offset + 8), _epoch);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset + 16), _batchInEpoch);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(offset + 20), BatchesDrawn);
        return bytes;
    }

    public void SetState(byte[] state)
    {
        int offset = SamplerStateFormat.Check(state, SamplerStateFormat.KindEpoch, _dataset, BatchSize, 8 + 8 + 4 + 8);
        ulong seed = BinaryPrimitives.ReadUInt64LittleEndian(state.AsSpan(offset));
        long epoch = BinaryPrimitives.ReadInt64LittleEndian(state.AsSpan(offset + 8));
        int batchInEpoch = BinaryPrimitives.ReadInt32LittleEndian(state.AsSpan(offset + 16));
        long drawn = BinaryPrimitives.ReadInt64LittleEndian(state.AsSpan(offset + 20));
        if (epoch < 0 || batchInEpoch < 0 || batchInEpoch >= _batchesPerEpoch || drawn < 0)
            throw new ArgumentException($"Sampler state is out of range (epoch {epoch}, batch {batchInEpoch} of {_batchesPerEpoch}).", nameof(state));
        _seed = seed; // the state carries the seed, so any sampler of the same setup can resume it
        _epoch = epoch;
        _batchInEpoch = batchInEpoch;
        BatchesDrawn = drawn;
        Shuffle(epoch);
    }
}

/// <summary>The sampler of a <see cref="LabelledFiniteDataset"/>: the batches of <see cref="EpochSampler"/> and their labels, gathered at the same indices on
/// the device.</summary>
internal sealed class LabelledEpochSampler(LabelledFiniteDataset dataset, int batchSize, ulong seed) : EpochSampler(dataset, batchSize, seed),
    ILabelledBatchSampler
{
    public (Tensor Samples, Tensor Labels) NextLabelled(Device? device = null)
    {
        var (samples, labels) = Next(device, dataset.GetLabels);
        return (samples, labels!);
    }
}
