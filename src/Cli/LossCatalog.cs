namespace GanDsl.Cli;

/// <summary>Builds the <see cref="LossRegistry"/> of the program: the zoo (GanDsl.Losses) plus user assemblies given with --assembly.</summary>
public static class LossCatalog
{
    /// <summary>The registry over the zoo and <paramref name="assemblyPaths"/>.</summary>
    /// <exception cref="UsageException">An assembly is missing or cannot be loaded, or two losses share a name.</exception>
    public static LossRegistry Load(IEnumerable<string> assemblyPaths)
    {
        var assemblies = UserAssemblies.Load(assemblyPaths).Prepend(GanDsl.Losses.Zoo.Assembly);
        try
        {
            return new LossRegistry(assemblies.Distinct().ToArray());
        }
        catch (InvalidOperationException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
