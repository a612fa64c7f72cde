using GanDsl.Models;
using GanDsl.Training;

namespace GanDsl.Cli;

/// <summary>
/// The <see cref="ModelRegistry"/> of the program: the built-in families plus those of the assemblies given with
/// <c>--assembly</c>, with the registry's errors as one-line usage errors.
/// </summary>
public static class ModelCatalog
{
    /// <summary>The registry over the built-in families and <paramref name="assemblyPaths"/>.</summary>
    /// <exception cref="UsageException">An assembly cannot be loaded or read, a family cannot be created, or two families share a name.</exception>
    public static ModelRegistry Load(IEnumerable<string> assemblyPaths)
    {
        var assemblies = UserAssemblies.Load(assemblyPaths);
        try { return new ModelRegistry([.. assemblies]); }
        catch (Exception e) when (e is InvalidOperationException or UserCodeException)
        {
            throw new UsageException($"--assembly: {e.Message}");
        }
    }

    /// <summary>The family named <paramref name="name"/> among the built-in ones and those of <paramref name="assemblyPaths"/>.</summary>
    /// <exception cref="UsageException">No family has that name (the message lists the names there are), or loading failed.</exception>
    public static IModelFamily Get(string name, IEnumerable<string> assemblyPaths)
    {
        try { return Load(assemblyPaths).Get(name); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
    }
}
