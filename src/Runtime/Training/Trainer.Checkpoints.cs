using GanDsl.Formats;
using GanDsl.Nn;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Training;

public sealed partial class Trainer
{
    private void SaveCheckpoint(double elapsedSeconds)
    {
        if (!PrepareOutputs()) return; // [data-parallel] running statistics averaged; rank 0 writes
        var records = new List<TensorRecord>();
        foreach (var (name, module) in _networks) records.AddRange(ParameterFile.Records(module, $"net.{name}."));
        foreach (var o in _criticOptimizers.Concat(_generatorOptimizers))
            records.Add(CheckpointFile.BytesRecord($"optim.{o.Network}", OptimizerBytes(o.Optimizer)));
        if (_ema is not null) records.AddRange(ParameterFile.Records(_ema.Average, $"ema.{_sampleNetwork.Name}."));
        records.Add(CheckpointFile.BytesRecord("rng.noise", GeneratorBytes(_noiseGenerator)));
        records.Add(CheckpointFile.BytesRecord("rng.step", GeneratorBytes(_lossGenerator)));
        records.Add(CheckpointFile.BytesRecord("rng.data", _sampler.GetState()));
        CheckpointFile.Save(CheckpointPath, Metadata(elapsedSeconds), records);
    }

    /// <summary>TorchSharp's own serialisation of an optimizer's state (moments, step counts, options).</summary>
    private static byte[] OptimizerBytes(optim.Optimizer optimizer)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8,
            leaveOpen: true)) ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(writer);
        return stream.ToArray();
    }

    private static byte[] GeneratorBytes(Generator generator)
    {
        using var state = generator.get_state();
        return state.bytes.ToArray();
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
        Networks = _loss.Info.Networks.Select(n =>
            new CheckpointNetwork(n.Name, n.Role, n.Output, OptimizerKind(n.Name)) { TakesLabels = n.TakesLabels, ClassHeads = n.ClassHeads }).ToList(),
        ClassCount = (_dataset as GanDsl.Data.ILabelledDataset)?.ClassCount,
        ClassNames = (_dataset as GanDsl.Data.ILabelledDataset)?.ClassNames.ToList(),
    };

    /// <summary>The kind of optimizer that steps network <paramref name="network"/> ("none" when none does).</summary>
    private string OptimizerKind(string network) =>
        _criticOptimizers.Concat(_generatorOptimizers).FirstOrDefault(o => o.Network == network)?.Settings.Kind ?? "none";

    /// <summary>Loads a checked checkpoint into the freshly built trainer: weights, optimizers, EMA, random streams, loss state.</summary>
    private void Restore(LoadedCheckpoint checkpoint)
    {
        foreach (var (name, module) in _networks) checkpoint.LoadInto(module, $"net.{name}.");
        foreach (var o in _criticOptimizers.Concat(_generatorOptimizers))
        {
            // Any exception: TorchSharp's reader of a corrupt stream throws FormatException, OverflowException and more.
            try
            {
                using var stream = new MemoryStream(checkpoint.Bytes($"optim.{o.Network}"));
                using var reader = new BinaryReader(stream);
                ((TorchSharp.Modules.OptimizerHelper)o.Optimizer).load_state_dict(reader);
                if (stream.Position != stream.Length) throw new InvalidDataException($"{stream.Length - stream.Position} bytes are left over");
            }
            catch (Exception e) when (e is not (OutOfMemoryException or CheckpointException))
            {
                throw new CheckpointException($"Checkpoint '{checkpoint.Path}': part 'optim.{o.Network}' (the optimizer state of {o.Network}) is " +
                    $"corrupt or does not fit ({e.GetType().Name}: {e.Message}). Start a new run.", e);
            }
        }
        ApplyOptimizerOptions();
        if (_ema is not null) checkpoint.LoadInto(_ema.Average, $"ema.{_sampleNetwork.Name}.");
        foreach (var (part, generator) in new[] { ("rng.noise", _noiseGenerator), ("rng.step", _lossGenerator) })
        {
            try { SetGeneratorState(generator, checkpoint.Bytes(part)); }
            catch (Exception e) when (e is ArgumentException or ExternalException)
            {
                throw new CheckpointException($"Checkpoint '{checkpoint.Path}': part '{part}' (a random-stream state) is corrupt or does not fit this " +
                    $"run ({e.Message}). Start a new run.", e);
            }
        }
        try { _sampler.SetState(checkpoint.Bytes("rng.data")); }
        catch (Exception e) when (e is not (OutOfMemoryException or CheckpointException))
        {
            throw new CheckpointException($"Checkpoint '{checkpoint.Path}': part 'rng.data' (the data sampler's state) is corrupt or does not fit this " +
                $"run ({e.GetType().Name}: {e.Message}). Start a new run.", e);
        }
        foreach (var (name, value) in checkpoint.Metadata.State) _loss.State[name] = value;
        _step = checkpoint.Metadata.Step;
        _elapsedBeforeResume = checkpoint.Metadata.ElapsedSeconds;
    }

    /// <summary>
    /// The optimizer state loaded from a checkpoint carries the learning rates and betas it was saved with; those
    /// given explicitly in the options take effect over them (every param group), and the settings recorded in
    /// config.json are the ones in force either way.
    /// </summary>
    private void ApplyOptimizerOptions()
    {
        foreach (var list in new[] { _criticOptimizers, _generatorOptimizers })
            for (var i = 0; i < list.Count; i++)
            {
                var o = list[i];
                var network = _loss.Info.Networks.First(n => n.Name == o.Network);
                var explicitRate = ExplicitLearningRate(network);
                var settings = o.Settings;
                foreach (var group in ((TorchSharp.Modules.OptimizerHelper)o.Optimizer).ParamGroups)
                {
                    if (explicitRate is { } lr) group.LearningRate = lr;
                    else settings = settings with { LearningRate = group.LearningRate };
                }
                if (o.Optimizer is TorchSharp.Modules.Adam adam)
                    foreach (var group in adam.ParamGroups)
                        if (group is TorchSharp.Modules.Adam.ParamGroup { Options: { } adamOptions })
                        {
                            if (ExplicitBetas(network) is var (b1, b2)) (adamOptions.beta1, adamOptions.beta2) = (b1, b2);
                            else settings = settings with { Beta1 = adamOptions.beta1 ?? settings.Beta1, Beta2 = adamOptions.beta2 ?? settings.Beta2 };
                        }
                list[i] = o with { Settings = settings };
            }
    }

    /// <summary>
    /// Restores a libtorch generator's state, checked first: libtorch's <c>set_state</c> ends the process (C++
    /// terminate, not an exception) on a CPU state its mt19937 engine rejects, so a corrupt checkpoint must be
    /// refused here.
    /// </summary>
    private static void SetGeneratorState(Generator generator, byte[] bytes)
    {
        using var current = generator.get_state();
        if (current.numel() != bytes.Length)
            throw new ArgumentException($"a generator state of {bytes.Length} bytes, expected {current.numel()}");
        if (generator.device.type == DeviceType.CPU && Mt19937StateProblem(bytes) is { } problem)
            throw new ArgumentException(problem);
        using var state = torch.tensor(bytes, current.shape);
        generator.set_state(state);
    }
    /// <summary>
    /// Why libtorch would reject a CPU generator state (its <c>CPUGeneratorImplState</c>: the legacy
    /// <c>THGeneratorState</c> — seed u64, left i32, seeded i32, next u64, 624 state words — then the normal-sample
    /// cache), or null when it would accept it. libtorch's check (<c>mt19937::is_valid</c>): seeded, 0 &lt; left &lt;= 624,
    /// next &lt;= 624.
    /// </summary>
    internal static string? Mt19937StateProblem(ReadOnlySpan<byte> state)
    {
        const int StateWords = 624;
        if (state.Length < 24) return $"a CPU generator state of {state.Length} bytes is too short";
        var left = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(state[8..]);
        var seeded = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(state[12..]);
        var next = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(state[16..]);
        if (seeded == 0) return "the mt19937 state is not seeded";
        if (left is <= 0 or > StateWords) return $"the mt19937 state has left = {left}, outside 1..{StateWords}";
        if ((uint)next > StateWords) return $"the mt19937 state has next = {next}, beyond {StateWords}";
        return null;
    }
}
