using System.Globalization;
using System.Text.Json.Nodes;
using GanDsl.Data;
using GanDsl.Distributed;
using GanDsl.Formats;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Training;

/// <summary>
/// Data-parallel training over MPI ranks (docs/distributed.md). The loop in Trainer.cs calls these at lines marked
/// <c>[data-parallel]</c>; without a launch (<see cref="_parallel"/> null) each is a no-op and libmpi is never loaded.
/// </summary>
public sealed partial class Trainer
{
    private DataParallel? _parallel;
    private IStepRandom? _localRandom;
    private long _buffersAveragedAt = -1;

    /// <summary>The data-parallel run this trainer is part of (its rank, rank count, all-reduce timings), or null when it trains alone.</summary>
    public DataParallel? Parallel => _parallel;

    /// <summary>Whether this process writes the outputs: rank 0 of a data-parallel run, or a run alone.</summary>
    private bool IsWriter => _parallel is not { Rank: > 0 };

    /// <summary>
    /// Called at the end of setup: when <see cref="TrainOptions.DataParallel"/> allows it and an MPI launcher started
    /// this process with several ranks, joins them (initialising MPI) and makes every rank start from rank 0's
    /// networks, optimizer state and loss state.
    /// </summary>
    private void JoinDataParallel()
    {
        if (_options.DataParallel == DataParallelMode.Off || MpiLaunch.FromEnvironment() is not { } launch) return;
        if (_device.type != DeviceType.CPU)
            throw new TrainingSetupException($"TrainOptions.Device {_options.Device}: data-parallel training averages gradients through MPI on the CPU; " +
                "GPU collectives (NCCL) are not supported (docs/distributed.md). Train on the CPU, or run one process.");
        try { _parallel = new DataParallel(launch, _batchSize); }
        catch (ArgumentException e) { throw new TrainingSetupException(e.Message, e); }
        catch (MpiException e) { throw new TrainingSetupException(e.Message, e); }
        _localRandom = _parallel.Slicing(_stepRandom);

        // Same seed, same networks on every rank already; the broadcast makes it so whatever built or loaded them.
        _parallel.BroadcastFromRoot(AllModules());
        foreach (var o in _criticOptimizers.Concat(_generatorOptimizers))
        {
            var bytes = _parallel.Rank == 0 ? OptimizerBytes(o.Optimizer) : [];
            bytes = Mpi.Broadcast(bytes);
            if (_parallel.Rank == 0) continue;
            using var stream = new MemoryStream(bytes);
            using var reader = new BinaryReader(stream);
            ((TorchSharp.Modules.OptimizerHelper)o.Optimizer).load_state_dict(reader);
        }
        var state = StateValues();
        var rootState = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(
            Mpi.Broadcast(System.Runtime.InteropServices.MemoryMarshal.AsBytes(state.AsSpan()).ToArray()));
        SetState(rootState);
    }

    private IEnumerable<nn.Module> AllModules() =>
        _networks.Values.Cast<nn.Module>().Concat(_ema is { } ema ? [ema.Average] : []);

    private double[] StateValues() => _loss.State.Names.Select(n => _loss.State[n]).ToArray();

    private void SetState(ReadOnlySpan<double> values)
    {
        var i = 0;
        foreach (var name in _loss.State.Names.ToArray()) _loss.State[name] = values[i++];
    }

    /// <summary>The loss's random draws: this rank's slice of the global batch's draws in a data-parallel run.</summary>
    private IStepRandom StepRandom => _localRandom ?? _stepRandom;

    /// <summary>This rank's rows of a global batch (the whole batch when training alone).</summary>
    private Tensor LocalRows(Tensor global) => _parallel?.Slice(global) ?? global;

    /// <summary>
    /// After a step's backward: averages the stepped networks' gradients over the ranks (one fused all-reduce), then
    /// the loss, its terms and the loss state (one small float64 all-reduce), so that the guard, the logs and the next
    /// step see the same values on every rank: a NaN on one rank makes the averages NaN everywhere, and every rank
    /// stops with the guard's message.
    /// </summary>
    private StepResult AverageOverRanks(StepResult result, List<NamedOptimizer> optimizers)
    {
        if (_parallel is not { } parallel) return result;
        parallel.AverageGradients(optimizers, optimizers.SelectMany(o => o.Parameters.Select(p => (Tensor)p.Parameter)).ToArray());

        // Every rank runs the same code, so the terms and states come in the same number and order everywhere.
        var terms = result.Terms;
        var stateNames = _loss.State.Names.ToArray();
        var values = new double[1 + terms.Count + stateNames.Length];
        values[0] = result.Loss;
        for (var i = 0; i < terms.Count; i++) values[1 + i] = terms[i].Value;
        for (var i = 0; i < stateNames.Length; i++) values[1 + terms.Count + i] = _loss.State[stateNames[i]];
        parallel.Average(values);
        SetState(values.AsSpan(1 + terms.Count));
        var averaged = new StepResult(values[0], terms.Select((t, i) => KeyValuePair.Create(t.Key, values[1 + i])).ToArray());
        result.Dispose();
        return averaged;
    }

    /// <summary>Whether any rank was asked to stop (Ctrl-C reaches the ranks at different steps; they must stop at the same one).</summary>
    private bool StopRequested(CancellationToken cancel)
    {
        if (_parallel is null) return cancel.IsCancellationRequested;
        Span<double> flag = [cancel.IsCancellationRequested ? 1 : 0];
        Mpi.AllReduceMax(flag);
        return flag[0] > 0;
    }

    /// <summary>
    /// Before a checkpoint, a picture or the final outputs (every rank calls it at the same steps): averages the
    /// batch-norm running statistics over the ranks, once per step, so what is saved and evaluated does not depend on
    /// which rank writes it. Returns whether this rank writes.
    /// </summary>
    private bool PrepareOutputs()
    {
        if (_parallel is { } parallel && _buffersAveragedAt != _step)
        {
            parallel.AverageBuffers(AllModules());
            _buffersAveragedAt = _step;
        }
        return IsWriter;
    }

    /// <summary>
    /// At the end of a data-parallel run: checks that every rank holds rank 0's networks and loss state, writes
    /// distributed.json (rank 0), and waits until every rank is there (rank 0 has written everything).
    /// </summary>
    private void FinishDataParallel(double seconds, long steps)
    {
        if (_parallel is not { } parallel) return;
        var (difference, identical) = parallel.CompareWithRoot(AllModules(), StateValues());
        if (IsWriter)
        {
            var json = new JsonObject
            {
                ["ranks"] = parallel.Size,
                ["globalBatch"] = _batchSize,
                ["localBatch"] = parallel.LocalBatch,
                ["steps"] = steps,
                ["seconds"] = seconds,
                ["gradientAllReduceSeconds"] = parallel.GradientAllReduceSeconds,
                ["scalarAllReduceSeconds"] = parallel.ScalarAllReduceSeconds,
                ["gradientValuesPerStep"] = parallel.GradientValues,
                ["averagesGradients"] = parallel.AveragesGradients,
                ["maxDifferenceFromRank0"] = difference,
                ["ranksBitwiseIdentical"] = identical,
            };
            AtomicFile.WriteAllBytes(Path.Combine(OutputDirectory, "distributed.json"),
                System.Text.Encoding.UTF8.GetBytes(json.ToJsonString(new() { WriteIndented = true }) + "\n"));
        }
        Mpi.Barrier();
    }

    /// <summary>One line about the data-parallel run for the command line (rank 0), or null when training alone.</summary>
    public string? DataParallelSummary()
    {
        if (_parallel is not { } p) return null;
        return string.Create(CultureInfo.InvariantCulture,
            $"Data-parallel: {p.Size} ranks x batch {p.LocalBatch} (global {_batchSize}); " +
            $"gradient all-reduce {p.GradientAllReduceSeconds:F2} s ({p.GradientValues} floats per step), " +
            $"scalars {p.ScalarAllReduceSeconds:F2} s{(p.AveragesGradients ? "" : "; GRADIENTS NOT AVERAGED (GANDSL_MPI_SKIP_GRADIENT_ALLREDUCE=1)")}");
    }
}
