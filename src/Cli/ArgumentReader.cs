using System.Globalization;

namespace GanDsl.Cli;

/// <summary>
/// A small parser for <c>--name value</c>, <c>--name=value</c> and <c>--flag</c> options: every option must be
/// declared, each value is parsed as it is read, and every problem is a <see cref="UsageException"/> whose
/// message is one line naming the option.
/// </summary>
/// <remarks>Hand-written rather than System.CommandLine: the program needs one-line errors with exit code 2 and
/// writers passed in by tests, which this does in a page.</remarks>
public sealed class ArgumentReader
{
    private readonly string _command;
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly List<string> _positionals = new();

    /// <param name="command">The command, for messages (<c>train</c>).</param>
    /// <param name="args">The arguments after the command.</param>
    /// <param name="valueOptions">Options that take a value (without the leading dashes).</param>
    /// <param name="flagOptions">Options that take none.</param>
    /// <param name="repeatable">Value options that may be given more than once.</param>
    public ArgumentReader(string command, IReadOnlyList<string> args, IEnumerable<string> valueOptions, IEnumerable<string> flagOptions, IEnumerable<string>? repeatable = null)
    {
        _command = command;
        var takesValue = valueOptions.ToHashSet(StringComparer.Ordinal);
        var isFlag = flagOptions.ToHashSet(StringComparer.Ordinal);
        var many = (repeatable ?? []).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg == "--")
            {
                if (arg.StartsWith('-') && arg.Length > 1 && !double.TryParse(arg, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                    throw new UsageException($"Unknown option '{arg}' for 'gan {command}' (options start with two dashes).");
                _positionals.Add(arg);
                continue;
            }
            var body = arg[2..];
            string? inlineValue = null;
            var eq = body.IndexOf('=');
            if (eq >= 0) { inlineValue = body[(eq + 1)..]; body = body[..eq]; }
            if (isFlag.Contains(body))
            {
                if (inlineValue is not null) throw new UsageException($"--{body} takes no value.");
                _flags.Add(body);
            }
            else if (takesValue.Contains(body))
            {
                var value = inlineValue ?? (i + 1 < args.Count ? args[++i] : throw new UsageException($"--{body} needs a value."));
                if (!_values.TryGetValue(body, out var list)) _values[body] = list = new List<string>();
                if (list.Count > 0 && !many.Contains(body)) throw new UsageException($"--{body} is given twice.");
                list.Add(value);
            }
            else
            {
                throw new UsageException($"Unknown option '--{body}' for 'gan {command}'. See 'gan {command} --help'.");
            }
        }
    }

    /// <summary>Arguments that are not options, in order.</summary>
    public IReadOnlyList<string> Positionals => _positionals;

    /// <summary>True when the flag was given.</summary>
    public bool Flag(string name) => _flags.Contains(name);

    /// <summary>The option's value, or null when absent.</summary>
    public string? String(string name) => _values.TryGetValue(name, out var v) ? v[0] : null;

    /// <summary>Every value of a repeatable option.</summary>
    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var v) ? v : [];

    /// <summary>The option's value, or an error saying it is required.</summary>
    public string Required(string name) => String(name) ?? throw new UsageException($"'gan {_command}' needs --{name}.");

    /// <summary>The option parsed as an integer (any sign: range checks belong to the caller, with their own message).</summary>
    public long? Long(string name)
    {
        var s = String(name);
        if (s is null) return null;
        return long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
            : throw new UsageException($"--{name} must be a whole number, not '{s}'.");
    }

    /// <summary>The option parsed as a 32-bit integer.</summary>
    public int? Int(string name)
    {
        var v = Long(name);
        if (v is null) return null;
        return v is >= int.MinValue and <= int.MaxValue ? (int)v : throw new UsageException($"--{name} is out of range: {v}.");
    }

    /// <summary>The option parsed as a finite number (invariant culture: 1e-4, 0.5).</summary>
    public double? Double(string name)
    {
        var s = String(name);
        if (s is null) return null;
        return ParseNumber(s, $"--{name}");
    }

    /// <summary>Parses a finite number or throws a usage error naming <paramref name="what"/>.</summary>
    public static double ParseNumber(string s, string what) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v
            : throw new UsageException($"{what} must be a number, not '{s}'.");

    /// <summary>Rejects positional arguments for commands that take none.</summary>
    public void NoPositionals()
    {
        if (_positionals.Count > 0) throw new UsageException($"'gan {_command}' takes no argument '{_positionals[0]}' (did you forget an option name?).");
    }
}
