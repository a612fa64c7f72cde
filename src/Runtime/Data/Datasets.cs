using GanDsl.Formats;

namespace GanDsl.Data;

/// <summary>Creates a dataset from the name a user gives on the command line or in a config.</summary>
public static class Datasets
{
    /// <summary>The built-in names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["ring", "grid", "swissroll", "fashion-mnist"];

    /// <summary>
    /// "ring" | "grid" | "swissroll" | "fashion-mnist" | a path ending in ".npy". For "fashion-mnist",
    /// <paramref name="fashionMnistPath"/> overrides the Debian location. The ring and grid are labelled with their modes
    /// and Fashion-MNIST with its classes (when its labels file lies beside the images: <see cref="FashionMnist.LabelsPathFor"/>);
    /// a <c>.npy</c> file is labelled by <paramref name="labelsPath"/>, a <c>.npy</c> file of one class index per sample
    /// (see <see cref="LoadLabels"/>).
    /// </summary>
    /// <exception cref="ArgumentException">When the name is unknown (the message lists the valid ones), or labels are given for built-in data.</exception>
    /// <exception cref="DataFileException">When a file is missing or malformed, or the labels do not fit the samples.</exception>
    public static IDataset Create(string nameOrPath, string? fashionMnistPath = null, string? labelsPath = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrPath);
        var builtIn = nameOrPath.Trim().ToLowerInvariant();
        if (labelsPath is not null && Names.Contains(builtIn))
            throw new ArgumentException($"Labels files are for .npy data; '{builtIn}' " +
                $"{(builtIn == "swissroll" ? "has no classes" : "comes with its own labels")}. Leave the labels file out.", nameof(labelsPath));
        switch (builtIn)
        {
            case "ring": return GaussianMixture2D.Ring();
            case "grid": return GaussianMixture2D.Grid();
            case "swissroll": return new SwissRoll2D();
            case "fashion-mnist":
                // Labelled when the labels lie beside the images (Debian installs both); an images file alone still trains unconditional losses.
                var imagesPath = fashionMnistPath ?? FashionMnist.DefaultTrainImagesPath;
                return FashionMnist.LabelsPathFor(imagesPath) is { } labels && File.Exists(labels) && File.Exists(imagesPath)
                    ? FashionMnist.LoadLabelled(fashionMnistPath, labels)
                    : FashionMnist.Load(fashionMnistPath);
        }
        if (nameOrPath.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) || Directory.Exists(nameOrPath))
        {
            var samples = NpyDataset.Load(nameOrPath);   // which says so if the path is a folder
            return labelsPath is null ? samples : LoadLabels(samples, labelsPath);
        }
        throw new ArgumentException(
            $"Unknown dataset '{nameOrPath}'. Use one of {string.Join(", ", Names)}, or the path of a float32 .npy file (N × D or N × C × H × W).",
            nameof(nameOrPath));
    }

    /// <summary>
    /// <paramref name="samples"/> labelled by the <c>.npy</c> file <paramref name="labelsPath"/>: one class index per
    /// sample, shape [N], integers of any width or whole-number floats (<see cref="NpyFile.ReadLabels"/>); K is the largest
    /// label + 1.
    /// </summary>
    /// <exception cref="DataFileException">The file is missing or malformed, or its labels do not fit the samples (the message names both files).</exception>
    public static LabelledFiniteDataset LoadLabels(FiniteDataset samples, string labelsPath)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentException.ThrowIfNullOrWhiteSpace(labelsPath);
        if (!File.Exists(labelsPath))
            throw new DataFileException(labelsPath, $"The labels file '{labelsPath}' does not exist. Save the labels with numpy.save(path, " +
                "labels.astype('int64')), one class index per sample.");
        var (values, shape) = NpyFile.ReadLabels(labelsPath);
        try
        {
            using var labels = TorchSharp.torch.tensor(values, shape);
            return LabelledFiniteDataset.Create(samples, labels, $"The labels file '{labelsPath}' (for the data '{samples.Name}')", null, null,
                nameof(labelsPath));
        }
        catch (ArgumentException e)
        {
            throw new DataFileException(labelsPath, e.Message.Split(" (Parameter")[0], e);
        }
    }
}
