using System.Globalization;
using System.Text;

namespace GanDsl.Formats;

/// <summary>
/// Writes training metrics as CSV: a header of column names, then one row of numbers per call, in the
/// invariant culture (round-trip precision; NaN and ±Infinity spelled "NaN", "Infinity", "-Infinity", which
/// .NET, Python's float() and pandas read back). Every row is flushed to the operating system as it is written,
/// so a crash of the process loses no completed row.
/// </summary>
public sealed class CsvMetricsWriter : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly string[] _columns;

    /// <summary>
    /// Opens <paramref name="path"/> for the given columns. A new file gets the header. With
    /// <paramref name="append"/>, an existing file is continued: its header must match <paramref name="columns"/>;
    /// a partial last line left by a crash is removed; if <paramref name="keepRowsUpToFirstColumn"/> is given,
    /// rows whose first column (the step) exceeds it are dropped too, so a run resumed from an older checkpoint
    /// does not log the same steps twice. Those rewrites go through a temporary file.
    /// </summary>
    /// <exception cref="ArgumentException">When the columns are empty, duplicated or contain a comma, quote or line break.</exception>
    /// <exception cref="DataFileException">When appending to a file whose header differs.</exception>
    public CsvMetricsWriter(string path, IReadOnlyList<string> columns, bool append = false, double? keepRowsUpToFirstColumn = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Count == 0) throw new ArgumentException("At least one column is needed.", nameof(columns));
        foreach (string c in columns)
            if (string.IsNullOrEmpty(c) || c.IndexOfAny([',', '"', '\n', '\r']) >= 0)
                throw new ArgumentException($"Column name '{c}' must be non-empty and free of commas, quotes and line breaks.", nameof(columns));
        if (columns.Distinct().Count() != columns.Count)
            throw new ArgumentException($"Column names must be distinct: {string.Join(",", columns)}.", nameof(columns));

        _columns = columns.ToArray();
        Path = System.IO.Path.GetFullPath(path);
        string header = string.Join(",", _columns);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);

        bool continuing = append && File.Exists(Path) && new FileInfo(Path).Length > 0;
        if (continuing) PrepareForAppend(header, keepRowsUpToFirstColumn);

        var stream = new FileStream(Path, continuing ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read);
        _writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { NewLine = "\n" };
        if (!continuing)
        {
            _writer.WriteLine(header);
            _writer.Flush();
        }
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>The column names, in order.</summary>
    public IReadOnlyList<string> Columns => _columns;

    /// <summary>Writes one row (one value per column) and flushes it.</summary>
    /// <exception cref="ArgumentException">When the number of values differs from the number of columns.</exception>
    public void WriteRow(params double[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != _columns.Length)
            throw new ArgumentException($"Got {values.Length} values for {_columns.Length} columns ({string.Join(",", _columns)}).", nameof(values));
        var line = new StringBuilder();
        for (int i = 0; i < values.Length; i++)
        {
            if (i > 0) line.Append(',');
            line.Append(Format(values[i]));
        }
        // One Write of the whole line, then a flush: the OS sees either nothing or the complete row.
        line.Append('\n');
        _writer.Write(line.ToString());
        _writer.Flush();
    }

    /// <summary>Writes one row from named values; columns missing from <paramref name="values"/> are written as NaN.</summary>
    /// <exception cref="ArgumentException">When a name is not a column.</exception>
    public void WriteRow(IReadOnlyDictionary<string, double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        foreach (string key in values.Keys)
            if (Array.IndexOf(_columns, key) < 0)
                throw new ArgumentException($"'{key}' is not a column of {Path} ({string.Join(",", _columns)}).", nameof(values));
        var row = new double[_columns.Length];
        for (int i = 0; i < row.Length; i++)
            row[i] = values.TryGetValue(_columns[i], out double v) ? v : double.NaN;
        WriteRow(row);
    }

    /// <summary>The text a value is written as.</summary>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private void PrepareForAppend(string header, double? keepUpTo)
    {
        string text = File.ReadAllText(Path);
        var lines = text.Split('\n').ToList();
        // Split leaves "" after a final '\n'; anything else there is a row cut short by a crash.
        bool partialLast = lines[^1].Length > 0;
        lines.RemoveAt(lines.Count - 1);

        string existingHeader = lines.Count > 0 ? lines[0].TrimEnd('\r') : "";
        if (existingHeader != header)
            throw new DataFileException(Path,
                $"Cannot append to '{Path}': its columns are '{existingHeader}' but this run logs '{header}'. Use a new metrics file or the original columns.");

        int kept = lines.Count;
        if (keepUpTo is double limit)
        {
            kept = 1;
            for (int i = 1; i < lines.Count; i++)
            {
                string first = lines[i].Split(',')[0];
                if (double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out double step) && step > limit) break;
                kept = i + 1;
            }
        }
        if (partialLast || kept < lines.Count)
        {
            string rewritten = string.Concat(lines.Take(kept).Select(l => l + "\n"));
            AtomicFile.WriteAllBytes(Path, Encoding.UTF8.GetBytes(rewritten));
        }
    }

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose() => _writer.Dispose();
}
