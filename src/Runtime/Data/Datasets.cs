using GanDsl.Formats;

namespace GanDsl.Data;

/// <summary>Creates a dataset from the name a user gives on the command line or in a config.</summary>
public static class Datasets
{
    /// <summary>The built-in names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["ring", "grid", "swissroll", "fashion-mnist"];

    /// <summary>
    /// "ring" | "grid" | "swissroll" | "fashion-mnist" | a path ending in ".npy". For "fashion-mnist",
    /// <paramref name="fashionMnistPath"/> overrides the Debian location.
    /// </summary>
    /// <exception cref="ArgumentException">When the name is unknown (the message lists the valid ones).</exception>
    /// <exception cref="DataFileException">When a file is missing or malformed.</exception>
    public static IDataset Create(string nameOrPath, string? fashionMnistPath = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrPath);
        switch (nameOrPath.Trim().ToLowerInvariant())
        {
            case "ring": return GaussianMixture2D.Ring();
            case "grid": return GaussianMixture2D.Grid();
            case "swissroll": return new SwissRoll2D();
            case "fashion-mnist": return FashionMnist.Load(fashionMnistPath);
        }
        if (nameOrPath.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) || Directory.Exists(nameOrPath))
            return NpyDataset.Load(nameOrPath);   // which says so if the path is a folder
        throw new ArgumentException(
            $"Unknown dataset '{nameOrPath}'. Use one of {string.Join(", ", Names)}, or the path of a float32 .npy file (N × D or N × C × H × W).",
            nameof(nameOrPath));
    }
}
