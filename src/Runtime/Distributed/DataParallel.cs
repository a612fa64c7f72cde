using System.Diagnostics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Distributed;

/// <summary>Whether a run trains data-parallel when its process was started by an MPI launcher.</summary>
public enum DataParallelMode
{
    /// <summary>Data-parallel over the launcher's ranks when <see cref="MpiLaunch.FromEnvironment"/> finds one; alone otherwise (the default).</summary>
    Auto,

    /// <summary>Always alone: every rank of a launch trains its own copy (and must write to its own folder).</summary>
    Off,
}

/// <summary>
/// The collective operations of one data-parallel run over the ranks of <c>MPI_COMM_WORLD</c> (docs/distributed.md):
/// every rank draws the global batch the single-process run would draw and keeps its slice; after each backward
/// the gradients of the networks being stepped are averaged in one fused in-place all-reduce, and the step's losses,
/// terms and loss state in a second, small one (float64), so every rank takes the same decisions (the finiteness
/// guard, logging, stopping) from the same values.
/// </summary>
/// <remarks>
/// Averaging the loss state after each step is exact (up to round-off) for updates that are affine in batch means
/// (Fisher GAN's λ, MAGAN's running energy totals: the mean of the per-rank updates is the update with the global
/// batch's means), and an approximation where the update is not (BEGAN's k clamps to [0, 1]: the mean of per-rank
/// clamped values differs from the clamped global value on steps where some but not all ranks clamp). Either way
/// the state is identical on every rank.
/// </remarks>
public sealed unsafe class DataParallel
{
    private readonly Dictionary<object, Tensor> _flatGradients = new(ReferenceEqualityComparer.Instance);
    private readonly Stopwatch _gradientClock = new();
    private readonly Stopwatch _scalarClock = new();
    private readonly bool _averageGradients;

    /// <summary>Joins the launch: initialises MPI (loading libmpi) and checks that MPI sees the launcher's ranks.</summary>
    /// <exception cref="MpiException">MPI cannot be used, or it sees another number of ranks than the launcher started.</exception>
    public DataParallel(MpiLaunch launch, int globalBatch)
    {
        ArgumentNullException.ThrowIfNull(launch);
        if (globalBatch % launch.Size != 0)
            throw new ArgumentException($"TrainOptions.BatchSize {globalBatch} does not split evenly over {launch.Size} ranks: the global batch must be " +
                $"a multiple of the rank count (for example {globalBatch / launch.Size * launch.Size} or {(globalBatch / launch.Size + 1) * launch.Size}).");
        Mpi.Initialize();
        if (Mpi.Size != launch.Size)
            throw new MpiException($"The launcher started {launch.Size} ranks ({launch.Source}), but MPI sees {Mpi.Size}: " +
                "under Slurm, start with srun --mpi=pmix (or mpirun inside the allocation).");
        Size = Mpi.Size;
        Rank = Mpi.Rank;
        LocalBatch = globalBatch / Size;
        // A diagnostic: the ranks train apart (each on its slice), which shows what the all-reduce does and costs.
        _averageGradients = Environment.GetEnvironmentVariable("GANDSL_MPI_SKIP_GRADIENT_ALLREDUCE") != "1";
    }

    /// <summary>The number of ranks.</summary>
    public int Size { get; }

    /// <summary>This process's rank; rank 0 writes the outputs.</summary>
    public int Rank { get; }

    /// <summary>Samples of the global batch this rank trains on.</summary>
    public int LocalBatch { get; }

    /// <summary>Float32 gradient values all-reduced per step, summed over the step's networks (the last step's).</summary>
    public long GradientValues { get; private set; }

    /// <summary>Seconds spent in the gradient all-reduce (including the copies into and out of the fused buffer).</summary>
    public double GradientAllReduceSeconds => _gradientClock.Elapsed.TotalSeconds;

    /// <summary>Seconds spent in the all-reduce of the step's losses, terms and loss state.</summary>
    public double ScalarAllReduceSeconds => _scalarClock.Elapsed.TotalSeconds;

    /// <summary>False when GANDSL_MPI_SKIP_GRADIENT_ALLREDUCE=1 disabled the gradient average (a diagnostic: ranks then drift apart).</summary>
    public bool AveragesGradients => _averageGradients;

    /// <summary>This rank's rows of a tensor whose first dimension is the global batch.</summary>
    public Tensor Slice(Tensor global) => global.narrow(0, (long)Rank * LocalBatch, LocalBatch);

    /// <summary>
    /// A source of the loss's random draws that draws what the single-process run would draw for the global batch
    /// (first dimension × rank count) and keeps this rank's slice: per-sample draws then do not depend on the rank count.
    /// </summary>
    public IStepRandom Slicing(IStepRandom global) => new SlicingRandom(global, this);

    private sealed class SlicingRandom(IStepRandom global, DataParallel parallel) : IStepRandom
    {
        public Tensor PerSampleUniform(long batch, ScalarType dtype, Device device) =>
            Local(global.PerSampleUniform(batch * parallel.Size, dtype, device), batch);

        public Tensor ElementwiseUniform(long[] shape, ScalarType dtype, Device device) =>
            Local(global.ElementwiseUniform([shape[0] * parallel.Size, .. shape[1..]], dtype, device), shape[0]);

        private Tensor Local(Tensor all, long batch) => all.narrow(0, parallel.Rank * batch, batch);
    }

    /// <summary>
    /// Averages the gradients of <paramref name="parameters"/> over the ranks in one in-place all-reduce of a
    /// fused float32 buffer (kept per <paramref name="key"/>, e.g. the list of optimizers of a step's kind). A parameter
    /// without a gradient contributes zeros and keeps none (the same on every rank: the step's code decides it).
    /// </summary>
    public void AverageGradients(object key, IReadOnlyList<Tensor> parameters)
    {
        if (!_averageGradients) return;
        _gradientClock.Start();
        try
        {
            using var noGrad = torch.no_grad();
            if (!_flatGradients.TryGetValue(key, out var flat))
            {
                foreach (var p in parameters)
                    if (p.dtype != ScalarType.Float32 || p.device_type != DeviceType.CPU)
                        throw new NotSupportedException($"Data-parallel training averages float32 CPU gradients; a parameter is {p.dtype} on {p.device}.");
                // Kept across steps: out of the step's dispose scope.
                flat = torch.zeros(parameters.Sum(p => p.numel()), ScalarType.Float32).DetachFromDisposeScope();
                _flatGradients[key] = flat;
            }
            GradientValues = flat.numel();
            long offset = 0;
            var grads = new Tensor?[parameters.Count];
            for (var i = 0; i < parameters.Count; i++)
            {
                var n = parameters[i].numel();
                using var part = flat.narrow(0, offset, n);
                grads[i] = parameters[i].grad;
                if (grads[i] is { } g) part.copy_(g.reshape(-1));
                else part.zero_();
                offset += n;
            }
            fixed (byte* p = flat.bytes) Mpi.AllReduceSum((float*)p, flat.numel());
            flat.mul_(1.0 / Size);
            offset = 0;
            for (var i = 0; i < parameters.Count; i++)
            {
                var n = parameters[i].numel();
                if (grads[i] is { } g)
                {
                    using var part = flat.narrow(0, offset, n);
                    using var shaped = part.view(g.shape);
                    g.copy_(shaped);
                    g.Dispose();
                }
                offset += n;
            }
        }
        finally { _gradientClock.Stop(); }
    }

    /// <summary>Replaces every value of <paramref name="values"/> by its mean over the ranks (float64, in place).</summary>
    public void Average(Span<double> values)
    {
        _scalarClock.Start();
        try
        {
            Mpi.AllReduceSum(values);
            for (var i = 0; i < values.Length; i++) values[i] /= Size;
        }
        finally { _scalarClock.Stop(); }
    }

    /// <summary>Replaces every floating-point buffer of <paramref name="modules"/> (batch-norm running statistics) by its mean over the ranks.</summary>
    public void AverageBuffers(IEnumerable<nn.Module> modules)
    {
        using var noGrad = torch.no_grad();
        foreach (var module in modules)
            foreach (var (_, buffer) in module.named_buffers())
            {
                if (buffer.dtype != ScalarType.Float32) continue; // num_batches_tracked (int64) is the same on every rank
                fixed (byte* p = buffer.bytes) Mpi.AllReduceSum((float*)p, buffer.numel());
                buffer.mul_(1.0 / Size);
            }
    }

    /// <summary>Copies rank 0's parameters and buffers of <paramref name="modules"/> into every rank's, byte for byte.</summary>
    public void BroadcastFromRoot(IEnumerable<nn.Module> modules)
    {
        using var noGrad = torch.no_grad();
        foreach (var t in Tensors(modules))
            fixed (byte* p = t.bytes) Mpi.Broadcast(p, t.bytes.Length);
    }

    /// <summary>
    /// Compares every rank's parameters and buffers of <paramref name="modules"/> and <paramref name="scalars"/> with
    /// rank 0's: the largest absolute difference anywhere and whether every byte is the same, on every rank.
    /// </summary>
    public (double MaxDifference, bool BitwiseIdentical) CompareWithRoot(IEnumerable<nn.Module> modules, ReadOnlySpan<double> scalars)
    {
        using var noGrad = torch.no_grad();
        double max = 0, differentBytes = 0;
        foreach (var t in Tensors(modules))
        {
            var mine = t.bytes.ToArray();
            var root = Mpi.Broadcast(mine);
            if (!mine.AsSpan().SequenceEqual(root)) differentBytes++;
            if (t.dtype == ScalarType.Float32)
            {
                var a = MemoryMarshal.Cast<byte, float>(mine);
                var b = MemoryMarshal.Cast<byte, float>(root);
                for (var i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs((double)a[i] - b[i]));
            }
        }
        var rootScalars = MemoryMarshal.Cast<byte, double>(Mpi.Broadcast(MemoryMarshal.AsBytes(scalars).ToArray()));
        for (var i = 0; i < scalars.Length; i++)
        {
            if (BitConverter.DoubleToInt64Bits(scalars[i]) != BitConverter.DoubleToInt64Bits(rootScalars[i])) differentBytes++;
            max = Math.Max(max, Math.Abs(scalars[i] - rootScalars[i]));
        }
        Span<double> worst = [max, differentBytes];
        Mpi.AllReduceMax(worst);
        return (worst[0], worst[1] == 0);
    }

    private static IEnumerable<Tensor> Tensors(IEnumerable<nn.Module> modules)
    {
        foreach (var module in modules)
        {
            foreach (var (_, p) in module.named_parameters()) yield return p;
            foreach (var (_, b) in module.named_buffers()) yield return b;
        }
    }
}
