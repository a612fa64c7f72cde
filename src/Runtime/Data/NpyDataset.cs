namespace GanDsl.Data;

/// <summary>
/// User data from a float32 <c>.npy</c> file: N × D vectors or N × C × H × W images, served as stored
/// (no rescaling: images are expected in the range the generator's output activation produces, usually [−1, 1]).
/// </summary>
public sealed class NpyDataset : FiniteDataset
{
    private readonly float[] _data;
    private readonly long[] _sampleShape;
    private readonly int _sampleSize;

    /// <summary>Wraps an array whose first dimension indexes samples.</summary>
    /// <exception cref="ArgumentException">When the array is not 2-d or 4-d, or has no samples.</exception>
    public NpyDataset(string name, NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Shape.Length is not (2 or 4))
            throw new ArgumentException(
                $"'{name}' has shape {ShapeUtil.Format(array.Shape)}; a dataset needs N × D (vectors) or N × C × H × W (images).", nameof(array));
        if (array.Shape[0] == 0 || array.Data.Length == 0)
            throw new ArgumentException($"'{name}' has shape {ShapeUtil.Format(array.Shape)}: no samples.", nameof(array));
        Name = name;
        _data = array.Data;
        SampleCount = array.Shape[0];
        _sampleShape = array.Shape[1..];
        _sampleSize = checked((int)ShapeUtil.Product(_sampleShape));
    }

    /// <summary>Reads <paramref name="path"/> (see <see cref="NpyFile.Read"/>) and checks it holds samples.</summary>
    /// <exception cref="DataFileException">When the file is missing, malformed, or has the wrong rank.</exception>
    public static NpyDataset Load(string path)
    {
        if (Directory.Exists(path))
            throw new DataFileException(path, $"'{path}' is a folder; the data is a .npy file (or ring, grid, swissroll, fashion-mnist). Give the path of the file inside it.");
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
    public override void CopySample(long index, Span<float> destination) =>
        _data.AsSpan(checked((int)index * _sampleSize), _sampleSize).CopyTo(destination);
}
