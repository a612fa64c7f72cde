using System.Reflection;

namespace GanDsl.Cli;

/// <summary>Builds the <see cref="LossRegistry"/> of the program: the zoo (GanDsl.Losses) plus user assemblies given with --assembly.</summary>
public static class LossCatalog
{
    /// <summary>The registry over the zoo and <paramref name="assemblyPaths"/>.</summary>
    /// <exception cref="UsageException">An assembly is missing or cannot be loaded, or two losses share a name.</exception>
    public static LossRegistry Load(IEnumerable<string> assemblyPaths)
    {
        var assemblies = new List<Assembly> { GanDsl.Losses.Zoo.Assembly };
        foreach (var path in assemblyPaths)
        {
            var full = Path.GetFullPath(path);
            if (!File.Exists(full)) throw new UsageException($"--assembly: '{full}' does not exist. Give the path of a built .dll that declares [GanLoss] classes.");
            try
            {
                assemblies.Add(Assembly.LoadFrom(full));
            }
            catch (Exception e) when (e is BadImageFormatException or FileLoadException)
            {
                throw new UsageException($"--assembly: cannot load '{full}' ({e.Message}). Give a .NET assembly built against this GanDsl.");
            }
        }
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
