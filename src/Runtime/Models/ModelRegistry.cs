using System.Reflection;
using GanDsl.Training;

namespace GanDsl.Models;

/// <summary>
/// Finds model families by name, beside <see cref="LossRegistry"/>: the built-in ones (<see cref="ModelFactory"/>)
/// and those of the assemblies it is given. A family of your own is a public, non-abstract class implementing
/// <see cref="IModelFamily"/> with a public parameterless constructor; it is found by its <see cref="IModelFamily.Name"/>
/// (case-insensitive), as checkpoints record it.
/// </summary>
public sealed class ModelRegistry
{
    private readonly List<IModelFamily> _families = new(ModelFactory.All);

    /// <summary>The built-in families, then one instance of each family class of <paramref name="assemblies"/>, in type-name order.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="assemblies"/> or one of its elements is null.</exception>
    /// <exception cref="InvalidOperationException">Two families share a name, or an assembly's types cannot be read.</exception>
    /// <exception cref="UserCodeException">A family's constructor or <see cref="IModelFamily.Name"/> threw.</exception>
    public ModelRegistry(params Assembly[] assemblies)
    {
        ArgumentNullException.ThrowIfNull(assemblies);
        if (Array.IndexOf(assemblies, null) is var at and >= 0) throw new ArgumentNullException(nameof(assemblies), $"assemblies[{at}] is null.");
        foreach (var assembly in assemblies.Distinct())
            foreach (var type in FamilyTypes(assembly))
            {
                IModelFamily family;
                string name;
                try
                {
                    family = (IModelFamily)Activator.CreateInstance(type)!;
                }
                catch (TargetInvocationException e) when (e.InnerException is { } inner && UserCodeException.IsFenced(inner))
                {
                    throw UserCodeException.Threw(type, "constructor", inner);
                }
                try { name = family.Name ?? throw new InvalidOperationException("Name is null"); }
                catch (Exception e) when (UserCodeException.IsFenced(e)) { throw UserCodeException.Threw(type, nameof(IModelFamily.Name), e); }
                if (Find(name) is { } taken)
                    throw new InvalidOperationException($"Two model families are named '{name}' ({taken.GetType().FullName} and {type.FullName}). Give " +
                        "them different Name values.");
                _families.Add(family);
            }
    }

    /// <summary>Every family: the built-in ones first.</summary>
    public IReadOnlyList<IModelFamily> Families => _families;

    /// <summary>The families' names, in <see cref="Families"/> order.</summary>
    public IReadOnlyList<string> Names => _families.Select(f => f.Name).ToArray();

    /// <summary>Whether a family is named <paramref name="name"/> (case-insensitive).</summary>
    public bool Contains(string name) => Find(name) is not null;

    /// <summary>The family named <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No family has that name; the message lists the names there are.</exception>
    public IModelFamily Get(string name) =>
        Find(name) ?? throw new ArgumentException(
            $"Unknown model '{name}'. Use one of: {string.Join(", ", Names)} (a family of your own: a public class implementing IModelFamily " +
            "with a public parameterless constructor, in an assembly the model registry is given).", nameof(name));

    private IModelFamily? Find(string? name) =>
        name is null ? null : _families.FirstOrDefault(f => string.Equals(f.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<Type> FamilyTypes(Assembly assembly)
    {
        Type[] types;
        try { types = assembly.GetExportedTypes(); }
        catch (Exception e) when (e is ReflectionTypeLoadException or FileNotFoundException or FileLoadException)
        {
            throw new InvalidOperationException($"Cannot read the types of '{assembly.Location}' ({e.Message}).", e);
        }
        return types.Where(t => t is { IsClass: true, IsAbstract: false, ContainsGenericParameters: false }
                                && typeof(IModelFamily).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
                    .OrderBy(t => t.FullName, StringComparer.Ordinal);
    }
}
