namespace GanDsl.Imaging;

/// <summary>
/// The picture of a conditional generator's images: one row per class (class 0 at the top), the first
/// <c>columns</c> images generated for that class along the row.
/// </summary>
public static class ClassGrid
{
    /// <summary>Images per row by default.</summary>
    public const int DefaultColumns = 8;

    /// <summary>
    /// The images of <paramref name="data"/> (N × C × H × W) rearranged class by class: for k = 0 … K−1, the first
    /// <c>columns</c> images labelled k, where <c>columns</c> is <paramref name="columns"/> or fewer when some class has
    /// fewer images. Null when some class has none (no row can be drawn for it).
    /// </summary>
    /// <exception cref="ArgumentException">The labels are not one per image.</exception>
    public static (float[] Images, long[] Shape, int Columns)? Arrange(ReadOnlySpan<float> data, IReadOnlyList<long> shape, IReadOnlyList<long> labels, int classCount,
        int columns = DefaultColumns)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count != shape[0]) throw new ArgumentException($"{shape[0]} images need {shape[0]} labels, not {labels.Count}.", nameof(labels));
        var byClass = Enumerable.Range(0, classCount).Select(_ => new List<int>()).ToArray();
        for (var i = 0; i < labels.Count; i++)
            if (labels[i] >= 0 && labels[i] < classCount && byClass[labels[i]].Count < columns) byClass[labels[i]].Add(i);
        var width = byClass.Min(c => c.Count);
        if (width == 0) return null;
        var per = (int)(data.Length / shape[0]);
        var images = new float[(long)classCount * width * per];
        var slot = 0;
        foreach (var members in byClass)
            foreach (var i in members.Take(width))
                data.Slice(i * per, per).CopyTo(images.AsSpan(slot++ * per, per));
        return (images, [classCount * width, .. shape.Skip(1)], width);
    }

    /// <summary>Saves the per-class grid of <see cref="Arrange"/>; false (nothing written) when some class has no image or the samples are not images.</summary>
    public static bool Save(string path, ReadOnlySpan<float> data, IReadOnlyList<long> shape, IReadOnlyList<long> labels, int classCount, string title,
        int columns = DefaultColumns)
    {
        if (shape.Count != 4 || shape[1] is not (1 or 3)) return false;
        if (Arrange(data, shape, labels, classCount, columns) is not { } grid) return false;
        ImageGrid.Save(path, grid.Images, grid.Shape, grid.Columns, title: title);
        return true;
    }
}
