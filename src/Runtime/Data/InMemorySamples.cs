using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Data;

/// <summary>
/// Samples held in memory as one tensor [N, ...], with a copy on the device a run draws on (made on the first
/// batch drawn there, kept for the next ones), so a batch is one gather on that device and never a host copy.
/// Both live as long as the dataset: they are taken out of any dispose scope (a training step runs in one).
/// </summary>
internal sealed class InMemorySamples
{
    private readonly Tensor _samples;
    private Tensor? _onDevice;

    /// <summary>Holds <paramref name="samples"/>, which the caller gives up.</summary>
    public InMemorySamples(Tensor samples) => _samples = samples.DetachFromDisposeScope();

    /// <summary>The samples at <paramref name="indices"/>, gathered on the device the indices are on.</summary>
    public Tensor Gather(Tensor indices) => On(indices.device_type, indices.device_index).index_select(0, indices);

    private Tensor On(DeviceType type, int index)
    {
        if (_samples.device_type == type && _samples.device_index == index) return _samples;
        if (_onDevice is null || _onDevice.device_type != type || _onDevice.device_index != index)
        {
            _onDevice?.Dispose();
            _onDevice = _samples.to(new Device(type, index)).DetachFromDisposeScope();
        }
        return _onDevice;
    }
}
