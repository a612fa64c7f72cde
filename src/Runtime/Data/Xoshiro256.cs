using System.Buffers.Binary;

namespace GanDsl.Data;

/// <summary>
/// xoshiro256** pseudo-random generator (Blackman &amp; Vigna, "Scrambled linear pseudorandom number
/// generators", ACM TOMS 2021), seeded through SplitMix64, with uniform, integer and Gaussian draws.
/// </summary>
/// <remarks>
/// Written here rather than using <see cref="Random"/> because <see cref="Random"/>'s algorithm is not
/// specified and has changed between .NET versions; a checkpointed run must draw the same numbers after
/// an upgrade. Gaussian draws use Marsaglia's polar method with <see cref="DeterministicMath.Log"/>, so
/// every draw is bit-identical on every platform. The whole state is four 64-bit words
/// (<see cref="GetState"/> / <see cref="SetState"/>).
/// </remarks>
internal sealed class Xoshiro256
{
    /// <summary>Size in bytes of the array <see cref="GetState"/> returns.</summary>
    public const int StateSize = 32;

    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Creates a generator whose state is expanded from <paramref name="seed"/> by SplitMix64.</summary>
    public Xoshiro256(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>
    /// A seed for an independent sub-stream (for example one per epoch), derived from a base seed and a
    /// stream index by SplitMix64 mixing, so nearby indices give unrelated streams.
    /// </summary>
    public static ulong DeriveSeed(ulong seed, ulong stream)
    {
        ulong x = seed ^ (stream * 0xD1B54A32D192ED03UL);
        SplitMix64(ref x);
        return SplitMix64(ref x);
    }

    /// <summary>One step of SplitMix64 (Steele, Lea &amp; Flood 2014): advances <paramref name="x"/> and returns a mixed word.</summary>
    public static ulong SplitMix64(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        ulong z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / 9007199254740992.0);

    /// <summary>Uniform integer in [0, <paramref name="exclusiveMax"/>), without modulo bias.</summary>
    public int NextInt(int exclusiveMax)
    {
        if (exclusiveMax <= 0)
            throw new ArgumentOutOfRangeException(nameof(exclusiveMax), exclusiveMax, "The range must be positive.");
        return (int)NextUInt64Below((ulong)exclusiveMax);
    }

    /// <summary>Uniform integer in [0, <paramref name="exclusiveMax"/>), without modulo bias.</summary>
    public long NextInt64(long exclusiveMax)
    {
        if (exclusiveMax <= 0)
            throw new ArgumentOutOfRangeException(nameof(exclusiveMax), exclusiveMax, "The range must be positive.");
        return (long)NextUInt64Below((ulong)exclusiveMax);
    }

    private ulong NextUInt64Below(ulong bound)
    {
        // Rejection sampling: discard the top partial block of 2^64 so every residue is equally likely.
        ulong threshold = (0UL - bound) % bound; // = 2^64 mod bound
        while (true)
        {
            ulong r = NextUInt64();
            if (r >= threshold) return r % bound;
        }
    }

    /// <summary>Standard normal draw (Marsaglia polar method; consumes a variable number of uniforms).</summary>
    /// <remarks>Only one of the pair the method produces is returned, so the state stays four words.</remarks>
    public double NextGaussian()
    {
        while (true)
        {
            double u = 2.0 * NextDouble() - 1.0;
            double v = 2.0 * NextDouble() - 1.0;
            double s = u * u + v * v;
            if (s >= 1.0 || s == 0.0) continue;
            return u * Math.Sqrt(-2.0 * DeterministicMath.Log(s) / s);
        }
    }

    /// <summary>The generator's state as <see cref="StateSize"/> little-endian bytes.</summary>
    public byte[] GetState()
    {
        var bytes = new byte[StateSize];
        WriteState(bytes);
        return bytes;
    }

    /// <summary>Writes the state into <paramref name="destination"/> (at least <see cref="StateSize"/> bytes).</summary>
    public void WriteState(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, _s0);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], _s1);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], _s2);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[24..], _s3);
    }

    /// <summary>Restores a state captured by <see cref="GetState"/>.</summary>
    /// <exception cref="ArgumentException">When the state has the wrong size or is all zero (not a reachable state).</exception>
    public void SetState(ReadOnlySpan<byte> state)
    {
        if (state.Length != StateSize)
            throw new ArgumentException($"A xoshiro256** state is {StateSize} bytes, got {state.Length}.", nameof(state));
        ulong s0 = BinaryPrimitives.ReadUInt64LittleEndian(state);
        ulong s1 = BinaryPrimitives.ReadUInt64LittleEndian(state[8..]);
        ulong s2 = BinaryPrimitives.ReadUInt64LittleEndian(state[16..]);
        ulong s3 = BinaryPrimitives.ReadUInt64LittleEndian(state[24..]);
        if ((s0 | s1 | s2 | s3) == 0)
            throw new ArgumentException("An all-zero xoshiro256** state is invalid (the generator would only return zeros).", nameof(state));
        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
