namespace GanDsl.Imaging;

/// <summary>
/// A 5 × 7 pixel bitmap font drawn for this project: digits, upper-case letters (lower case is drawn as upper
/// case), space and the punctuation <c>. , - _ : + = / ( ) ' ?</c>. Each glyph occupies a 6 × 8 cell
/// (one column and one row of spacing). Characters without a glyph are drawn as '?'.
/// </summary>
public static class BitmapFont
{
    /// <summary>Glyph width in pixels (before scaling).</summary>
    public const int GlyphWidth = 5;

    /// <summary>Glyph height in pixels (before scaling).</summary>
    public const int GlyphHeight = 7;

    /// <summary>Horizontal advance per character, in pixels (before scaling).</summary>
    public const int Advance = GlyphWidth + 1;

    // Each glyph: seven rows of five pixels, '#' = ink, separated by '|', top row first.
    private static readonly Dictionary<char, string> Source = new()
    {
        [' '] = ".....|.....|.....|.....|.....|.....|.....",
        ['0'] = ".###.|#...#|#..##|#.#.#|##..#|#...#|.###.",
        ['1'] = "..#..|.##..|..#..|..#..|..#..|..#..|.###.",
        ['2'] = ".###.|#...#|....#|...#.|..#..|.#...|#####",
        ['3'] = "#####|...#.|..#..|...#.|....#|#...#|.###.",
        ['4'] = "...#.|..##.|.#.#.|#..#.|#####|...#.|...#.",
        ['5'] = "#####|#....|####.|....#|....#|#...#|.###.",
        ['6'] = "..##.|.#...|#....|####.|#...#|#...#|.###.",
        ['7'] = "#####|....#|...#.|..#..|.#...|.#...|.#...",
        ['8'] = ".###.|#...#|#...#|.###.|#...#|#...#|.###.",
        ['9'] = ".###.|#...#|#...#|.####|....#|...#.|.##..",
        ['A'] = ".###.|#...#|#...#|#####|#...#|#...#|#...#",
        ['B'] = "####.|#...#|#...#|####.|#...#|#...#|####.",
        ['C'] = ".###.|#...#|#....|#....|#....|#...#|.###.",
        ['D'] = "###..|#..#.|#...#|#...#|#...#|#..#.|###..",
        ['E'] = "#####|#....|#....|####.|#....|#....|#####",
        ['F'] = "#####|#....|#....|####.|#....|#....|#....",
        ['G'] = ".###.|#...#|#....|#.###|#...#|#...#|.####",
        ['H'] = "#...#|#...#|#...#|#####|#...#|#...#|#...#",
        ['I'] = ".###.|..#..|..#..|..#..|..#..|..#..|.###.",
        ['J'] = "..###|...#.|...#.|...#.|...#.|#..#.|.##..",
        ['K'] = "#...#|#..#.|#.#..|##...|#.#..|#..#.|#...#",
        ['L'] = "#....|#....|#....|#....|#....|#....|#####",
        ['M'] = "#...#|##.##|#.#.#|#.#.#|#...#|#...#|#...#",
        ['N'] = "#...#|#...#|##..#|#.#.#|#..##|#...#|#...#",
        ['O'] = ".###.|#...#|#...#|#...#|#...#|#...#|.###.",
        ['P'] = "####.|#...#|#...#|####.|#....|#....|#....",
        ['Q'] = ".###.|#...#|#...#|#...#|#.#.#|#..#.|.##.#",
        ['R'] = "####.|#...#|#...#|####.|#.#..|#..#.|#...#",
        ['S'] = ".####|#....|#....|.###.|....#|....#|####.",
        ['T'] = "#####|..#..|..#..|..#..|..#..|..#..|..#..",
        ['U'] = "#...#|#...#|#...#|#...#|#...#|#...#|.###.",
        ['V'] = "#...#|#...#|#...#|#...#|#...#|.#.#.|..#..",
        ['W'] = "#...#|#...#|#...#|#.#.#|#.#.#|#.#.#|.#.#.",
        ['X'] = "#...#|#...#|.#.#.|..#..|.#.#.|#...#|#...#",
        ['Y'] = "#...#|#...#|.#.#.|..#..|..#..|..#..|..#..",
        ['Z'] = "#####|....#|...#.|..#..|.#...|#....|#####",
        ['.'] = ".....|.....|.....|.....|.....|.##..|.##..",
        [','] = ".....|.....|.....|.....|.##..|..#..|.#...",
        ['-'] = ".....|.....|.....|#####|.....|.....|.....",
        ['_'] = ".....|.....|.....|.....|.....|.....|#####",
        [':'] = ".....|.##..|.##..|.....|.##..|.##..|.....",
        ['+'] = ".....|..#..|..#..|#####|..#..|..#..|.....",
        ['='] = ".....|.....|#####|.....|#####|.....|.....",
        ['/'] = ".....|....#|...#.|..#..|.#...|#....|.....",
        ['('] = "...#.|..#..|.#...|.#...|.#...|..#..|...#.",
        [')'] = ".#...|..#..|...#.|...#.|...#.|..#..|.#...",
        ['\''] = "..#..|..#..|.#...|.....|.....|.....|.....",
        ['?'] = ".###.|#...#|....#|...#.|..#..|.....|..#..",
    };

    // Decoded once: per glyph, seven 5-bit rows (bit 4 = leftmost pixel).
    private static readonly Dictionary<char, byte[]> Glyphs = Source.ToDictionary(p => p.Key, p => Decode(p.Key, p.Value));

    private static byte[] Decode(char c, string source)
    {
        string[] rows = source.Split('|');
        if (rows.Length != GlyphHeight || rows.Any(r => r.Length != GlyphWidth))
            throw new InvalidOperationException($"Glyph '{c}' is not {GlyphWidth} × {GlyphHeight}.");
        return rows.Select(r => (byte)r.Aggregate(0, (bits, ch) => (bits << 1) | (ch == '#' ? 1 : 0))).ToArray();
    }

    /// <summary>Whether <paramref name="c"/> has its own glyph (lower-case letters count, drawn as upper case).</summary>
    public static bool HasGlyph(char c) => Glyphs.ContainsKey(char.ToUpperInvariant(c));

    /// <summary>Whether pixel (<paramref name="column"/>, <paramref name="row"/>) of the glyph of <paramref name="c"/> is ink.</summary>
    public static bool IsInk(char c, int column, int row)
    {
        if ((uint)column >= GlyphWidth || (uint)row >= GlyphHeight) return false;
        byte[] glyph = Glyphs.TryGetValue(char.ToUpperInvariant(c), out var g) ? g : Glyphs['?'];
        return (glyph[row] & (1 << (GlyphWidth - 1 - column))) != 0;
    }

    /// <summary>Width in pixels of <paramref name="text"/> at the given scale (no trailing spacing).</summary>
    public static int MeasureWidth(string text, int scale = 1) =>
        text.Length == 0 ? 0 : (text.Length * Advance - 1) * scale;

    /// <summary>Draws <paramref name="text"/> with its top-left corner at (x, y); each font pixel becomes scale × scale pixels.</summary>
    public static void Draw(RgbImage image, int x, int y, string text, Rgb colour, int scale = 1)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(text);
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale must be at least 1.");
        for (int i = 0; i < text.Length; i++)
        {
            int left = x + i * Advance * scale;
            for (int row = 0; row < GlyphHeight; row++)
                for (int column = 0; column < GlyphWidth; column++)
                    if (IsInk(text[i], column, row))
                        image.FillRect(left + column * scale, y + row * scale, scale, scale, colour);
        }
    }
}
