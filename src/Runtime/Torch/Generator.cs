namespace GanDsl.Torch;

/// <summary>
/// A random number stream of its own (a libtorch CPU generator, Philox/MT19937 as PyTorch's
/// <c>torch.Generator()</c>): the same seed gives the same numbers as PyTorch's
/// <c>torch.Generator().manual_seed(seed)</c>. Draws for a CUDA tensor are made on the CPU and
/// copied, so a stream does not depend on the device.
/// </summary>
public sealed unsafe class Generator : IDisposable
{
    private readonly GeneratorHandle _handle;

    /// <summary>Creates a generator seeded with <paramref name="seed"/>.</summary>
    public Generator(long seed)
    {
        _handle = new GeneratorHandle(Native.Check(Native.gd_generator_new(unchecked((ulong)seed)), "generator"));
        Seed = seed;
    }

    /// <summary>The seed it was created with.</summary>
    public long Seed { get; }

    internal GeneratorHandle Handle =>
        _handle.IsClosed ? throw new ObjectDisposedException(nameof(Generator)) : _handle;

    /// <summary>The full state of the stream, for an exact resume from a checkpoint.</summary>
    public byte[] GetState()
    {
        var h = Handle;
        Native.Check(Native.gd_generator_get_state(h, null, 0, out var length), "generator.get_state");
        var state = new byte[length];
        fixed (byte* p = state)
            Native.Check(Native.gd_generator_get_state(h, p, length, out _), "generator.get_state");
        return state;
    }

    /// <summary>Restores a state returned by <see cref="GetState"/>; the stream continues exactly from there.</summary>
    /// <exception cref="TorchException">The bytes are not a generator state (wrong length or content).</exception>
    public void SetState(byte[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        fixed (byte* p = state)
            Native.Check(Native.gd_generator_set_state(Handle, p, state.Length), "generator.set_state");
    }

    /// <inheritdoc/>
    public void Dispose() => _handle.Dispose();
}
