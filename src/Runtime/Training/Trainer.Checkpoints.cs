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
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(writer);
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
        Networks = _loss.Info.Networks.Select(n => new CheckpointNetwork(n.Name, n.Role, n.Output,
            _criticOptimizers.Concat(_generatorOptimizers).FirstOrDefault(o => o.Network == n.Name)?.Settings.Kind ?? "none")).ToList(),
    };

    /// <summary>Loads a checked checkpoint into the freshly built trainer: weights, optimizers, EMA, random streams, loss state.</summary>
    private void Restore(LoadedCheckpoint checkpoint)
    {
        foreach (var (name, module) in _networks) checkpoint.LoadInto(module, $"net.{name}.");
        foreach (var o in _criticOptimizers.Concat(_generatorOptimizers))
        {
            try
            {
                using var stream = new MemoryStream(checkpoint.Bytes($"optim.{o.Network}"));
                using var reader = new BinaryReader(stream);
                ((TorchSharp.Modules.OptimizerHelper)o.Optimizer).load_state_dict(reader);
                if (stream.Position != stream.Length) throw new InvalidDataException($"{stream.Length - stream.Position} bytes are left over");
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or EndOfStreamException or IOException or ExternalException)
            {
                throw new CheckpointException($"Checkpoint '{checkpoint.Path}': the optimizer state of {o.Network} does not fit ({e.Message}). Start a new run.", e);
            }
        }
        if (_ema is not null) checkpoint.LoadInto(_ema.Average, $"ema.{_sampleNetwork.Name}.");
        try
        {
            SetGeneratorState(_noiseGenerator, checkpoint.Bytes("rng.noise"));
            SetGeneratorState(_lossGenerator, checkpoint.Bytes("rng.step"));
            _sampler.SetState(checkpoint.Bytes("rng.data"));
        }
        catch (Exception e) when (e is ArgumentException or ExternalException)
        {
            throw new CheckpointException($"Checkpoint '{checkpoint.Path}': a random state does not fit this run ({e.Message}). Start a new run.", e);
        }
        foreach (var (name, value) in checkpoint.Metadata.State) _loss.State[name] = value;
        _step = checkpoint.Metadata.Step;
        _elapsedBeforeResume = checkpoint.Metadata.ElapsedSeconds;
    }

    private static void SetGeneratorState(Generator generator, byte[] bytes)
    {
        using var current = generator.get_state();
        if (current.numel() != bytes.Length)
            throw new ArgumentException($"a generator state of {bytes.Length} bytes, expected {current.numel()}");
        using var state = torch.tensor(bytes, current.shape);
        generator.set_state(state);
    }
}
