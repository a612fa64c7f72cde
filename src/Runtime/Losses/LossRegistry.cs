using System.Reflection;

namespace GanDsl;

/// <summary>Finds losses by name across the assemblies it is given.</summary>
public sealed class LossRegistry
{
    private readonly SortedDictionary<string, Type> _byName = new(StringComparer.Ordinal);

    /// <summary>Collects every loss registered in <paramref name="assemblies"/>; two with the same name are an error.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="assemblies"/> or one of its elements is null.</exception>
    public LossRegistry(params Assembly[] assemblies)
    {
        ArgumentNullException.ThrowIfNull(assemblies);
        if (Array.IndexOf(assemblies, null) is var at and >= 0) throw new ArgumentNullException(nameof(assemblies), $"assemblies[{at}] is null.");
        foreach (var assembly in assemblies)
            foreach (var reg in assembly.GetCustomAttributes<GeneratedGanLossAttribute>())
            {
                if (_byName.TryGetValue(reg.Name, out var existing) && existing != reg.LossType)
                    throw new InvalidOperationException($"Two losses are named '{reg.Name}': {existing.FullName} and {reg.LossType.FullName}. Rename " +
                        "one with [GanLoss(\"...\")].");
                _byName[reg.Name] = reg.LossType;
            }

        // [GanLoss] classes the generator did not see (it was not attached to their project): named so the
        // error can say why a loss the user declared is missing, instead of "unknown loss".
        foreach (var assembly in assemblies)
        {
            Type[] types;
            try { types = assembly.GetTypes(); }
            catch (ReflectionTypeLoadException e) { types = e.Types.Where(t => t is not null).ToArray()!; }
            foreach (var type in types)
                if (type.GetCustomAttribute<GanLossAttribute>() is { } declared && !typeof(IGanLoss).IsAssignableFrom(type))
                    _ungenerated[declared.Name] = type;
        }
    }

    private readonly SortedDictionary<string, Type> _ungenerated = new(StringComparer.Ordinal);

    /// <summary>
    /// Loss classes declared with <c>[GanLoss]</c> in the given assemblies for which no code was generated: the
    /// GanDsl source generator did not run on their project.
    /// </summary>
    public IReadOnlyDictionary<string, Type> Ungenerated => _ungenerated;

    /// <summary>
    /// Why no loss named <paramref name="name"/> can be created, and what to do: an unknown name (with the known
    /// ones), or a declaration the generator never saw (with how to attach it).
    /// </summary>
    public string Missing(string name)
    {
        if (_ungenerated.TryGetValue(name, out var type))
            return $"Loss '{name}' ({type.FullName}) is declared, but no code was generated for it: the GanDsl source generator did not run on its project. " +
                   "Reference the GanDsl package (in a file-based app: `#:package GanDsl@<version>` at the top of the .cs file), " +
                   "or, for a project reference to src/Generator, " +
                   "add OutputItemType=\"Analyzer\" ReferenceOutputAssembly=\"false\" (see samples/CustomLoss/CustomLoss.csproj).";
        if (_byName.Count == 0)
            return $"Unknown loss '{name}': no loss is registered in the assemblies searched (none has code generated from a [GanLoss] class). " +
                   "Declare the loss in a project that references the GanDsl package, or load the assembly that holds it (new LossRegistry(assembly)).";
        return $"Unknown loss '{name}'. Known losses: {string.Join(", ", _byName.Keys)}. See `gan list`.";
    }

    /// <summary>Every registered name, in ordinal order.</summary>
    public IReadOnlyCollection<string> Names => _byName.Keys;

    /// <summary>True when a loss is registered under <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>A fresh instance (default hyperparameters, initial state) of the loss named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No loss has that name (the message says what to do).</exception>
    /// <exception cref="Training.UserCodeException">The loss's constructor threw.</exception>
    public IGanLoss Create(string name)
    {
        if (!_byName.TryGetValue(name, out var type)) throw new KeyNotFoundException(Missing(name));
        try { return (IGanLoss)Activator.CreateInstance(type)!; }
        catch (TargetInvocationException e) when (e.InnerException is { } inner && Training.UserCodeException.IsFenced(inner))
        {
            throw Training.UserCodeException.Threw(type, "constructor", inner);
        }
    }
}
