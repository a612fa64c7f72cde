using System.Diagnostics;
using GanDsl.Data;
using GanDsl.Models;
using GanDsl.Nn;
using GanDsl.Optim;
using GanDsl.Torch;

namespace GanDsl.Training;

/// <summary>
/// Trains a loss as it declares itself (<see cref="LossInfo"/>): per generator step, <c>CriticSteps</c>
/// critic steps (each followed by the loss's weight clipping), then one generator step; the loss's own
/// state updates run inside its step methods, <see cref="IGanLoss.EndOfEpoch"/> after each pass over finite
/// data. One optimizer per network: critic-role networks are stepped after a critic step, generator-role
/// ones after a generator step.
/// </summary>
/// <remarks>
/// <para>
/// Reproducibility: the global libtorch generator (seeded with the run's seed) draws only the initial
/// weights; the loop draws from its own streams (noise, the loss's <see cref="IStepRandom"/>, the data
/// sampler), all derived from the seed and all saved in checkpoints, so a seeded run on the CPU with the same
/// thread count is bit-identical, and a resumed run continues exactly where the uninterrupted one would be.
/// Sampling for pictures uses yet other streams and evaluation mode, so it never perturbs training.
/// </para>
/// <para>
/// Every step runs inside a <see cref="Torch.Torch.NewScope"/>, so its intermediates are freed when it ends.
/// A loss or gradient that is not finite stops the run before the optimizer applies it, with a message
/// naming the step and the term; the last checkpoint written stays as it was.
/// </para>
/// <para>
/// <see cref="Create"/> checks everything (options, names, files, a checkpoint to resume) and writes nothing;
/// <see cref="Run"/> writes the output folder.
/// </para>
/// </remarks>
public sealed partial class Trainer : IDisposable
{
    // Stream numbers for Xoshiro256.DeriveSeed(seed, stream): one independent stream per use.
    private const ulong DataStream = 1, NoiseStream = 2, LossStream = 3, PictureNoiseStream = 4, FinalNoiseStream = 5, PictureDataStream = 6;

    private readonly TrainOptions _options;
    private readonly IGanLoss _loss;
    private readonly IModelFamily _family;
    private readonly IDataset _dataset;
    private readonly Device _device;
    private readonly int _batchSize;
    private readonly int _threads;
    private readonly long[] _noiseShape;
    private readonly NetworkInfo _sampleNetwork;
    private readonly Dictionary<string, Module> _networks;
    private readonly List<NamedOptimizer> _criticOptimizers = new();
    private readonly List<NamedOptimizer> _generatorOptimizers = new();
    private readonly ExponentialMovingAverage? _ema;
    private readonly Generator _noiseGenerator;
    private readonly Generator _lossGenerator;
    private readonly GeneratorStepRandom _stepRandom;
    private readonly IBatchSampler _sampler;
    private readonly float[] _batchBuffer;
    private readonly string _dataKey;
    private long _step;
    private double _elapsedBeforeResume;
    private bool _disposed;

    private sealed record NamedOptimizer(string Network, string Kind, Optimizer Optimizer, (string Name, Tensor Parameter)[] Parameters);

    private Trainer(TrainOptions options, IGanLoss loss, IModelFamily family, IDataset dataset, Device device, int batchSize, int threads,
        Dictionary<string, Module> networks, NetworkInfo sampleNetwork, string dataKey)
    {
        _options = options;
        _loss = loss;
        _family = family;
        _dataset = dataset;
        _device = device;
        _batchSize = batchSize;
        _threads = threads;
        _networks = networks;
        _sampleNetwork = sampleNetwork;
        _dataKey = dataKey;
        _noiseShape = [batchSize, .. family.NoiseShape];
        var seed = unchecked((ulong)options.Seed);

        foreach (var info in loss.Info.Networks)
        {
            var module = networks[info.Name];
            var named = module.NamedParameters().ToArray();
            if (named.Length == 0) continue;
            var (kind, optimizer) = CreateOptimizer(info, named.Select(p => p.Parameter));
            (info.Role == NetworkRole.Critic ? _criticOptimizers : _generatorOptimizers).Add(new NamedOptimizer(info.Name, kind, optimizer, named));
        }

        // Built after every trained network, so the global generator draws the same initial weights with or without EMA.
        if (options.Ema is { } decay)
        {
            var copy = family.Build(sampleNetwork, dataset.SampleShape);
            copy.To(device);
            _ema = new ExponentialMovingAverage(networks[sampleNetwork.Name], copy, decay);
        }

        _noiseGenerator = new Generator(unchecked((long)Xoshiro256.DeriveSeed(seed, NoiseStream)));
        _lossGenerator = new Generator(unchecked((long)Xoshiro256.DeriveSeed(seed, LossStream)));
        _stepRandom = new GeneratorStepRandom(_lossGenerator);
        _sampler = dataset.CreateSampler(batchSize, Xoshiro256.DeriveSeed(seed, DataStream));
        _batchBuffer = new float[_sampler.BatchShape.Aggregate(1L, (a, b) => a * b)];
    }

    /// <summary>The loss being trained (its hyperparameters and state are live).</summary>
    public IGanLoss Loss => _loss;

    /// <summary>Every network by the name the loss gives it.</summary>
    public IReadOnlyDictionary<string, Module> Networks => _networks;

    /// <summary>The network whose outputs are samples.</summary>
    public Module SampleNetwork => _networks[_sampleNetwork.Name];

    /// <summary>Generator steps completed so far (including those before a resume).</summary>
    public long Step => _step;

    /// <summary>Samples per batch.</summary>
    public int BatchSize => _batchSize;

    /// <summary>The dataset the run draws from.</summary>
    public IDataset Dataset => _dataset;

    /// <summary>The model family.</summary>
    public IModelFamily Family => _family;

    /// <summary>The output folder (full path).</summary>
    public string OutputDirectory => Path.GetFullPath(_options.OutputDirectory);

    /// <summary>The checkpoint file this run writes (and resumes from).</summary>
    public string CheckpointPath => Path.Combine(OutputDirectory, CheckpointFile.FileName);

    /// <summary>Raised after every critic and generator step (after the optimizer update and clipping): for tests and monitors.</summary>
    public event Action<StepEvent>? StepCompleted;

    /// <summary>
    /// Checks the options, looks up the loss in <paramref name="registry"/>, loads the data and (with
    /// <see cref="TrainOptions.Resume"/>) the checkpoint, seeds libtorch, sets its thread count and builds the
    /// networks and optimizers. Writes nothing.
    /// </summary>
    /// <exception cref="TrainingSetupException">Anything that stops the run from starting; the message says what to do.</exception>
    public static Trainer Create(TrainOptions options, LossRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(registry);
        if (options.Problems() is { Count: > 0 } problems) throw new TrainingSetupException(problems[0]);

        if (!registry.Contains(options.Loss))
            throw new TrainingSetupException($"Unknown loss '{options.Loss}'. Known losses: {(registry.Names.Count == 0 ? "(none registered)" : string.Join(", ", registry.Names))}. See `gan list`.");
        var loss = registry.Create(options.Loss);
        var info = loss.Info;

        // Names first (cheap), files after: a typo is reported before a large file is read.
        foreach (var (name, _) in options.Hyperparameters)
            if (!loss.Hyper.Names.Contains(name))
                throw new TrainingSetupException(
                    $"Loss '{info.Name}' has no hyperparameter '{name}'" +
                    (loss.Hyper.Names.Any() ? $"; it has: {string.Join(", ", loss.Hyper.Names)}." : " (it has none)."));

        IModelFamily family;
        try { family = ModelFactory.Get(options.Model); }
        catch (ArgumentException e) { throw new TrainingSetupException(e.Message, e); }

        var device = ParseDevice(options.Device);
        var optimizerKind = info.Optimizer.Kind.Trim().ToLowerInvariant();
        if (optimizerKind is not ("adam" or "rmsprop"))
            throw new TrainingSetupException($"Loss '{info.Name}' asks for optimizer '{info.Optimizer.Kind}'; the trainer knows adam and rmsprop.");
        if (options.Betas is not null && optimizerKind != "adam")
            throw new TrainingSetupException($"--betas sets Adam's betas, but loss '{info.Name}' trains with {info.Optimizer.Kind}. Leave --betas out.");
        foreach (var clip in info.Clipping)
            if (info.Networks.All(n => n.Name != clip.Network))
                throw new TrainingSetupException($"Loss '{info.Name}' clips network '{clip.Network}', which it does not declare.");
        NetworkInfo sampleNetwork;
        try { sampleNetwork = ModelFactory.SampleNetwork(info.Networks); }
        catch (ArgumentException e) { throw new TrainingSetupException($"Loss '{info.Name}' cannot be trained: {e.Message}", e); }

        IDataset dataset;
        try { dataset = Datasets.Create(options.Data, options.FashionMnistPath); }
        catch (ArgumentException e) { throw new TrainingSetupException(e.Message, e); }
        catch (IOException e) { throw new TrainingSetupException(e.Message, e); }
        if (family.CheckSampleShape(dataset.SampleShape) is { } shapeProblem) throw new TrainingSetupException(shapeProblem);

        var batchSize = options.BatchSize ?? family.DefaultBatchSize;
        if (dataset.Count is { } count && batchSize > count)
            throw new TrainingSetupException($"--batch {batchSize} exceeds the {count} samples of '{dataset.Name}'. Use a smaller batch.");

        var dataKey = DataKey(options.Data);
        var checkpointPath = Path.Combine(Path.GetFullPath(options.OutputDirectory), CheckpointFile.FileName);
        LoadedCheckpoint? checkpoint = null;
        if (options.Resume)
        {
            if (!File.Exists(checkpointPath))
                throw new TrainingSetupException($"--resume: there is no checkpoint at '{checkpointPath}'. Run without --resume to start, or give the --out folder of the run to continue.");
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

        var threads = options.Threads ?? Environment.ProcessorCount;
        Torch.Torch.SetNumThreads(threads);
        Torch.Torch.ManualSeed(options.Seed);

        Dictionary<string, Module> networks;
        try { networks = ModelFactory.BuildAll(family, info.Networks, dataset.SampleShape); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException) { throw new TrainingSetupException(e.Message, e); }
        Trainer? trainer = null;
        try
        {
            foreach (var m in networks.Values) m.To(device);
            trainer = new Trainer(options, loss, family, dataset, device, batchSize, threads, networks, sampleNetwork, dataKey);
            if (checkpoint is not null) trainer.Restore(checkpoint);
            return trainer;
        }
        catch (CheckpointException e)
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

    /// <summary>Parses <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> and checks that libtorch can use it.</summary>
    /// <exception cref="TrainingSetupException">Not a device, or CUDA is not available.</exception>
    public static Device ParseDevice(string text)
    {
        Device device;
        try { device = Device.Parse(text); }
        catch (FormatException e) { throw new TrainingSetupException($"--device: {e.Message}", e); }
        if (device.Type == DeviceType.Cuda)
        {
            if (!Torch.Torch.CudaIsAvailable) throw new TrainingSetupException("CUDA is not available in this libtorch build");
            if (device.Index >= Torch.Torch.CudaDeviceCount)
                throw new TrainingSetupException($"--device {text}: libtorch sees {Torch.Torch.CudaDeviceCount} CUDA device(s), numbered from 0.");
        }
        return device;
    }

    private static string DataKey(string data)
    {
        var trimmed = data.Trim();
        return Datasets.Names.Contains(trimmed.ToLowerInvariant()) ? trimmed.ToLowerInvariant() : Path.GetFullPath(trimmed);
    }

    private (string Kind, Optimizer Optimizer) CreateOptimizer(NetworkInfo network, IEnumerable<Tensor> parameters)
    {
        var defaults = _loss.Info.Optimizer;
        var lr = (network.Role == NetworkRole.Critic ? _options.LearningRateD : _options.LearningRateG) ?? defaults.LearningRate;
        var kind = defaults.Kind.Trim().ToLowerInvariant();
        return kind == "rmsprop"
            ? (kind, new RMSprop(parameters, lr, defaults.Alpha))
            : (kind, new Adam(parameters, lr, _options.Betas?.Beta1 ?? defaults.Beta1, _options.Betas?.Beta2 ?? defaults.Beta2));
    }

    // ------------------------------------------------------------ the loop

    /// <summary>
    /// Trains until <see cref="TrainOptions.Steps"/> generator steps are done, <paramref name="cancel"/> is
    /// signalled (the current step finishes, a checkpoint is written) or a value stops being finite. Writes the
    /// output folder as it goes: config.json, metrics.csv, sample pictures, checkpoint.bin, and at the end
    /// samples.npy, samples.png and losses.png.
    /// </summary>
    /// <param name="cancel">Stops the run after the current generator step.</param>
    /// <param name="progress">Where the progress line goes, or null for none.</param>
    public TrainResult Run(CancellationToken cancel = default, ProgressReporter? progress = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Directory.CreateDirectory(OutputDirectory);
        WriteConfig();
        Torch.Torch.SetNumThreads(_threads);

        var startStep = _step;
        var clock = Stopwatch.StartNew();
        double Elapsed() => _elapsedBeforeResume + clock.Elapsed.TotalSeconds;
        using var pictures = new PictureSampler(this);
        MetricsLog? metrics = null;
        try
        {
            if (_step == 0 && _options.SampleEvery > 0) pictures.Write(_step);
            foreach (var m in _networks.Values) m.Train();
            StepResult? lastCritic = null, lastGenerator = null;
            while (_step < _options.Steps)
            {
                if (cancel.IsCancellationRequested)
                {
                    SaveCheckpoint(Elapsed());
                    progress?.Finish();
                    return new TrainResult(TrainOutcome.Interrupted, _step);
                }
                if (_loss.Info.HasCritic)
                    for (var k = 0; k < _loss.Info.CriticSteps; k++) lastCritic = RunStep(StepPhase.Critic, k);
                lastGenerator = RunStep(StepPhase.Generator, 0);
                _ema?.Update();
                _step++;

                if (_step % _options.LogEvery == 0 || _step == _options.Steps)
                {
                    metrics ??= new MetricsLog(Path.Combine(OutputDirectory, "metrics.csv"), _loss, lastCritic, lastGenerator, append: _options.Resume, keepUpTo: startStep);
                    metrics.Write(_step, lastCritic, lastGenerator, _loss.State, Elapsed());
                }
                if (_options.SampleEvery > 0 && _step % _options.SampleEvery == 0) pictures.Write(_step);
                if (_options.CheckpointEvery > 0 && _step % _options.CheckpointEvery == 0) SaveCheckpoint(Elapsed());
                progress?.Report(_step, lastCritic?.Loss, lastGenerator.Loss);
            }
            SaveCheckpoint(Elapsed());
            progress?.Finish();
            metrics?.Dispose();
            metrics = null;
            WriteFinalOutputs(pictures);
            return new TrainResult(TrainOutcome.Completed, _step);
        }
        catch (NonFiniteException e)
        {
            progress?.Finish();
            return new TrainResult(TrainOutcome.Diverged, _step, e.Message);
        }
        finally
        {
            metrics?.Dispose();
        }
    }

    private StepResult RunStep(StepPhase phase, int criticIndex)
    {
        using var scope = Torch.Torch.NewScope();
        var epoch = _sampler.NextInto(_batchBuffer);
        var epochEnded = _sampler.Epoch > epoch;
        var real = Torch.Torch.FromArray(_batchBuffer, _sampler.BatchShape);
        if (_device != Device.Cpu) real = real.ToDevice(_device);
        var noise = Torch.Torch.Randn(_noiseShape, DType.Float32, _device, _noiseGenerator);
        var context = new StepContext(real, noise, _networks, _stepRandom,
            () => Torch.Torch.Randn(_noiseShape, DType.Float32, _device, _noiseGenerator));

        foreach (var o in _criticOptimizers) o.Optimizer.ZeroGrad();
        foreach (var o in _generatorOptimizers) o.Optimizer.ZeroGrad();
        var result = phase == StepPhase.Critic ? _loss.DiscriminatorStep(context) : _loss.GeneratorStep(context);

        var optimizers = phase == StepPhase.Critic ? _criticOptimizers : _generatorOptimizers;
        CheckFinite(result, phase, criticIndex, optimizers);
        foreach (var o in optimizers) o.Optimizer.Step();
        if (phase == StepPhase.Critic) ClipWeights();
        if (epochEnded) _loss.EndOfEpoch(context);
        StepCompleted?.Invoke(new StepEvent(_step, phase, criticIndex, result));
        return result;
    }

    /// <summary>Clamps every parameter of each clipped network into its range (WGAN; RWGAN's asymmetric range).</summary>
    private void ClipWeights()
    {
        if (_loss.Info.Clipping.Count == 0) return;
        using var noGrad = Torch.Torch.NoGrad();
        foreach (var clip in _loss.Info.Clipping)
            foreach (var p in _networks[clip.Network].Parameters())
                p.Clamp_(clip.Min, clip.Max);
    }

    private sealed class NonFiniteException(string message) : Exception(message);

    private void CheckFinite(StepResult result, StepPhase phase, int criticIndex, List<NamedOptimizer> optimizers)
    {
        var where = phase == StepPhase.Critic
            ? $"generator step {_step + 1}, critic step {criticIndex + 1} of {_loss.Info.CriticSteps}"
            : $"generator step {_step + 1}";
        var lossName = phase == StepPhase.Critic ? "discriminator loss" : "generator loss";
        if (!double.IsFinite(result.Loss))
            throw new NonFiniteException($"Stopped at {where}: the {lossName} is {result.Loss}{TermsText(result)}. The last checkpoint was kept. Try a smaller learning rate.");
        foreach (var (name, value) in result.Terms)
            if (!double.IsFinite(value))
                throw new NonFiniteException($"Stopped at {where}: term '{name}' of the {lossName} is {value}{TermsText(result)}. The last checkpoint was kept. Try a smaller learning rate.");

        // One reduction per parameter and one read-back per step: max |g| is finite exactly when every element is.
        var maxima = new List<Tensor>();
        foreach (var o in optimizers)
            foreach (var (_, p) in o.Parameters)
            {
                var g = p.Grad;
                if (g is null) continue;
                maxima.Add(g.Abs().Max());
            }
        if (maxima.Count == 0) return;
        if (double.IsFinite(Torch.Torch.Stack(maxima).Max().Item())) return;
        foreach (var o in optimizers)
            foreach (var (name, p) in o.Parameters)
            {
                var g = p.Grad;
                if (g is null) continue;
                var m = g.Abs().Max().Item();
                if (!double.IsFinite(m))
                    throw new NonFiniteException($"Stopped at {where}: the gradient of {o.Network}.{name} is not finite (the {lossName} was {result.Loss}{TermsText(result)}). The last checkpoint was kept. Try a smaller learning rate.");
            }
    }

    private static string TermsText(StepResult r) =>
        r.Terms.Count == 0 ? "" : $"; terms: {string.Join(", ", r.Terms.Select(t => $"{t.Key}={t.Value:G6}"))}";

    // ------------------------------------------------------------ checkpoints

    private void SaveCheckpoint(double elapsedSeconds)
    {
        var records = new List<TensorRecord>();
        foreach (var (name, module) in _networks) records.AddRange(ParameterFile.Records(module, $"net.{name}."));
        foreach (var o in _criticOptimizers.Concat(_generatorOptimizers))
        {
            using var state = o.Optimizer.GetState();
            records.AddRange(state.ToRecords($"optim.{o.Network}."));
        }
        if (_ema is not null) records.AddRange(ParameterFile.Records(_ema.Average, $"ema.{_sampleNetwork.Name}."));
        records.Add(CheckpointFile.BytesRecord("rng.noise", _noiseGenerator.GetState()));
        records.Add(CheckpointFile.BytesRecord("rng.step", _lossGenerator.GetState()));
        records.Add(CheckpointFile.BytesRecord("rng.data", _sampler.GetState()));
        CheckpointFile.Save(CheckpointPath, Metadata(elapsedSeconds), records);
    }

    private CheckpointMetadata Metadata(double elapsedSeconds) => new()
    {
        Loss = _loss.Info.Name,
        LossType = _loss.Info.TypeName,
        Model = _family.Name,
        Data = _dataKey,
        SampleShape = _dataset.SampleShape.ToArray(),
        NoiseShape = _family.NoiseShape.ToArray(),
        BatchSize = _batchSize,
        Step = _step,
        ElapsedSeconds = elapsedSeconds,
        Seed = _options.Seed,
        EmaDecay = _ema?.Decay,
        SampleNetwork = _sampleNetwork.Name,
        Hyperparameters = new Dictionary<string, double>(_loss.Hyper.Snapshot()),
        State = new Dictionary<string, double>(_loss.State.Snapshot()),
        Networks = _loss.Info.Networks.Select(n => new CheckpointNetwork(n.Name, n.Role, n.Output,
            _criticOptimizers.Concat(_generatorOptimizers).FirstOrDefault(o => o.Network == n.Name)?.Kind ?? "none")).ToList(),
    };

    /// <summary>Checks that a checkpoint belongs to this run's configuration before anything is built or loaded.</summary>
    private static void CheckMatches(LoadedCheckpoint checkpoint, TrainOptions options, LossInfo info, IModelFamily family, IDataset dataset, string dataKey, int batchSize)
    {
        var m = checkpoint.Metadata;
        var path = checkpoint.Path;
        string Advice(string option, string value) => $"Resume with {option} {value}, or use another --out folder for a new run.";
        if (m.Loss != info.Name)
            throw new TrainingSetupException($"Checkpoint '{path}' is of loss '{m.Loss}', not '{info.Name}'. {Advice("--loss", m.Loss)}");
        if (!string.Equals(m.Model, family.Name, StringComparison.Ordinal))
            throw new TrainingSetupException($"Checkpoint '{path}' is of model '{m.Model}', not '{family.Name}'. {Advice("--model", m.Model)}");
        if (m.Data != dataKey)
            throw new TrainingSetupException($"Checkpoint '{path}' was trained on '{m.Data}', not '{dataKey}'. {Advice("--data", m.Data)}");
        if (!m.SampleShape.SequenceEqual(dataset.SampleShape))
            throw new TrainingSetupException($"Checkpoint '{path}' has samples of shape [{string.Join(", ", m.SampleShape)}], the data has [{string.Join(", ", dataset.SampleShape)}].");
        if (m.BatchSize != batchSize)
            throw new TrainingSetupException($"Checkpoint '{path}' was trained with batch size {m.BatchSize}, not {batchSize}. {Advice("--batch", m.BatchSize.ToString())}");
        if (m.EmaDecay != options.Ema)
            throw new TrainingSetupException($"Checkpoint '{path}' was trained {(m.EmaDecay is { } e ? $"with --ema {e}" : "without --ema")}; resume with the same setting.");
        var declared = info.Networks.Select(n => (n.Name, n.Role, n.Output));
        if (!m.Networks.Select(n => (n.Name, n.Role, n.Output)).SequenceEqual(declared))
            throw new TrainingSetupException($"Checkpoint '{path}' has networks {string.Join(", ", m.Networks.Select(n => n.Name))}, but loss '{info.Name}' declares {string.Join(", ", info.Networks.Select(n => n.Name))}: it was written by another version of the loss. Start a new run.");
        var stateNames = info.States.Select(s => s.Name).OrderBy(s => s, StringComparer.Ordinal);
        if (!m.State.Keys.OrderBy(s => s, StringComparer.Ordinal).SequenceEqual(stateNames))
            throw new TrainingSetupException($"Checkpoint '{path}' has loss state {{{string.Join(", ", m.State.Keys)}}}, but loss '{info.Name}' declares {{{string.Join(", ", info.States.Select(s => s.Name))}}}. Start a new run.");
        if (m.Step > options.Steps)
            throw new TrainingSetupException($"Checkpoint '{path}' is at step {m.Step}, beyond --steps {options.Steps}. Give a larger --steps to continue.");
    }

    /// <summary>Loads a checked checkpoint into the freshly built trainer: weights, optimizers, EMA, random streams, loss state.</summary>
    private void Restore(LoadedCheckpoint checkpoint)
    {
        foreach (var (name, module) in _networks) checkpoint.LoadInto(module, $"net.{name}.");
        foreach (var o in _criticOptimizers.Concat(_generatorOptimizers))
        {
            try
            {
                using var state = OptimizerState.FromRecords(checkpoint.Records, $"optim.{o.Network}.", _device);
                o.Optimizer.SetState(state);
            }
            catch (Exception e) when (e is ArgumentException or TensorFileException)
            {
                throw new CheckpointException($"Checkpoint '{checkpoint.Path}': the optimizer state of {o.Network} does not fit ({e.Message}). Start a new run.", e);
            }
        }
        if (_ema is not null) checkpoint.LoadInto(_ema.Average, $"ema.{_sampleNetwork.Name}.");
        try
        {
            _noiseGenerator.SetState(checkpoint.Bytes("rng.noise"));
            _lossGenerator.SetState(checkpoint.Bytes("rng.step"));
            _sampler.SetState(checkpoint.Bytes("rng.data"));
        }
        catch (Exception e) when (e is ArgumentException or TorchException)
        {
            throw new CheckpointException($"Checkpoint '{checkpoint.Path}': a random state does not fit this run ({e.Message}). Start a new run.", e);
        }
        foreach (var (name, value) in checkpoint.Metadata.State) _loss.State[name] = value;
        _step = checkpoint.Metadata.Step;
        _elapsedBeforeResume = checkpoint.Metadata.ElapsedSeconds;
    }

    /// <summary>Frees the networks, optimizers, EMA copy and random generators.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var o in _criticOptimizers.Concat(_generatorOptimizers)) o.Optimizer.Dispose();
        foreach (var m in _networks.Values) m.Dispose();
        _ema?.Dispose();
        _noiseGenerator.Dispose();
        _lossGenerator.Dispose();
    }
}
