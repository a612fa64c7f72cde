using System.Reflection;
using GanDsl.Models;

namespace GanDsl.Cli;

/// <summary>
/// The model families <c>gan train --model</c> can use: the built-in ones (<see cref="ModelFactory"/>) and those of
/// the assemblies given with <c>--assembly</c>. A user family is a public, non-abstract class implementing
/// <see cref="IModelFamily"/> with a public parameterless constructor; <c>--model</c> names it by its
/// <see cref="IModelFamily.Name"/> (case-insensitive), as checkpoints do.
/// </summary>
public static class ModelCatalog
{
    /// <summary>The built-in families, then one instance of each family class in <paramref name="assemblyPaths"/>.</summary>
    /// <exception cref="UsageException">An assembly cannot be loaded, a family cannot be created, or two families share a name.</exception>
    public static IReadOnlyList<IModelFamily> Load(IEnumerable<string> assemblyPaths)
    {
        var families = new List<IModelFamily>(ModelFactory.All);
        foreach (var assembly in UserAssemblies.Load(assemblyPaths).Distinct())
            foreach (var type in FamilyTypes(assembly))
            {
                IModelFamily family;
                try { family = (IModelFamily)Activator.CreateInstance(type)!; }
                catch (TargetInvocationException e)
                {
                    throw new UsageException($"--assembly: model family {type.FullName} could not be created: {(e.InnerException ?? e).Message}");
                }
                if (families.FirstOrDefault(f => string.Equals(f.Name, family.Name, StringComparison.OrdinalIgnoreCase)) is { } taken)
                    throw new UsageException($"--assembly: two model families are named '{family.Name}' ({taken.GetType().FullName} and {type.FullName}). Give them different Name values.");
                families.Add(family);
            }
        return families;
    }

    /// <summary>The family named <paramref name="name"/> among the built-in ones and those of <paramref name="assemblyPaths"/>.</summary>
    /// <exception cref="UsageException">No family has that name (the message lists the names there are), or loading failed.</exception>
    public static IModelFamily Get(string name, IEnumerable<string> assemblyPaths)
    {
        var families = Load(assemblyPaths);
        return families.FirstOrDefault(f => string.Equals(f.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new UsageException($"Unknown model '{name}'. Use one of: {string.Join(", ", families.Select(f => f.Name))}" +
                                        " (a family of your own: a public class implementing IModelFamily with a public parameterless constructor, in an assembly given with --assembly).");
    }

    private static IEnumerable<Type> FamilyTypes(Assembly assembly)
    {
        Type[] types;
        try { types = assembly.GetExportedTypes(); }
        catch (Exception e) when (e is ReflectionTypeLoadException or FileNotFoundException or FileLoadException)
        {
            throw new UsageException($"--assembly: cannot read the types of '{assembly.Location}' ({e.Message}).");
        }
        return types.Where(t => t is { IsClass: true, IsAbstract: false, ContainsGenericParameters: false }
                                && typeof(IModelFamily).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
                    .OrderBy(t => t.FullName, StringComparer.Ordinal);
    }
}
