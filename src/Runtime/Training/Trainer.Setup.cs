using GanDsl.Data;
using GanDsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Training;

public sealed partial class Trainer
{
    /// <summary>
    /// Checks the options, looks up the loss in <paramref name="registry"/> and builds it with the built-in model
    /// family <see cref="TrainOptions.Model"/>: what <c>gan train</c> does. See
    /// <see cref="Create(IGanLoss, IModelFamily, TrainOptions, IDataset?)"/> for the rest. Writes nothing.
    /// </summary>
    /// <exception cref="TrainingSetupException">Anything that stops the run from starting; the message says what to do.</exception>
    public static Trainer Create(TrainOptions options, LossRegistry registry) => Create(options, registry, family: null);

    /// <summary>
    /// As <see cref="Create(TrainOptions, LossRegistry)"/>, with the model family <see cref="TrainOptions.Model"/> names
    /// in <paramref name="models"/> (the built-in families and those of the assemblies it was given).
    /// </summary>
    /// <exception cref="TrainingSetupException">Anything that stops the run from starting; the message says what to do.</exception>
    public static Trainer Create(TrainOptions options, LossRegistry losses, ModelRegistry models)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(models);
        if (string.IsNullOrWhiteSpace(options.Model)) throw new TrainingSetupException("TrainOptions.Model is required: one of " +
            $"{string.Join(", ", models.Names)}.");
        IModelFamily family;
        try { family = models.Get(options.Model); }
        catch (ArgumentException e) { throw new TrainingSetupException(e.Message, e); }
        return Create(options, losses, family);
    }

    /// <summary>
    /// As <see cref="Create(TrainOptions, LossRegistry)"/>, with the networks of <paramref name="family"/> (e.g. a
    /// family found in a user's assembly by <c>gan train --assembly</c>); null for the built-in family
    /// <see cref="TrainOptions.Model"/> names.
    /// </summary>
    /// <exception cref="TrainingSetupException">Anything that stops the run from starting; the message says what to do.</exception>
    public static Trainer Create(TrainOptions options, LossRegistry registry, IModelFamily? family)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(registry);
        if (string.IsNullOrWhiteSpace(options.Loss)) throw new TrainingSetupException("TrainOptions.Loss is required (a name of the LossRegistry).");
        if (options.Problems() is { Count: > 0 } problems) throw new TrainingSetupException(problems[0]);
        if (!registry.Contains(options.Loss))
            throw new TrainingSetupException(registry.Missing(options.Loss));
        IGanLoss loss;
        try { loss = registry.Create(options.Loss); }
        catch (Exception e) when (e is not (OutOfMemoryException or UserCodeException))
        {
            throw new TrainingSetupException($"Loss '{options.Loss}' could not be created: {(e.InnerException ?? e).Message}", e);
        }
        if (family is null)
        {
            if (string.IsNullOrWhiteSpace(options.Model)) throw new TrainingSetupException("TrainOptions.Model is required: one of " +
                $"{string.Join(", ", ModelFactory.Names)}.");
            try { family = ModelFactory.Get(options.Model); }
            catch (ArgumentException e) { throw new TrainingSetupException(e.Message, e); }
        }
        return Create(loss, family, options);
    }

    /// <summary>
    /// Sets up a run of <paramref name="loss"/> (a zoo loss or your own) with networks from
    /// <paramref name="family"/> (a built-in family, or your own TorchSharp modules through
    /// <see cref="ModelFamily"/>.Custom) on <paramref name="dataset"/> (or the dataset <see cref="TrainOptions.Data"/>
    /// names). Checks every option, loads the data and (with <see cref="TrainOptions.Resume"/>) the checkpoint,
    /// seeds libtorch, sets its thread count and builds the networks and optimizers. Writes nothing.
    /// </summary>
    /// <exception cref="TrainingSetupException">Anything that stops the run from starting; the message says what to do.</exception>
    public static Trainer Create(IGanLoss loss, IModelFamily family, TrainOptions options, IDataset? dataset = null)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(family);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Problems(needsData: dataset is null) is { Count: > 0 } problems) throw new TrainingSetupException(problems[0]);
        var info = loss.Info;

        // Names first (cheap), files after: a typo is reported before a large file is read.
        foreach (var (name, _) in options.Hyperparameters)
            if (!loss.Hyper.Names.Contains(name))
                throw new TrainingSetupException(
                    $"Loss '{info.Name}' has no hyperparameter '{name}'" +
                    (loss.Hyper.Names.Any() ? $"; it has: {string.Join(", ", loss.Hyper.Names)}." : " (it has none)."));

        // Before anything can run a matrix product: MKL keeps the answer it gets first.
        if (options.MklFastPath is { } fastPath && !MklFastPath.TrySetEnabled(fastPath) && MklFastPath.IsLoaded)
            throw new TrainingSetupException(
                $"MklFastPath={fastPath} cannot take effect: MKL chose its kernels at an earlier matrix product in this process. " +
                $"Set {MklFastPath.Variable}={(fastPath ? "on" : "off")} in the environment before the process starts.");
        Libtorch.Configure(options.Threads);
        var device = ParseDevice(options.Device);
        CheckOptimizerOptions(options, info);
        foreach (var clip in info.Clipping)
        {
            if (info.Networks.All(n => n.Name != clip.Network))
                throw new TrainingSetupException($"Loss '{info.Name}' clips network '{clip.Network}', which it does not declare.");
            if (!(clip.Min <= clip.Max) || double.IsNaN(clip.Min) || double.IsNaN(clip.Max))
                throw new TrainingSetupException($"Loss '{info.Name}' clips network '{clip.Network}' to [{clip.Min}, {clip.Max}], which is empty.");
        }
        NetworkInfo sampleNetwork;
        try { sampleNetwork = ModelFactory.SampleNetwork(info.Networks); }
        catch (ArgumentException e) { throw new TrainingSetupException($"Loss '{info.Name}' cannot be trained: {e.Message}", e); }

        if (dataset is null)
        {
            try { dataset = Datasets.Create(options.Data, options.FashionMnistPath, options.Labels); }
            catch (ArgumentException e) { throw new TrainingSetupException(e.Message, e); }
            catch (IOException e) { throw new TrainingSetupException(e.Message, e); }
        }
        else if (options.Labels is not null)
            throw new TrainingSetupException("TrainOptions.Labels labels the .npy file of TrainOptions.Data, but the data is given as " +
                $"'{dataset.Name}': pass its labels with it (UserData.FromTensor(x, y)) and leave TrainOptions.Labels out.");
        CheckLabels(info, dataset, options);
        if (CallUser(family, nameof(IModelFamily.CheckSampleShape), () => family.CheckSampleShape(dataset.SampleShape)) is { } shapeProblem)
            throw new TrainingSetupException(shapeProblem);

        var batchSize = options.BatchSize ?? CallUser(family, nameof(IModelFamily.DefaultBatchSize), () => family.DefaultBatchSize);
        if (batchSize <= 0)
            throw new TrainingSetupException($"Model family '{family.Name}' ({family.GetType().FullName}) gives a default batch size of {batchSize}; " +
                "set TrainOptions.BatchSize.");
        if (dataset.Count is { } count && batchSize > count)
            throw new TrainingSetupException($"TrainOptions.BatchSize {batchSize} exceeds the {count} samples of '{dataset.Name}'. Use a smaller batch.");
        var sampleValues = dataset.SampleShape.Aggregate(1L, (a, b) => a * b);
        if ((long)batchSize * sampleValues > Array.MaxLength)
            throw new TrainingSetupException($"TrainOptions.BatchSize {batchSize}: a batch of {batchSize} samples of {sampleValues} values each does " +
                $"not fit in memory (at most {Array.MaxLength / Math.Max(1, sampleValues)} samples). Use a smaller batch.");

        var dataKey = string.IsNullOrWhiteSpace(options.Data) ? dataset.Name : DataKey(options.Data);
        var checkpointPath = Path.Combine(Path.GetFullPath(options.OutputDirectory), CheckpointFile.FileName);
        LoadedCheckpoint? checkpoint = null;
        if (options.Resume)
        {
            if (!File.Exists(checkpointPath))
                throw new TrainingSetupException($"TrainOptions.Resume: there is no checkpoint at '{checkpointPath}'. Start without " +
                    "TrainOptions.Resume, or give the TrainOptions.OutputDirectory of the run to continue.");
            try { checkpoint = CheckpointFile.Load(checkpointPath); }
            catch (CheckpointException e) { throw new TrainingSetupException(e.Message, e); }
            CheckMatches(checkpoint, options, info, family, dataset, dataKey, batchSize);
        }

        // Checkpoint values first, then the command line's explicit overrides on top.
        try
        {
            if (checkpoint is not null)
                foreach (var (name, value) in checkpoint.Metadata.Hyperparameters) loss.Hyper.Set(name, value);
            foreach (var (name, value) in options.Hyperparameters) loss.Hyper.Set(name, value);
        }
        catch (ArgumentException e) { throw new TrainingSetupException(e.Message, e); }

        var threads = torch.get_num_threads();
        torch.manual_seed(options.Seed);

        Dictionary<string, nn.Module> networks;
        try { networks = ModelFactory.BuildAll(family, info.Networks, dataset.SampleShape, ClassCountOf(dataset)); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or InvalidOperationException)
        {
            throw new TrainingSetupException(e.Message, e);
        }
        catch (Exception e) when (UserCodeException.IsFenced(e))
        {
            throw UserCodeException.Threw(family.GetType(), nameof(IModelFamily.Build), e);
        }
        if (networks.FirstOrDefault(n => n.Value is null).Key is { } nullNetwork)
        {
            foreach (var m in networks.Values) m?.Dispose();
            throw new UserCodeException(family.GetType(), nameof(IModelFamily.Build), $"returned null for network '{nullNetwork}'; it must return a module.");
        }
        Trainer? trainer = null;
        try
        {
            if (options.InitFrom is { } initFrom) Interop.PyTorchWeights.LoadFolder(networks, initFrom);
            foreach (var m in networks.Values) m.to(device);
            DryRun(info, networks, family, dataset, device);
            trainer = new Trainer(options, loss, family, dataset, device, batchSize, threads, networks, sampleNetwork, dataKey);
            if (checkpoint is not null) trainer.Restore(checkpoint);
            trainer.JoinDataParallel(); // [data-parallel] under mpirun/srun: joins the ranks (docs/distributed.md)
            return trainer;
        }
        catch (Exception e) when (e is CheckpointException or ArgumentException or Formats.TensorFileException)
        {
            Cleanup();
            throw new TrainingSetupException(e.Message, e);
        }
        catch
        {
            Cleanup();
            throw;
        }

        void Cleanup()
        {
            if (trainer is not null) trainer.Dispose();
            else foreach (var m in networks.Values) m.Dispose();
        }
    }

    /// <summary>
    /// One small batch through every network before step 1 (<see cref="NetworkCheck"/>), so a network that does not
    /// fit the data, the noise or the loss is named now rather than failing inside libtorch at step 1.
    /// </summary>
    /// <exception cref="ArgumentException">A network that does not fit, named with its role, type, input and shapes.</exception>
    private static void DryRun(LossInfo info, Dictionary<string, nn.Module> networks, IModelFamily family, IDataset dataset, Device device)
    {
        var noise = CallUser(family, nameof(IModelFamily.NoiseShape), () => family.NoiseShape)?.ToArray()
            ?? throw new UserCodeException(family.GetType(), nameof(IModelFamily.NoiseShape), "returned null; it gives one noise sample's shape, e.g. [64].");
        // The trainer's batches are float32 (its data path), and so is its noise.
        NetworkCheck.Run(info, networks, dataset.SampleShape.ToArray(), ScalarType.Float32, noise, ScalarType.Float32, device,
            $"the data '{dataset.Name}'", $"the noise of model family '{family.Name}'", ClassCountOf(dataset));
    }

    /// <summary>The data's number of classes K, which conditional networks are built for; 0 for unlabelled data.</summary>
    private static int ClassCountOf(IDataset dataset) => dataset is ILabelledDataset labelled ? labelled.ClassCount : 0;

    /// <summary>Calls <paramref name="member"/> of a user's <paramref name="owner"/> (a model family) inside the fence: any exception becomes a
    /// <see cref="UserCodeException"/>.</summary>
    private static T CallUser<T>(object owner, string member, Func<T> call)
    {
        try { return call(); }
        catch (Exception e) when (UserCodeException.IsFenced(e)) { throw UserCodeException.Threw(owner.GetType(), member, e); }
    }

    /// <summary>Parses <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> and checks that libtorch can use it.</summary>
    /// <exception cref="TrainingSetupException">Not a device, or CUDA is not available.</exception>
    public static Device ParseDevice(string text)
    {
        var trimmed = (text ?? "").Trim().ToLowerInvariant();
        if (trimmed == "cpu") return torch.CPU;
        if (trimmed == "cuda" || trimmed.StartsWith("cuda:", StringComparison.Ordinal))
        {
            var index = 0;
            if (trimmed.Length > 4 && !int.TryParse(trimmed[5..], out index) || index < 0)
                throw new TrainingSetupException($"TrainOptions.Device: '{text}' is not a device; use cpu, cuda or cuda:N.");
            if (!torch.cuda.is_available())
                throw new TrainingSetupException("TrainOptions.Device cuda: CUDA is not available in this libtorch build. GanDsl uses TorchSharp-cpu by " +
                    "default; build with -p:GanDslTorchBackend=cuda (TorchSharp-cuda-linux) on a machine with an NVIDIA driver.");
            if (index >= torch.cuda.device_count())
                throw new TrainingSetupException($"TrainOptions.Device {text}: libtorch sees {torch.cuda.device_count()} CUDA device(s), numbered from 0.");
            return torch.device(DeviceType.CUDA, index);
        }
        throw new TrainingSetupException($"TrainOptions.Device: '{text}' is not a device; use cpu, cuda or cuda:N.");
    }

    private static string DataKey(string data)
    {
        var trimmed = data.Trim();
        return Datasets.Names.Contains(trimmed.ToLowerInvariant()) ? trimmed.ToLowerInvariant() : Path.GetFullPath(trimmed);
    }

    /// <summary>Checks that a checkpoint belongs to this run's configuration before anything is built or loaded.</summary>
    private static void CheckMatches(LoadedCheckpoint checkpoint, TrainOptions options, LossInfo info, IModelFamily family, IDataset dataset, string dataKey,
        int batchSize)
    {
        var m = checkpoint.Metadata;
        var path = checkpoint.Path;
        string Advice(string option, string value) => $"Resume with {option} {value}, or use another TrainOptions.OutputDirectory for a new run.";
        if (m.Loss != info.Name)
            throw new TrainingSetupException($"Checkpoint '{path}' is of loss '{m.Loss}', not '{info.Name}'. {Advice("TrainOptions.Loss", m.Loss)}");
        if (!string.Equals(m.Model, family.Name, StringComparison.Ordinal))
            throw new TrainingSetupException($"Checkpoint '{path}' is of model '{m.Model}', not '{family.Name}'. {Advice("TrainOptions.Model", m.Model)}");
        if (m.Data != dataKey)
            throw new TrainingSetupException($"Checkpoint '{path}' was trained on '{m.Data}', not '{dataKey}'. {Advice("TrainOptions.Data", m.Data)}");
        if (!m.SampleShape.SequenceEqual(dataset.SampleShape))
            throw new TrainingSetupException($"Checkpoint '{path}' has samples of shape [{string.Join(", ", m.SampleShape)}], the data has " +
                $"[{string.Join(", ", dataset.SampleShape)}].");
        if (m.BatchSize != batchSize)
            throw new TrainingSetupException($"Checkpoint '{path}' was trained with batch size {m.BatchSize}, not {batchSize}. " +
                $"{Advice("TrainOptions.BatchSize", m.BatchSize.ToString())}");
        if (m.Seed != options.Seed)
            throw new TrainingSetupException($"Checkpoint '{path}' was trained with seed {m.Seed}, not {options.Seed}: a resumed run continues the " +
                $"checkpoint's random streams, so another seed would not take effect. " +
                $"{Advice("TrainOptions.Seed", m.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
        if (m.EmaDecay != options.Ema)
            throw new TrainingSetupException($"Checkpoint '{path}' was trained " +
                $"{(m.EmaDecay is { } e ? $"with TrainOptions.Ema {e}" : "without TrainOptions.Ema")}; resume with the same setting.");
        var declared = info.Networks.Select(n => (n.Name, n.Role, n.Output));
        if (!m.Networks.Select(n => (n.Name, n.Role, n.Output)).SequenceEqual(declared))
            throw new TrainingSetupException($"Checkpoint '{path}' has networks {string.Join(", ", m.Networks.Select(n => n.Name))}, but loss " +
                $"'{info.Name}' declares {string.Join(", ", info.Networks.Select(n => n.Name))}: " +
                "it was written by another version of the loss. Start a new run.");
        var stateNames = info.States.Select(s => s.Name).OrderBy(s => s, StringComparer.Ordinal);
        if (!m.State.Keys.OrderBy(s => s, StringComparer.Ordinal).SequenceEqual(stateNames))
            throw new TrainingSetupException($"Checkpoint '{path}' has loss state {{{string.Join(", ", m.State.Keys)}}}, but loss '{info.Name}' " +
                $"declares {{{string.Join(", ", info.States.Select(s => s.Name))}}}. Start a new run.");
        if (m.Step > options.Steps)
            throw new TrainingSetupException($"Checkpoint '{path}' is at step {m.Step}, beyond TrainOptions.Steps {options.Steps}. Give a larger " +
                "TrainOptions.Steps to continue.");
    }
}
