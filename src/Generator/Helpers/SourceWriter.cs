using System;
using System.Text;

namespace GanDsl.Generator.Helpers;

/// <summary>
/// Builds C# text with indentation it owns: every line of a multi-line string is re-indented,
/// so templates can be raw strings (IndentedTextWriter indents only the first line).
/// Lines end with '\n' whatever the platform, so output is deterministic.
/// </summary>
internal sealed class SourceWriter
{
    private const int IndentSize = 4;
    private readonly StringBuilder _sb = new();
    private int _indentation;

    public int Indentation
    {
        get => _indentation;
        set => _indentation = value < 0 ? throw new ArgumentOutOfRangeException(nameof(value)) : value;
    }

    public void OpenBlock()
    {
        WriteLine("{");
        _indentation++;
    }

    public void CloseBlock(string suffix = "")
    {
        _indentation--;
        WriteLine("}" + suffix);
    }

    /// <summary>Writes each line of <paramref name="text"/> at the current indentation (blank lines stay empty).</summary>
    public void WriteLine(string text)
    {
        var start = 0;
        while (true)
        {
            var end = text.IndexOf('\n', start);
            var line = (end < 0 ? text.Substring(start) : text.Substring(start, end - start)).TrimEnd('\r');
            if (line.Length > 0) _sb.Append(' ', _indentation * IndentSize).Append(line);
            _sb.Append('\n');
            if (end < 0) break;
            start = end + 1;
        }
    }

    public void WriteLine() => _sb.Append('\n');

    public override string ToString() => _sb.ToString();
}
