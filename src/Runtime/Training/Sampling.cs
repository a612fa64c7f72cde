using GanDsl.Data;
using GanDsl.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Training;

/// <summary>Drawing samples from a generator network and turning them into pictures.</summary>
public static class Sampling
{
    /// <summary>Samples generated per forward pass, to bound memory.</summary>
    public const int Chunk = 500;

    /// <summary>
    /// Generates <paramref name="count"/> samples from <paramref name="generator"/> in evaluation mode (batch norm
    /// uses its running statistics, and nothing of the network changes) without autograd, from standard normal
    /// noise of per-sample shape <paramref name="noiseShape"/> drawn from <paramref name="random"/>.
    /// </summary>
    /// <param name="generator">An <c>nn.Module&lt;Tensor, Tensor&gt;</c>, or for a conditional generator an <c>nn.Module&lt;Tensor, Tensor, Tensor&gt;</c>
    /// (noise, labels).</param>
    /// <param name="noiseShape">One noise vector's shape.</param>
    /// <param name="count">Samples to generate.</param>
    /// <param name="random">Draws the noise.</param>
    /// <param name="device">Where the generator lives.</param>
    /// <param name="labels">The class of each of the <paramref name="count"/> samples, for a conditional generator (required then); null otherwise.</param>
    /// <returns>The samples, row-major, float32, and their shape [count, ...sample shape].</returns>
    /// <exception cref="ArgumentException">A conditional generator without <paramref name="labels"/>, or labels of the wrong length.</exception>
    public static (float[] Data, long[] Shape) Generate(nn.Module generator, IReadOnlyList<long> noiseShape, int count, Generator random, Device device,
        long[]? labels = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        Func<Tensor, int, int, Tensor> call = generator switch
        {
            nn.Module<Tensor, Tensor> g => (z, _, _) => g.call(z),
            nn.Module<Tensor, Tensor, Tensor> g when labels is not null => labels.Length == count
                ? (z, from, n) => g.call(z, torch.tensor(labels.AsSpan(from, n).ToArray(), ScalarType.Int64, device))
                : throw new ArgumentException($"Sampling.Generate: {labels.Length} labels for {count} samples; give one class per sample.", nameof(labels)),
            nn.Module<Tensor, Tensor, Tensor> => throw new ArgumentException(
                $"Sampling.Generate: the generator ({generator.GetType().Name}) takes class labels; give the class of each sample (labels).", nameof(labels)),
            _ => throw new ArgumentException($"Sampling.Generate: the generator ({generator.GetType().Name}) is neither an nn.Module<Tensor, Tensor> " +
                "nor an nn.Module<Tensor, Tensor, Tensor>.", nameof(generator)),
        };
        var wasTraining = generator.training;
        generator.eval();
        try
        {
            using var noGrad = torch.no_grad();
            var data = new List<float>();
            long[]? sampleShape = null;
            for (var done = 0; done < count; done += Chunk)
            {
                using var scope = torch.NewDisposeScope();
                var n = Math.Min(Chunk, count - done);
                var z = torch.randn([n, .. noiseShape], ScalarType.Float32, device, generator: random);
                var x = call(z, done, n);
                sampleShape ??= x.shape[1..];
                data.AddRange(x.HostFloats());
            }
            return (data.ToArray(), [count, .. sampleShape ?? []]);
        }
        finally
        {
            generator.train(wasTraining);
        }
    }

    /// <summary>
    /// Saves a picture of samples: a scatter plot against <paramref name="real"/> for 2-d samples, an image grid
    /// for C×H×W samples (the first 64, upscaled; 28 × 28 images 4×), titled. Returns false (and writes nothing) for other shapes.
    /// With <paramref name="labels"/> (a conditional generator's classes, one per sample) the scatter plot colours the
    /// points by class, and the image grid has one row per class (<see cref="ClassRows"/>).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="labels"/> has not one class per sample.</exception>
    public static bool SavePicture(string path, float[] samples, long[] shape, float[]? real, string title, PlotFrame? frame = null, long[]? labels = null)
    {
        if (labels is not null && labels.Length != shape[0])
            throw new ArgumentException($"{labels.Length} labels for {shape[0]} samples; give one class per sample.", nameof(labels));
        if (shape.Length == 2 && shape[1] == 2)
        {
            var options = new ScatterPlotOptions
            {
                Title = title, Frame = frame ?? ScatterPlot.FrameFor(real is { Length: > 0 } ? real : samples),
                GeneratedLabels = labels
            };
            ScatterPlot.Save(path, real ?? [], samples, options);
            return true;
        }
        if (shape.Length == 4 && shape[1] is 1 or 3)
        {
            var per = (int)(shape[1] * shape[2] * shape[3]);
            if (labels is not null)
            {
                var (images, columns, classes) = ClassRows(samples, per, labels);
                ImageGrid.Save(path, images, [images.Length / per, shape[1], shape[2], shape[3]], columns: columns,
                    title: $"{title}, one row per class ({classes[0]} to {classes[^1]})");
                return true;
            }
            var n = (int)Math.Min(shape[0], 64);
            ImageGrid.Save(path, samples.AsSpan(0, n * per), [n, shape[1], shape[2], shape[3]], title: title);
            return true;
        }
        return false;
    }

    /// <summary>Most classes a per-class image grid shows (the smallest labels), and most images per class.</summary>
    public const int GridClasses = 16, GridColumns = 8;

    /// <summary>
    /// The images of a per-class grid: for each class in <paramref name="labels"/> (ascending, at most
    /// <see cref="GridClasses"/>), its first images in sample order, as many per class as the rarest shown class has
    /// (at most <see cref="GridColumns"/>), row after row; that count, the grid's columns; and the classes shown, one per row.
    /// </summary>
    public static (float[] Images, int Columns, long[] Classes) ClassRows(float[] samples, int valuesPerSample, IReadOnlyList<long> labels)
    {
        var classes = labels.Distinct().Order().Take(GridClasses).ToArray();
        var rows = classes.Select(c => Enumerable.Range(0, labels.Count).Where(i => labels[i] == c).Take(GridColumns).ToArray()).ToArray();
        var columns = rows.Min(r => r.Length);
        var images = new float[classes.Length * columns * valuesPerSample];
        var at = 0;
        foreach (var row in rows)
            foreach (var i in row.Take(columns))
            {
                samples.AsSpan(i * valuesPerSample, valuesPerSample).CopyTo(images.AsSpan(at));
                at += valuesPerSample;
            }
        return (images, columns, classes);
    }

    /// <summary>
    /// The labels a conditional generator's pictures and final samples are drawn with: every class in turn
    /// (0, 1, ..., K−1, 0, 1, ...) for <paramref name="cycle"/>, else <paramref name="count"/> / K of class 0, then of class 1, ...
    /// (the rows of a grid, when <paramref name="count"/> is a multiple of K).
    /// </summary>
    public static long[] ClassCycle(int count, int classCount, bool cycle = true) =>
        Enumerable.Range(0, count).Select(i => (long)(cycle ? i % classCount : Math.Min(i / Math.Max(1, count / classCount), classCount - 1))).ToArray();
}
