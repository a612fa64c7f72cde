namespace GanDsl.Data;

/// <summary>
/// Natural logarithm, sine and cosine built only from IEEE-754 basic operations (+, −, ×, ÷, √),
/// which are correctly rounded on every platform.
/// </summary>
/// <remarks>
/// <see cref="Math.Log(double)"/> and <see cref="Math.Cos(double)"/> call the platform's C runtime, whose
/// last-bit rounding differs between operating systems and runtime versions. The embedded toy datasets
/// promise bit-identical samples for a given seed everywhere, so their Gaussian and Swiss-roll draws use
/// these functions instead. Accuracy is a few units in the last place, far below any sampling noise.
/// </remarks>
internal static class DeterministicMath
{
    private const double Ln2 = 0.6931471805599453094172321;
    /// <summary>2π rounded to double.</summary>
    public const double TwoPi = 6.283185307179586476925287;
    private const double HalfPi = 1.570796326794896619231322;

    /// <summary>Natural logarithm of a positive finite <paramref name="x"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="x"/> is not positive and finite.</exception>
    public static double Log(double x)
    {
        if (!(x > 0) || double.IsInfinity(x))
            throw new ArgumentOutOfRangeException(nameof(x), x, "DeterministicMath.Log needs a positive finite argument.");

        // Write x = m · 2^e with m in [√½, √2), so that s = (m−1)/(m+1) is at most 0.1716 in magnitude.
        long bits = BitConverter.DoubleToInt64Bits(x);
        int exponent = (int)((bits >> 52) & 0x7FF);
        if (exponent == 0)
        {
            // Subnormal: scale into the normal range first (2^54 is exact).
            return Log(x * 18014398509481984.0) - 54 * Ln2;
        }
        int e = exponent - 1023;
        double m = BitConverter.Int64BitsToDouble((bits & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L); // in [1, 2)
        if (m > 1.4142135623730951) { m *= 0.5; e += 1; }

        // log(m) = 2·atanh(s) = 2·(s + s³/3 + s⁵/5 + ...); s² ≤ 0.0295, so 13 terms reach 1e-19.
        double s = (m - 1.0) / (m + 1.0);
        double s2 = s * s;
        double sum = 0.0;
        for (int k = 25; k >= 3; k -= 2) sum = (sum + 1.0 / k) * s2;
        double logM = 2.0 * s * (1.0 + sum);
        return logM + e * Ln2;
    }

    /// <summary>Sine of a finite <paramref name="x"/> (accurate for |x| up to about 1e6).</summary>
    public static double Sin(double x) => SinCos(x).Sin;

    /// <summary>Cosine of a finite <paramref name="x"/> (accurate for |x| up to about 1e6).</summary>
    public static double Cos(double x) => SinCos(x).Cos;

    /// <summary>Sine and cosine of a finite <paramref name="x"/> in one range reduction.</summary>
    public static (double Sin, double Cos) SinCos(double x)
    {
        if (double.IsNaN(x) || double.IsInfinity(x))
            throw new ArgumentOutOfRangeException(nameof(x), x, "DeterministicMath.SinCos needs a finite argument.");

        // Reduce to r in [−π/4, π/4] and a quadrant q, with x = q·π/2 + r.
        double q = Math.Round(x / HalfPi, MidpointRounding.ToEven);
        // Two-part π/2 (Cody–Waite) keeps the reduction accurate well beyond the ranges used here.
        const double HalfPiHigh = 1.5707963267341256;    // first 33 bits of π/2
        const double HalfPiLow = 6.077100506506192e-11;  // π/2 − HalfPiHigh
        double r = (x - q * HalfPiHigh) - q * HalfPiLow;
        double r2 = r * r;

        // Taylor series in Horner form; |r| ≤ π/4 needs terms up to r^17 / r^18 for double precision.
        double sin = r * (1 + r2 * (-1.0 / 6 + r2 * (1.0 / 120 + r2 * (-1.0 / 5040 + r2 * (1.0 / 362880
                      + r2 * (-1.0 / 39916800 + r2 * (1.0 / 6227020800 + r2 * (-1.0 / 1307674368000
                      + r2 * (1.0 / 355687428096000)))))))));
        double cos = 1 + r2 * (-1.0 / 2 + r2 * (1.0 / 24 + r2 * (-1.0 / 720 + r2 * (1.0 / 40320
                      + r2 * (-1.0 / 3628800 + r2 * (1.0 / 479001600 + r2 * (-1.0 / 87178291200
                      + r2 * (1.0 / 20922789888000 + r2 * (-1.0 / 6402373705728000)))))))));

        long quadrant = (long)q & 3;
        return quadrant switch
        {
            0 => (sin, cos),
            1 => (cos, -sin),
            2 => (-sin, -cos),
            _ => (-cos, sin),
        };
    }
}
