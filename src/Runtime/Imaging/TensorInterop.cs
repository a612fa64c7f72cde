using GanDsl.Data;
using static TorchSharp.torch;

namespace GanDsl.Imaging;

/// <summary>Picture helpers that take TorchSharp tensors (copied to host memory as float32 first).</summary>
public static class ImagingTensorExtensions
{
    /// <summary>Saves a batch of images (N × 1 × H × W or N × 3 × H × W, values in [−1, 1]) as a PNG grid; see <see cref="ImageGrid.Render"/>.</summary>
    public static void SaveImageGrid(this Tensor images, string path, int? columns = null, int border = 2, int? scale = null, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ImageGrid.Save(path, images.HostFloats(), images.shape, columns, border, scale, title);
    }

    /// <summary>Saves a scatter plot of real against generated N × 2 samples; see <see cref="ScatterPlot.Render"/>.</summary>
    /// <exception cref="ArgumentException">When a tensor is not N × 2.</exception>
    public static void SaveScatterPlot(string path, Tensor real, Tensor generated, ScatterPlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(real);
        ArgumentNullException.ThrowIfNull(generated);
        CheckPoints(real, nameof(real));
        CheckPoints(generated, nameof(generated));
        ScatterPlot.Save(path, real.HostFloats(), generated.HostFloats(), options);
    }

    private static void CheckPoints(Tensor t, string name)
    {
        long[] shape = t.shape;
        if (shape.Length != 2 || shape[1] != 2)
            throw new ArgumentException($"A scatter plot needs N × 2 samples; '{name}' has shape [{string.Join(", ", shape)}].", name);
    }
}
