namespace GanDsl.Formats;

/// <summary>Small helpers for shapes held as <c>long</c> arrays.</summary>
internal static class ShapeUtil
{
    /// <summary>Product of the dimensions, checked against overflow and negative sizes.</summary>
    public static long Product(IReadOnlyList<long> shape)
    {
        long n = 1;
        foreach (long d in shape)
        {
            if (d < 0) throw new ArgumentException($"Shape {Format(shape)} has a negative dimension.");
            n = checked(n * d);
        }
        return n;
    }

    /// <summary>"[2, 3, 4]" for messages.</summary>
    public static string Format(IReadOnlyList<long> shape) => "[" + string.Join(", ", shape) + "]";
}
