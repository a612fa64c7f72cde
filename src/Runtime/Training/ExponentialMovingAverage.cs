using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Training;

/// <summary>
/// An exponential moving average of a network's weights (Yazıcı et al. 2019, "The Unusual Effectiveness of
/// Averaging in GAN Training"): after every generator step, <c>avg ← decay·avg + (1 − decay)·w</c> for every
/// parameter; buffers (batch-norm statistics) are copied as they are. Samples drawn from the average are
/// usually smoother than those of the last iterate.
/// </summary>
public sealed class ExponentialMovingAverage : IDisposable
{
    // Both networks' tensors, listed once: Update runs every generator step. Checkpoint loading copies into
    // these tensors in place, so the lists stay valid.
    private readonly Tensor[] _sourceParameters;
    private readonly Tensor[] _sourceBuffers;
    private readonly Tensor[] _averageParameters;
    private readonly Tensor[] _averageBuffers;

    /// <summary>Starts the average at <paramref name="source"/>'s current weights.</summary>
    /// <param name="source">The network being trained.</param>
    /// <param name="copy">A network of the same architecture (its own tensors); the average takes ownership of it.</param>
    /// <param name="decay">Weight of the old average, in [0, 1).</param>
    public ExponentialMovingAverage(nn.Module source, nn.Module copy, double decay)
    {
        if (!(decay is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "The EMA decay must be in [0, 1).");
        Average = copy;
        Decay = decay;
        var sourceParameters = source.named_parameters().ToArray();
        var sourceBuffers = source.named_buffers().ToArray();
        var averageParameters = copy.named_parameters().ToArray();
        var averageBuffers = copy.named_buffers().ToArray();
        var names = averageParameters.Select(p => p.name).Concat(averageBuffers.Select(b => b.name));
        if (!names.SequenceEqual(sourceParameters.Select(p => p.name).Concat(sourceBuffers.Select(b => b.name))))
            throw new ArgumentException("The EMA copy must have the same architecture as the network it averages.", nameof(copy));
        _sourceParameters = sourceParameters.Select(p => (Tensor)p.parameter).ToArray();
        _sourceBuffers = sourceBuffers.Select(b => b.buffer).ToArray();
        _averageParameters = averageParameters.Select(p => (Tensor)p.parameter).ToArray();
        _averageBuffers = averageBuffers.Select(b => b.buffer).ToArray();
        foreach (var p in _averageParameters) p.requires_grad_(false);
        Average.eval();
        CopyAll();
    }

    /// <summary>The averaged network (always in evaluation mode).</summary>
    public nn.Module Average { get; }

    /// <summary>Weight of the old average.</summary>
    public double Decay { get; }

    /// <summary>Folds the source's current weights into the average.</summary>
    public void Update()
    {
        using var noGrad = torch.no_grad();
        for (var i = 0; i < _averageParameters.Length; i++)
            _averageParameters[i].mul_(Decay).add_(_sourceParameters[i], alpha: 1 - Decay);
        for (var i = 0; i < _averageBuffers.Length; i++) _averageBuffers[i].copy_(_sourceBuffers[i]);
    }

    private void CopyAll()
    {
        using var noGrad = torch.no_grad();
        for (var i = 0; i < _averageParameters.Length; i++) _averageParameters[i].copy_(_sourceParameters[i]);
        for (var i = 0; i < _averageBuffers.Length; i++) _averageBuffers[i].copy_(_sourceBuffers[i]);
    }

    /// <summary>Frees the averaged network.</summary>
    public void Dispose() => Average.Dispose();
}
