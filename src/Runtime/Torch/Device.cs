using System.Globalization;

namespace GanDsl.Torch;

/// <summary>Kinds of device a tensor can live on (libtorch's <c>c10::DeviceType</c> codes).</summary>
public enum DeviceType
{
    /// <summary>Host memory.</summary>
    Cpu = 0,
    /// <summary>An NVIDIA GPU (needs a CUDA build of libtorch).</summary>
    Cuda = 1,
}

/// <summary>A device: <c>cpu</c> or <c>cuda:N</c>.</summary>
/// <param name="Type">The kind of device.</param>
/// <param name="Index">The device ordinal, or -1 for "the current one" (always -1 for the CPU).</param>
public readonly record struct Device(DeviceType Type, int Index = -1)
{
    /// <summary>The CPU.</summary>
    public static Device Cpu { get; } = new(DeviceType.Cpu);

    /// <summary>The CUDA device with ordinal <paramref name="index"/>.</summary>
    public static Device Cuda(int index = 0) => new(DeviceType.Cuda, index);

    /// <summary>Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> (case-insensitive).</summary>
    /// <exception cref="FormatException">The text names no device.</exception>
    public static Device Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim().ToLowerInvariant();
        if (s == "cpu") return Cpu;
        if (s == "cuda") return Cuda(0);
        if (s.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(s.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            return Cuda(index);
        throw new FormatException($"'{text}' is not a device; expected 'cpu', 'cuda' or 'cuda:N' (e.g. cuda:0).");
    }

    /// <summary>PyTorch's spelling: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public override string ToString() => Type switch
    {
        DeviceType.Cpu => "cpu",
        DeviceType.Cuda => Index < 0 ? "cuda" : $"cuda:{Index}",
        _ => $"{Type}:{Index}",
    };
}
