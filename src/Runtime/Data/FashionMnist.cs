using GanDsl.Formats;
using TorchSharp;

namespace GanDsl.Data;

/// <summary>
/// Fashion-MNIST (Xiao, Rasul &amp; Vollgraf 2017): 60 000 grayscale 28 × 28 training images, read from the IDX
/// files that Debian's <c>dataset-fashion-mnist</c> package installs.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> installs the training images.</summary>
    public const string DefaultTrainImagesPath = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";

    /// <summary>The ten classes, in label order (Xiao, Rasul &amp; Vollgraf 2017, table 1).</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// The labels file that belongs to an images file: the same folder and name with <c>images-idx3</c> replaced by
    /// <c>labels-idx1</c> (<c>train-labels-idx1-ubyte.gz</c> beside <c>train-images-idx3-ubyte.gz</c>); null when the
    /// name does not follow that pattern.
    /// </summary>
    public static string? LabelsPathFor(string imagesPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(imagesPath);
        var file = Path.GetFileName(imagesPath);
        return file.Contains("images-idx3", StringComparison.Ordinal)
            ? Path.Combine(Path.GetDirectoryName(imagesPath) ?? "", file.Replace("images-idx3", "labels-idx1", StringComparison.Ordinal))
            : null;
    }

    /// <summary>
    /// The training images (or those of <paramref name="path"/>) with their classes, read from <paramref name="labelsPath"/>
    /// (default: <see cref="LabelsPathFor"/> the images), for conditional losses: batches as <see cref="Load"/> draws
    /// them, each with the labels of its images; the classes are <see cref="ClassNames"/>.
    /// </summary>
    /// <exception cref="DataFileException">When a file is missing, truncated or corrupt, or the labels do not fit the images (count, values above
    /// 9).</exception>
    public static LabelledFiniteDataset LoadLabelled(string? path = null, string? labelsPath = null)
    {
        var images = Load(path);
        path ??= DefaultTrainImagesPath;
        labelsPath ??= LabelsPathFor(path)
            ?? throw new DataFileException(path, $"No labels file is known for '{path}' (its name has no 'images-idx3'); give the path of its " +
                "labels-idx1 file.");
        if (!File.Exists(labelsPath))
            throw new DataFileException(labelsPath, $"Fashion-MNIST labels not found at '{labelsPath}' (for the images '{path}'). Debian's " +
                "dataset-fashion-mnist installs them beside the images.");
        var labels = IdxFile.ReadLabels(labelsPath);
        try
        {
            using var tensor = torch.tensor(labels);
            return LabelledFiniteDataset.Create(images, tensor, $"The labels file '{labelsPath}'", ClassNames.Count, ClassNames, nameof(labelsPath));
        }
        catch (ArgumentException e)
        {
            throw new DataFileException(labelsPath, e.Message.Split(" (Parameter")[0], e);
        }
    }

    /// <summary>Loads the training images (or any IDX3 image file given by <paramref name="path"/>), scaled to [−1, 1], samples 1 × 28 × 28.</summary>
    /// <exception cref="DataFileException">When the file is missing (the message says how to install it), truncated or corrupt.</exception>
    public static ByteImageDataset Load(string? path = null)
    {
        path ??= DefaultTrainImagesPath;
        if (!File.Exists(path))
        {
            throw new DataFileException(path,
                $"Fashion-MNIST images not found at '{path}'. On Debian/Ubuntu install it with: apt-get install dataset-fashion-mnist " +
                "(or pass the path of a train-images-idx3-ubyte.gz file).");
        }
        return new ByteImageDataset("fashion-mnist", IdxFile.ReadImages(path));
    }
}
