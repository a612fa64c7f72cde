using GanDsl.Formats;
using TorchSharp;
using static TorchSharp.torch;
using TorchDataLoader = TorchSharp.Modules.DataLoader;

namespace GanDsl.Data;

/// <summary>Adapters for data a researcher already has as a TorchSharp <c>torch.utils.data</c> dataset or loader.</summary>
public static partial class UserData
{
    /// <summary>
    /// A TorchSharp map-style dataset whose samples are dictionaries (<c>torch.utils.data.Dataset</c>), of which
    /// <paramref name="key"/> holds the sample (a [D] vector or a [C, H, W] image, floating point, any device; other
    /// keys such as labels are ignored). The trainer draws the indices itself, exactly as for
    /// <see cref="FromTensor(Tensor, string)"/>: shuffled epochs from the run's seed, a batch never mixing two epochs, and an exact
    /// resume (the checkpoint stores the position, nothing is re-read). The dataset is read lazily, one
    /// <c>GetTensor</c> per sample drawn; the samples of a batch are stacked where the dataset made them and the
    /// batch moved to the run's device as float32 (tensors the dataset creates are disposed then). It is not disposed.
    /// </summary>
    /// <param name="dataset">The dataset; <c>GetTensor(i)</c> must return the same sample for the same index.</param>
    /// <param name="key">The dictionary key of the sample tensor.</param>
    /// <param name="name">The dataset's name in checkpoints and logs (a resumed run must give the same).</param>
    /// <param name="labelKey">
    /// The key of each sample's class label (a 0-d or one-element integer tensor), for conditional losses; null: the data
    /// is unlabelled. Every label is read once here (one <c>GetTensor</c> per sample) to find K and the class
    /// frequencies, and kept on the run's device; the result is then an <see cref="ILabelledDataset"/> whose batches
    /// carry the labels of their samples.
    /// </param>
    /// <param name="classCount">K, when the labels do not show every class; null for the largest label + 1.</param>
    /// <exception cref="ArgumentException">The dataset is empty, or its first sample has no <paramref name="key"/>,
    /// is not floating point, has another rank, or holds NaN or infinite values; a sample's label is missing or is not
    /// one class index (see <see cref="FromTensor(Tensor, Tensor, string, int?, IReadOnlyList{string}?)"/> for the label rules).</exception>
    public static IDataset FromDataset(utils.data.Dataset dataset, string key = "image", string name = "dataset", string? labelKey = null,
        int? classCount = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        var samples = TorchDataset<Dictionary<string, Tensor>>.Create(dataset, item => SampleTensor(item, key, name, nameof(dataset)), name);
        if (labelKey is null) return samples;
        using var scope = NewDisposeScope();
        var labels = new Tensor[samples.SampleCount];
        for (long i = 0; i < labels.Length; i++)
        {
            var item = dataset.GetTensor(i);
            if (item is null || !item.TryGetValue(labelKey, out var label) || label is null)
                throw new ArgumentException($"Sample {i} of '{name}' has no '{labelKey}' label" +
                    (item is null ? " (GetTensor returned null)." : $"; its keys are {string.Join(", ", item.Keys.Select(k => $"'{k}'"))}. Pass the key " +
                        "of the labels (labelKey: \"...\")."), nameof(labelKey));
            labels[i] = label.numel() == 1 ? label.reshape(1).cpu()
                : throw new ArgumentException($"The '{labelKey}' label of sample {i} of '{name}' has shape {ShapeUtil.Format(label.shape)}; a label is " +
                    "one class index (a 0-d or one-element tensor).", nameof(dataset));
        }
        return LabelledFiniteDataset.Create(samples, torch.cat(labels), $"The '{labelKey}' labels of '{name}'", classCount, null, nameof(dataset));
    }

    /// <summary>
    /// A TorchSharp dataset whose samples are tensors (<c>torch.utils.data.Dataset&lt;Tensor&gt;</c>): each a [D]
    /// vector or a [C, H, W] image. Drawn, shuffled and resumed by the trainer as for the dictionary overload.
    /// </summary>
    /// <exception cref="ArgumentException">The dataset is empty, or its first sample is not floating point, has another
    /// rank, or holds NaN or infinite values.</exception>
    public static IDataset FromDataset(utils.data.Dataset<Tensor> dataset, string name = "dataset")
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return TorchDataset<Tensor>.Create(dataset, item => item, name);
    }

    /// <summary>
    /// The batches of a TorchSharp <c>DataLoader</c> (its <paramref name="key"/> tensors), in the loader's own order,
    /// cycled by epochs as <see cref="FromBatches"/> does: the trainer cuts its batches from the loader's samples in
    /// order, so the trainer's batch size may differ from the loader's and a short last batch simply continues into
    /// the next pass (a trainer batch equals a loader batch when the sizes match and <c>drop_last</c> is set or the
    /// size divides the dataset).
    /// <para>
    /// Resume re-enumerates the loader from its start and skips the batches already drawn (loading them again), so it
    /// continues exactly only if the loader repeats its order: <c>shuffle: false</c>, or <c>shuffle: true</c> with a
    /// <c>seed</c> (TorchSharp then repeats the same permutation every epoch). With <c>shuffle: true</c> and no seed,
    /// a resumed run continues at the right step but on other batches. <see cref="FromDataset(utils.data.Dataset, string, string, string?, int?)"/>
    /// on the loader's dataset reshuffles every epoch from the run's seed and resumes exactly without re-reading.
    /// </para>
    /// </summary>
    /// <param name="loader">The loader; enumerated lazily, once per epoch, and not disposed.</param>
    /// <param name="key">The dictionary key of the sample tensors in each batch.</param>
    /// <param name="name">The dataset's name in checkpoints and logs.</param>
    /// <param name="labelKey">
    /// The dictionary key of each batch's class labels ([B] integers), for conditional losses; null: unlabelled. The
    /// loader is enumerated once here, a whole pass, to find K and the class frequencies (the batches of later passes
    /// must carry labels in [0, K) too); the result is then an <see cref="ILabelledDataset"/> whose batches carry the
    /// labels of their samples.
    /// </param>
    /// <param name="classCount">K, when the labels do not show every class; null for the largest label of the pass + 1.</param>
    /// <exception cref="ArgumentException">The loader yields no batch, or its first batch has no <paramref name="key"/>,
    /// is not floating point, or has another rank than [B, D] or [B, C, H, W]; a batch's labels are missing or are not
    /// one class index per sample (see <see cref="FromTensor(Tensor, Tensor, string, int?, IReadOnlyList{string}?)"/>).</exception>
    public static IDataset FromDataLoader(TorchDataLoader loader, string key = "image", string name = "dataloader", string? labelKey = null,
        int? classCount = null)
    {
        ArgumentNullException.ThrowIfNull(loader);
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        long[] sampleShape;
        // The first batch gives the sample shape (the loader does not expose its batch size).
        using (var first = loader.GetEnumerator())
        {
            if (!first.MoveNext())
                throw new ArgumentException($"The DataLoader of '{name}' yields no batch: its dataset is empty.", nameof(loader));
            var batch = SampleTensor(first.Current, key, name, nameof(loader));
            CheckFloating(batch, nameof(loader), $"The '{key}' batches of '{name}'");
            if (batch.dim() is not (2 or 4))
                throw new ArgumentException($"The DataLoader of '{name}' yields '{key}' batches of shape {ShapeUtil.Format(batch.shape)}; GanDsl trains " +
                    "on [B, D] vectors or [B, C, H, W] images.", nameof(loader));
            sampleShape = batch.shape[1..];
        }
        IEnumerable<StreamItem> Batches()
        {
            foreach (var batch in loader)
                yield return new StreamItem(SampleTensor(batch, key, name, nameof(loader)), labelKey is null ? null : LabelTensor(batch, labelKey, name));
        }
        if (labelKey is null) return new BatchStream(Batches(), sampleShape, name, nameof(loader));

        // One pass for K and the class frequencies: labels are small, and the trainer needs both before step 1.
        var labels = new List<Tensor>();
        foreach (var batch in loader)
        {
            var label = LabelTensor(batch, labelKey, name);
            labels.Add(label.detach().clone());   // a copy: the loader disposes its batches when it moves on
        }
        using var all = torch.cat(labels);
        foreach (var l in labels) l.Dispose();
        var valid = ClassLabels.Check(all, all.shape[0], $"The '{labelKey}' labels of '{name}'", classCount, nameof(loader));
        valid.Values.Dispose();
        return new LabelledBatchStream(Batches(), sampleShape, name, nameof(loader), valid.ClassCount, valid.Frequencies);
    }

    private static Tensor LabelTensor(Dictionary<string, Tensor>? batch, string labelKey, string name) =>
        batch is not null && batch.TryGetValue(labelKey, out var labels) && labels is not null ? labels
        : throw new ArgumentException($"A batch of '{name}' has no '{labelKey}' labels" +
            (batch is null ? " (the loader gave null)." : $"; its keys are {string.Join(", ", batch.Keys.Select(k => $"'{k}'"))}. Pass the key of the " +
                "labels (labelKey: \"...\")."), "labelKey");

    private static Tensor SampleTensor(Dictionary<string, Tensor>? item, string key, string name, string parameter) =>
        item is null ? throw new ArgumentException($"'{name}' gave null instead of a dictionary of tensors.", parameter)
        : item.TryGetValue(key, out var tensor) ? tensor ?? throw new ArgumentException($"The '{key}' tensor of a sample of '{name}' is null.", parameter)
        : throw new ArgumentException(item.Count == 0
            ? $"The samples of '{name}' are empty dictionaries: there is no '{key}' tensor."
            : $"The samples of '{name}' have no key '{key}'; their keys are {string.Join(", ", item.Keys.Select(k => $"'{k}'"))}. Pass the key of the " +
                "sample tensor (key: \"...\").", parameter);

    /// <summary>A TorchSharp dataset read sample by sample; the trainer's epoch sampler chooses the indices.</summary>
    private sealed class TorchDataset<T> : FiniteDataset
    {
        private readonly utils.data.Dataset<T> _dataset;
        private readonly Func<T, Tensor> _select;
        private readonly long[] _sampleShape;

        private TorchDataset(utils.data.Dataset<T> dataset, Func<T, Tensor> select, string name, long count, long[] sampleShape)
        {
            _dataset = dataset;
            _select = select;
            Name = name;
            SampleCount = count;
            _sampleShape = sampleShape;
        }

        /// <summary>Reads sample 0 for the shape and checks it, so a wrong key or dtype fails here, not mid-run.</summary>
        public static TorchDataset<T> Create(utils.data.Dataset<T> dataset, Func<T, Tensor> select, string name)
        {
            var count = dataset.Count;
            if (count <= 0) throw new ArgumentException($"The dataset '{name}' is empty (Count = {count}).", nameof(dataset));
            using var scope = NewDisposeScope();
            var first = select(dataset.GetTensor(0)) ?? throw new ArgumentException($"Sample 0 of '{name}' is null.", nameof(dataset));
            CheckFloating(first, nameof(dataset), $"The samples of '{name}'");
            if (first.dim() is not (1 or 3))
                throw new ArgumentException($"Sample 0 of '{name}' has shape {ShapeUtil.Format(first.shape)}; GanDsl trains on [D] vectors or [C, H, W] " +
                    "images (a [1, D] sample: squeeze it in the dataset).", nameof(dataset));
            using (var finite = first.isfinite().all())
                if (!finite.item<bool>()) throw new ArgumentException($"Sample 0 of '{name}' contains NaN or infinite values.", nameof(dataset));
            return new TorchDataset<T>(dataset, select, name, count, first.shape);
        }

        public override string Name { get; }

        public override IReadOnlyList<long> SampleShape => _sampleShape;

        public override long SampleCount { get; }

        /// <summary>
        /// One <c>GetTensor</c> per index (read on the host: the dataset is user code addressed by number), the samples
        /// stacked where the dataset made them, then the batch moved to the indices' device as float32.
        /// </summary>
        public override Tensor GetBatch(Tensor indices)
        {
            long[] positions;
            using (var onHost = indices.cpu()) positions = onHost.data<long>().ToArray();
            // Tensors the dataset creates for this call are disposed with the scope; the ones it holds are not.
            using var scope = NewDisposeScope();
            var samples = new Tensor[positions.Length];
            for (var i = 0; i < positions.Length; i++)
                samples[i] = Read(positions[i]);
            return torch.stack(samples).to(ScalarType.Float32, indices.device).MoveToOuterDisposeScope();
        }

        private Tensor Read(long index)
        {
            Tensor? sample;
            try
            {
                sample = _select(_dataset.GetTensor(index));
            }
            catch (ArgumentException e)
            {
                throw new InvalidOperationException($"Sample {index}: {e.Message}", e);
            }
            if (sample is null || !sample.is_floating_point() || !sample.shape.SequenceEqual(_sampleShape))
                throw new InvalidOperationException(sample is null
                    ? $"Sample {index} of '{Name}' is null."
                    : $"Sample {index} of '{Name}' is a {sample.dtype} tensor of shape {ShapeUtil.Format(sample.shape)}; every sample must be floating " +
                        $"point of sample 0's shape, {ShapeUtil.Format(_sampleShape)}.");
            return sample;
        }
    }
}
