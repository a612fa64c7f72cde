using GanDsl.Nn;

namespace GanDsl.Training;

/// <summary>
/// An exponential moving average of a network's weights (Yazıcı et al. 2019, "The Unusual Effectiveness of
/// Averaging in GAN Training"): after every generator step, <c>avg ← decay·avg + (1 − decay)·w</c> for every
/// parameter; buffers (batch-norm statistics) are copied as they are. Samples drawn from the average are
/// usually smoother than those of the last iterate.
/// </summary>
public sealed class ExponentialMovingAverage : IDisposable
{
    private readonly Module _source;
    private readonly (string Name, Torch.Tensor Tensor)[] _sourceParameters;
    private readonly (string Name, Torch.Tensor Tensor)[] _sourceBuffers;
    // The average's own tensors, listed once: Update runs every generator step, and enumerating a module
    // rebuilds every dotted name. Checkpoint loading copies into these tensors in place, so the lists stay valid.
    private readonly Torch.Tensor[] _averageParameters;
    private readonly Torch.Tensor[] _averageBuffers;

    /// <summary>Starts the average at <paramref name="source"/>'s current weights.</summary>
    /// <param name="source">The network being trained.</param>
    /// <param name="copy">A network of the same architecture (its own tensors); the average takes ownership of it.</param>
    /// <param name="decay">Weight of the old average, in [0, 1).</param>
    public ExponentialMovingAverage(Module source, Module copy, double decay)
    {
        if (!(decay is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "The EMA decay must be in [0, 1).");
        _source = source;
        Average = copy;
        Decay = decay;
        _sourceParameters = source.NamedParameters().ToArray();
        _sourceBuffers = source.NamedBuffers().ToArray();
        var averageParameters = Average.NamedParameters().ToArray();
        var averageBuffers = Average.NamedBuffers().ToArray();
        var names = averageParameters.Select(p => p.Name).Concat(averageBuffers.Select(b => b.Name));
        if (!names.SequenceEqual(_sourceParameters.Select(p => p.Name).Concat(_sourceBuffers.Select(b => b.Name))))
            throw new ArgumentException("The EMA copy must have the same architecture as the network it averages.", nameof(copy));
        _averageParameters = averageParameters.Select(p => p.Parameter).ToArray();
        _averageBuffers = averageBuffers.Select(b => b.Buffer).ToArray();
        Average.Eval();
        CopyAll();
    }

    /// <summary>The averaged network (always in evaluation mode).</summary>
    public Module Average { get; }

    /// <summary>Weight of the old average.</summary>
    public double Decay { get; }

    /// <summary>Folds the source's current weights into the average.</summary>
    public void Update()
    {
        using var noGrad = Torch.Torch.NoGrad();
        for (var i = 0; i < _averageParameters.Length; i++)
            _averageParameters[i].Mul_(Decay).Add_(_sourceParameters[i].Tensor, 1 - Decay);
        for (var i = 0; i < _averageBuffers.Length; i++) _averageBuffers[i].CopyFrom_(_sourceBuffers[i].Tensor);
    }

    private void CopyAll()
    {
        using var noGrad = Torch.Torch.NoGrad();
        for (var i = 0; i < _averageParameters.Length; i++) _averageParameters[i].CopyFrom_(_sourceParameters[i].Tensor);
        for (var i = 0; i < _averageBuffers.Length; i++) _averageBuffers[i].CopyFrom_(_sourceBuffers[i].Tensor);
    }

    /// <summary>Frees the averaged network.</summary>
    public void Dispose() => Average.Dispose();
}
