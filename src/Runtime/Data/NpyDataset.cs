using GanDsl.Formats;
using TorchSharp;
using static TorchSharp.torch;

namespace GanDsl.Data;

/// <summary>
/// User data held in memory, from a float32 <c>.npy</c> file or a tensor (<see cref="UserData.FromTensor(Tensor, string)"/>): N × D
/// vectors or N × C × H × W images, served as stored (no rescaling: images are expected in the range the generator's
/// output activation produces, usually [−1, 1]). Batches are gathered on the run's device.
/// </summary>
public sealed class NpyDataset : FiniteDataset
{
    private readonly InMemorySamples _samples;
    private readonly long[] _sampleShape;

    /// <summary>Wraps an array whose first dimension indexes samples.</summary>
    /// <exception cref="ArgumentException">When the array is not 2-d or 4-d, or has no samples.</exception>
    public NpyDataset(string name, NpyArray array)
        : this(name, Check(name, array, nameof(array)), torch.tensor(array.Data, array.Shape))
    {
    }

    /// <summary>Wraps <paramref name="samples"/> (float32, already checked, owned by the dataset from now on).</summary>
    internal NpyDataset(string name, Tensor samples) : this(name, Check(name, samples.shape, nameof(samples)), samples)
    {
    }

    private NpyDataset(string name, long[] shape, Tensor samples)
    {
        Name = name;
        SampleCount = shape[0];
        _sampleShape = shape[1..];
        _samples = new InMemorySamples(samples);
    }

    private static long[] Check(string name, NpyArray? array, string parameter)
    {
        ArgumentNullException.ThrowIfNull(array, parameter);
        return Check(name, array.Shape, parameter);
    }

    private static long[] Check(string name, long[] shape, string parameter)
    {
        if (shape.Length is not (2 or 4))
            throw new ArgumentException($"'{name}' has shape {ShapeUtil.Format(shape)}; a dataset needs N × D (vectors) or N × C × H × W (images).", parameter);
        if (shape.Any(d => d == 0))
            throw new ArgumentException($"'{name}' has shape {ShapeUtil.Format(shape)}: no samples.", parameter);
        return shape;
    }

    /// <summary>Reads <paramref name="path"/> (see <see cref="NpyFile.Read"/>) and checks it holds samples.</summary>
    /// <exception cref="DataFileException">When the file is missing, malformed, or has the wrong rank.</exception>
    public static NpyDataset Load(string path)
    {
        if (Directory.Exists(path))
            throw new DataFileException(path, $"'{path}' is a folder; the data is a .npy file (or ring, grid, swissroll, fashion-mnist). Give the path " +
                "of the file inside it.");
        if (!File.Exists(path))
            throw new DataFileException(path, $"The dataset file '{path}' does not exist. Save your samples with numpy.save(path, array.astype('<f4')).");
        NpyArray array = NpyFile.Read(path);
        try
        {
            return new NpyDataset(Path.GetFileName(path), array);
        }
        catch (ArgumentException e)
        {
            throw new DataFileException(path, $"The .npy file '{path}' cannot be a dataset: {e.Message.Split(" (Parameter")[0]}", e);
        }
    }

    /// <inheritdoc/>
    public override string Name { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<long> SampleShape => _sampleShape;

    /// <inheritdoc/>
    public override long SampleCount { get; }

    /// <inheritdoc/>
    public override Tensor GetBatch(Tensor indices) => _samples.Gather(indices);
}
