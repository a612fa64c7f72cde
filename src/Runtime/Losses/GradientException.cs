namespace GanDsl;

/// <summary>A gradient the DSL asked for cannot be taken (the value does not depend on the input, or libtorch refused).</summary>
public sealed class GradientException(string message, Exception? inner = null) : InvalidOperationException(message, inner);
