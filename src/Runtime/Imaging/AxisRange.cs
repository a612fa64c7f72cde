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
