using System.Reflection;

namespace GanDsl;

/// <summary>
/// Marks an assembly-level registration the generator emits for each loss, so
/// <see cref="LossRegistry"/> finds every loss of an assembly without scanning types.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class GeneratedGanLossAttribute(string name, Type lossType) : Attribute
{
    /// <summary>The loss's canonical name.</summary>
    public string Name { get; } = name;

    /// <summary>The generated type implementing <see cref="IGanLoss"/> with a public parameterless constructor.</summary>
    public Type LossType { get; } = lossType;
}

/// <summary>Finds losses by name across the assemblies it is given.</summary>
public sealed class LossRegistry
{
    private readonly SortedDictionary<string, Type> _byName = new(StringComparer.Ordinal);

    /// <summary>Collects every loss registered in <paramref name="assemblies"/>; two with the same name are an error.</summary>
    public LossRegistry(params Assembly[] assemblies)
    {
        foreach (var assembly in assemblies)
        foreach (var reg in assembly.GetCustomAttributes<GeneratedGanLossAttribute>())
        {
            if (_byName.TryGetValue(reg.Name, out var existing) && existing != reg.LossType)
                throw new InvalidOperationException($"Two losses are named '{reg.Name}': {existing.FullName} and {reg.LossType.FullName}. Rename one with [GanLoss(\"...\")].");
            _byName[reg.Name] = reg.LossType;
        }
    }

    /// <summary>Every registered name, in ordinal order.</summary>
    public IReadOnlyCollection<string> Names => _byName.Keys;

    /// <summary>True when a loss is registered under <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>A fresh instance (default hyperparameters, initial state) of the loss named <paramref name="name"/>.</summary>
    public IGanLoss Create(string name) =>
        _byName.TryGetValue(name, out var type) ? (IGanLoss)Activator.CreateInstance(type)!
        : throw new KeyNotFoundException($"Unknown loss '{name}'. Known losses: {string.Join(", ", _byName.Keys)}.");
}
