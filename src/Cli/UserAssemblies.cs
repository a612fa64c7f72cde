using System.Reflection;

namespace GanDsl.Cli;

/// <summary>Loads the user assemblies given with <c>--assembly</c>, with one-line errors.</summary>
public static class UserAssemblies
{
    /// <summary>The assemblies at <paramref name="paths"/>, in order.</summary>
    /// <exception cref="UsageException">A file is missing or is not a loadable .NET assembly.</exception>
    public static IReadOnlyList<Assembly> Load(IEnumerable<string> paths)
    {
        var assemblies = new List<Assembly>();
        foreach (var path in paths)
        {
            var full = Path.GetFullPath(path);
            if (!File.Exists(full)) throw new UsageException($"--assembly: '{full}' does not exist. Give the path of a built .dll that declares " +
                "[GanLoss] classes or model families.");
            try
            {
                assemblies.Add(Assembly.LoadFrom(full));
            }
            catch (Exception e) when (e is BadImageFormatException or FileLoadException)
            {
                throw new UsageException($"--assembly: cannot load '{full}' ({e.Message}). Give a .NET assembly built against this GanDsl.");
            }
        }
        return assemblies;
    }
}
