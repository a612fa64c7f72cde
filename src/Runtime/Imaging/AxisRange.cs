namespace GanDsl.Imaging;

/// <summary>A closed interval of data values shown along one axis.</summary>
/// <param name="Min">Value at the left or bottom edge.</param>
/// <param name="Max">Value at the right or top edge (greater than <paramref name="Min"/>).</param>
public readonly record struct AxisRange(double Min, double Max)
{
    /// <summary>Checks that the range is finite and not empty.</summary>
    /// <exception cref="ArgumentException">When it is not.</exception>
    public AxisRange Validated(string name)
    {
        if (!double.IsFinite(Min) || !double.IsFinite(Max) || !(Max > Min))
            throw new ArgumentException($"The {name} range [{Min}, {Max}] must be finite with max > min.", name);
        return this;
    }
}

/// <summary>The ranges of both axes of a 2-D scatter plot; <see cref="ScatterPlot.FrameFor"/> makes them equally wide (a square plot area keeps equal
/// units).</summary>
/// <param name="X">The horizontal range.</param>
/// <param name="Y">The vertical range.</param>
public readonly record struct PlotFrame(AxisRange X, AxisRange Y)
{
    /// <summary>The same range on both axes.</summary>
    public static PlotFrame Square(AxisRange range) => new(range, range);
}
