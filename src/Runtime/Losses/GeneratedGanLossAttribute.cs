using System.ComponentModel;

namespace GanDsl;

/// <summary>
/// Marks an assembly-level registration the generator emits for each loss, so
/// <see cref="LossRegistry"/> finds every loss of an assembly without scanning types.
/// </summary>
/// <remarks>Hidden from IntelliSense: only generated code writes it.</remarks>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class GeneratedGanLossAttribute(string name, Type lossType) : Attribute
{
    /// <summary>The loss's canonical name.</summary>
    public string Name { get; } = name;

    /// <summary>The generated type implementing <see cref="IGanLoss"/> with a public parameterless constructor.</summary>
    public Type LossType { get; } = lossType;
}
