using System.Diagnostics;
using System.Runtime.InteropServices;
using GanDsl.Data;
using GanDsl.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GanDsl.Training;

/// <summary>
/// Trains a loss as it declares itself (<see cref="LossInfo"/>): per generator step, <c>CriticSteps</c>
/// critic steps (each followed by the loss's weight clipping), then one generator step; the loss's own
/// state updates run inside its step methods, <see cref="IGanLoss.EndOfEpoch"/> after each pass over finite
/// data. One <c>torch.optim</c> optimizer per network: critic-role networks are stepped after a critic step,
/// generator-role ones after a generator step. The networks are any TorchSharp modules: a built-in family's
/// (<see cref="ModelFactory"/>) or the user's own (<see cref="ModelFamily"/>.Custom).
/// </summary>
/// <remarks>
/// <para>
/// The class is split by job: setup and validation (Trainer.Setup.cs), the loop (this file), the divergence
/// guard (Trainer.Guard.cs), checkpoints (Trainer.Checkpoints.cs) and outputs (TrainerOutputs.cs).
/// </para>
/// <para>
/// Reproducibility: the global libtorch generator (seeded with the run's seed) draws only the initial
/// weights; the loop draws from its own streams (noise, the loss's <see cref="IStepRandom"/>, the data
/// sampler), all derived from the seed and all saved in checkpoints, so a seeded run on the CPU with the same
/// thread count is bit-identical, and a resumed run continues exactly where the uninterrupted one would be.
/// Sampling for pictures uses yet other streams and evaluation mode, so it never perturbs training.
/// </para>
/// <para>
/// Every step runs inside a TorchSharp dispose scope, so its intermediates are freed when it ends. A real batch,
/// loss, term or gradient that is not finite stops the run at the next point where the trainer reads the device
/// (Trainer.Guard.cs: no synchronisation per step), with a message naming the step and the part; nothing is
/// written from a later state, and the last checkpoint written stays as it was.
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
    private readonly Dictionary<string, nn.Module> _networks;
    private readonly List<NamedOptimizer> _criticOptimizers = new();
    private readonly List<NamedOptimizer> _generatorOptimizers = new();
    private readonly ExponentialMovingAverage? _ema;
    private readonly Generator _noiseGenerator;
    private readonly Generator _lossGenerator;
    private readonly GeneratorStepRandom _stepRandom;
    private readonly IBatchSampler _sampler;
    private readonly string _dataKey;
    private readonly FiniteGuard _guard;
    private long _step;
    private double _elapsedBeforeResume;
    private bool _disposed;

    /// <summary>The settings an optimizer was built with (for config.json and checkpoints).</summary>
    private sealed record OptimizerSettings(string Kind, double LearningRate, double Beta1, double Beta2, double Alpha);

    private sealed record NamedOptimizer(string Network, OptimizerSettings Settings, optim.Optimizer Optimizer,
        (string Name, Parameter Parameter)[] Parameters);

    private Trainer(TrainOptions options, IGanLoss loss, IModelFamily family, IDataset dataset, Device device, int batchSize, int threads,
        Dictionary<string, nn.Module> networks, NetworkInfo sampleNetwork, string dataKey)
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
            var named = module.named_parameters().Select(p => (p.name, p.parameter)).ToArray();
            if (named.Length == 0) continue;
            var settings = OptimizerFor(info);
            var optimizer = settings.Kind == "rmsprop"
                ? (optim.Optimizer)optim.RMSProp(named.Select(p => p.parameter), settings.LearningRate, alpha: settings.Alpha)
                : optim.Adam(named.Select(p => p.parameter), settings.LearningRate, settings.Beta1, settings.Beta2);
            (info.Role == NetworkRole.Critic ? _criticOptimizers : _generatorOptimizers).Add(new NamedOptimizer(info.Name, settings, optimizer, named));
        }

        // Built after every trained network, so the global generator draws the same initial weights with or without EMA.
        if (options.Ema is { } decay)
        {
            var copy = CallUser(family, nameof(IModelFamily.Build), () => family.Build(sampleNetwork, dataset.SampleShape, ClassCountOf(dataset)));
            copy.to(device);
            _ema = new ExponentialMovingAverage(networks[sampleNetwork.Name], copy, decay);
        }

        _noiseGenerator = NewGenerator(Xoshiro256.DeriveSeed(seed, NoiseStream), device);
        _lossGenerator = NewGenerator(Xoshiro256.DeriveSeed(seed, LossStream), device);
        _stepRandom = new GeneratorStepRandom(_lossGenerator);
        _sampler = dataset.CreateSampler(batchSize, Xoshiro256.DeriveSeed(seed, DataStream));
        _guard = new FiniteGuard(device);
        PrepareLabels(); // conditional losses: labels with the batches, yz with the noise (Trainer.Labels.cs)
    }

    /// <summary>A libtorch random generator on <paramref name="device"/> (CUDA draws need a CUDA generator).</summary>
    private static Generator NewGenerator(ulong seed, Device device) => new(seed, device);

    /// <summary>The loss being trained (its hyperparameters and state are live).</summary>
    public IGanLoss Loss => _loss;

    /// <summary>
    /// Every network by the name the loss gives it: an <c>nn.Module&lt;Tensor, Tensor&gt;</c>, or an
    /// <c>nn.Module&lt;Tensor, Tensor, Tensor&gt;</c> (batch, labels) for a network the loss calls with labels.
    /// </summary>
    public IReadOnlyDictionary<string, nn.Module> Networks => _networks;

    /// <summary>The network whose outputs are samples (<see cref="Sampling.Generate"/> draws from it).</summary>
    public nn.Module SampleNetwork => _networks[_sampleNetwork.Name];

    /// <summary>The EMA copy of the sample network, when the run keeps one.</summary>
    public nn.Module? AverageNetwork => _ema?.Average;

    /// <summary>Generator steps completed so far (including those before a resume).</summary>
    public long Step => _step;

    /// <summary>Samples per batch.</summary>
    public int BatchSize => _batchSize;

    /// <summary>Intra-op threads libtorch uses for this run.</summary>
    public int Threads => _threads;

    /// <summary>The device the networks and batches live on.</summary>
    public Device Device => _device;

    /// <summary>The dataset the run draws from.</summary>
    public IDataset Dataset => _dataset;

    /// <summary>The model family.</summary>
    public IModelFamily Family => _family;

    /// <summary>The output folder (full path).</summary>
    public string OutputDirectory => Path.GetFullPath(_options.OutputDirectory);

    /// <summary>The checkpoint file this run writes (and resumes from).</summary>
    public string CheckpointPath => Path.Combine(OutputDirectory, CheckpointFile.FileName);

    /// <summary>
    /// Raised after every critic and generator step (after the optimizer update and clipping): for tests and
    /// monitors. Reading the result's values synchronises with the device; the result is disposed after the handlers run.
    /// </summary>
    public event Action<StepEvent>? StepCompleted;

    /// <summary>
    /// Raised while <see cref="Run"/> trains: at most about four times a second, at every tenth of the run and once
    /// when it ends (<see cref="TrainingProgress.IsFinal"/>). The losses it carries are read from the device only for
    /// these reports, so a display costs no synchronisation per step. <see cref="ProgressReporter"/> prints them.
    /// </summary>
    public event Action<TrainingProgress>? Progress;

    /// <summary>Minimum time between two <see cref="Progress"/> reports (tenths of the run and the end are always reported).</summary>
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    // ------------------------------------------------------------ the loop

    /// <summary>
    /// Trains until <see cref="TrainOptions.Steps"/> generator steps are done, <paramref name="cancel"/> is
    /// signalled (the current step finishes, a checkpoint is written) or a value stops being finite. Writes the
    /// output folder as it goes: config.json, metrics.csv, sample pictures, checkpoint.bin, tensorboard/, and at the end
    /// samples.npy, samples.png and losses.png.
    /// </summary>
    /// <param name="cancel">Stops the run after the current generator step.</param>
    /// <param name="progress">
    /// Also receives every <see cref="Progress"/> report, synchronously on the training thread: e.g.
    /// <c>ProgressReporter.Console()</c> for a progress line on stderr; null: that line when stderr is a terminal, nothing
    /// when it is redirected; <see cref="ProgressReporter.Silent"/> for nothing at all.
    /// </param>
    public TrainResult Run(CancellationToken cancel = default, IProgress<TrainingProgress>? progress = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        progress ??= ProgressReporter.Default(stderrIsTerminal: !Console.IsErrorRedirected);
        if (IsWriter) // [data-parallel] rank 0 alone writes the outputs
        {
            Directory.CreateDirectory(OutputDirectory);
            CheckpointFile.RemoveStaleTemporaryFiles(OutputDirectory);
            WriteConfig();
            _tensorBoard = new TensorBoardLog(OutputDirectory);
        }
        torch.set_num_threads(_threads);

        var startStep = _step;
        var clock = Stopwatch.StartNew();
        TimeSpan? lastReport = null;
        var tenth = Math.Max(1, (_options.Steps - startStep) / 10);
        void Report(double? d, double? g, bool final)
        {
            lastReport = clock.Elapsed;
            var report = new TrainingProgress(_step, startStep, _options.Steps, clock.Elapsed, d, g, final);
            Progress?.Invoke(report);
            progress?.Report(report);
        }
        double Elapsed() => _elapsedBeforeResume + clock.Elapsed.TotalSeconds;
        using var pictures = new PictureSampler(this);
        MetricsLog? metrics = null;
        StepResult? lastCritic = null, lastGenerator = null;
        try
        {
            if (_step == 0 && _options.SampleEvery > 0) pictures.Write(_step);
            foreach (var m in _networks.Values) m.train();
            while (_step < _options.Steps)
            {
                if (StopRequested(cancel)) // [data-parallel] every rank stops at the same step
                {
                    CheckGuard();
                    SaveCheckpoint(Elapsed());
                    FinishDataParallel(clock.Elapsed.TotalSeconds, _step - startStep); // [data-parallel]
                    Report(null, null, final: true);
                    return new TrainResult(TrainOutcome.Interrupted, _step);
                }
                if (_loss.Info.HasCritic)
                    for (var k = 0; k < _loss.Info.CriticSteps; k++) Replace(ref lastCritic, RunStep(StepPhase.Critic, k));
                Replace(ref lastGenerator, RunStep(StepPhase.Generator, 0));
                _ema?.Update();
                _step++;

                // Loss values are read from the device only here, at logging steps.
                var logging = _step % _options.LogEvery == 0 || _step == _options.Steps;
                var picture = _options.SampleEvery > 0 && _step % _options.SampleEvery == 0;
                var checkpoint = _options.CheckpointEvery > 0 && _step % _options.CheckpointEvery == 0;
                // Cheap checks first: the losses are read (a device synchronisation) only when a report is due.
                var last = _step == _options.Steps;
                var report = (Progress is not null || progress is not null)
                    && (last || (_step - startStep) % tenth == 0 || lastReport is not { } previous || clock.Elapsed - previous >= ProgressInterval);
                // The divergence guard's record is read with the rest, before anything is written from this state. Under
                // data parallelism every rank reads it every step: a read timed by one rank's clock (report) would let
                // that rank stop alone while the others wait in the next all-reduce.
                if (logging || picture || checkpoint || report || _parallel is not null) CheckGuard();
                logging &= IsWriter; // [data-parallel] rank 0 alone writes the metrics
                if (logging)
                {
                    metrics ??= new MetricsLog(Path.Combine(OutputDirectory, "metrics.csv"), _loss, lastCritic, lastGenerator!, append: _options.Resume,
                        keepUpTo: startStep, _tensorBoard);
                    metrics.Write(_step, lastCritic, lastGenerator!, _loss.State, Elapsed());
                }
                if (picture) pictures.Write(_step);
                if (checkpoint) SaveCheckpoint(Elapsed());
                if (report) Report(lastCritic?.Loss, lastGenerator!.Loss, final: last);
            }
            CheckGuard();
            SaveCheckpoint(Elapsed());
            metrics?.Dispose();
            metrics = null;
            WriteFinalOutputs(pictures);
            FinishDataParallel(clock.Elapsed.TotalSeconds, _step - startStep); // [data-parallel]
            return new TrainResult(TrainOutcome.Completed, _step);
        }
        catch (NonFiniteException e)
        {
            Report(null, null, final: true);
            return new TrainResult(TrainOutcome.Diverged, e.LastGoodStep, e.Message);
        }
        finally
        {
            metrics?.Dispose();
            lastCritic?.Dispose();
            lastGenerator?.Dispose();
        }
    }

    private static void Replace(ref StepResult? slot, StepResult next)
    {
        slot?.Dispose();
        slot = next;
    }

    /// <summary>One critic or generator step in its own dispose scope; the result's scalars outlive it.</summary>
    private StepResult RunStep(StepPhase phase, int criticIndex)
    {
        using var scope = torch.NewDisposeScope();
        var epoch = _sampler.Epoch;
        // [data-parallel] LocalRows, StepRandom: each rank's slice of the global batch and of the draws for it.
        Tensor real;
        Tensor? realLabels;
        try { (real, realLabels) = DrawRealBatch(); }   // with its labels y when the loss uses labels (Trainer.Labels.cs)
        catch (Exception e) when (UserCodeException.IsFenced(e))
        {
            throw UserCodeException.Threw(_sampler.GetType(), _labels is null ? nameof(IBatchSampler.NextTensor) : nameof(ILabelledBatchSampler.NextLabelled),
                e, $"{Where(phase, criticIndex)}, drawing a batch of the data '{_dataset.Name}'");
        }
        var epochEnded = _sampler.Epoch > epoch;
        var noise = LocalRows(torch.randn(_noiseShape, ScalarType.Float32, _device, generator: _noiseGenerator));
        var noiseLabels = DrawNoiseLabels();   // yz, right after the noise; null (nothing drawn) for a loss without labels
        var context = new StepContext(real, noise, _networks, StepRandom,
            () => LocalRows(torch.randn(_noiseShape, ScalarType.Float32, _device, generator: _noiseGenerator)))
        {
            ShareForwardPasses = _options.ShareForwardPasses, CheckedAtSetup = true,
            RealLabels = realLabels, NoiseLabels = noiseLabels, ClassCount = StepClassCount,
        };

        var optimizers = phase == StepPhase.Critic ? _criticOptimizers : _generatorOptimizers;
        foreach (var o in _criticOptimizers) o.Optimizer.zero_grad();
        foreach (var o in _generatorOptimizers) o.Optimizer.zero_grad();
        StepResult? result;
        var member = phase == StepPhase.Critic ? nameof(IGanLoss.DiscriminatorStep) : nameof(IGanLoss.GeneratorStep);
        try
        {
            result = phase == StepPhase.Critic ? _loss.DiscriminatorStep(context) : _loss.GeneratorStep(context);
        }
        catch (ExternalException e)
        {
            throw new TrainingStepException($"{Where(phase, criticIndex)}: {e.Message}", e);
        }
        catch (Exception e) when (UserCodeException.IsFenced(e))
        {
            throw UserCodeException.Threw(_loss.GetType(), member, e, Where(phase, criticIndex));
        }
        if (result is null) throw new UserCodeException(_loss.GetType(), member,
            $"returned null at {Where(phase, criticIndex)}; a step returns the StepResult of its loss.");
        result.MoveToOuterDisposeScope();
        result = AverageOverRanks(result, optimizers); // [data-parallel] gradients, losses and state averaged over ranks

        GuardStep(result, phase, criticIndex, real, optimizers);
        foreach (var o in optimizers) o.Optimizer.step();
        if (phase == StepPhase.Critic) ClipWeights();
        if (epochEnded)
        {
            try { _loss.EndOfEpoch(context); }
            catch (Exception e) when (UserCodeException.IsFenced(e))
            {
                throw UserCodeException.Threw(_loss.GetType(), nameof(IGanLoss.EndOfEpoch), e, Where(phase, criticIndex));
            }
        }
        StepCompleted?.Invoke(new StepEvent(_step, phase, criticIndex, result));
        return result;
    }

    private string Where(StepPhase phase, int criticIndex) => phase == StepPhase.Critic
        ? $"generator step {_step + 1}, critic step {criticIndex + 1} of {_loss.Info.CriticSteps}"
        : $"generator step {_step + 1}";

    /// <summary>Clamps every parameter of each clipped network into its range (WGAN; RWGAN's asymmetric range).</summary>
    private void ClipWeights()
    {
        if (_loss.Info.Clipping.Count == 0) return;
        using var noGrad = torch.no_grad();
        foreach (var clip in _loss.Info.Clipping)
            foreach (var p in _networks[clip.Network].parameters())
                p.clamp_(clip.Min, clip.Max);
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
        _labels?.Probabilities.Dispose();
        _guard.Dispose();
    }
}
