using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Parsing;
using System.Globalization;
using GanDsl.Data;

namespace GanDsl.Cli;

/// <summary>
/// Option builders shared by the commands. Numbers are parsed here (invariant culture) so a bad value is reported
/// as <c>--batch must be a whole number, not 'many'.</c>: the user's option, never a .NET type name.
/// </summary>
internal static class CliOptions
{
    /// <summary>A string option; <paramref name="helpName"/> is the placeholder in help (<c>--out DIR</c>).</summary>
    public static Option<string?> Text(string name, string description, string helpName, bool required = false) =>
        new(name) { Description = description, HelpName = helpName, Required = required };

    /// <summary>A flag (<c>--resume</c>).</summary>
    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    /// <summary>A repeatable string option (<c>--set A=1 --set B=2</c>).</summary>
    public static Option<string[]> Repeated(string name, string description, string helpName) =>
        new(name) { Description = description, HelpName = helpName, DefaultValueFactory = _ => [] };

    /// <summary>A whole number; null when absent.</summary>
    public static Option<long?> Long(string name, string description, string helpName = "N") =>
        new(name) { Description = description, HelpName = helpName, CustomParser = r => ParseLong(r, name) };

    /// <summary>A whole number with a default shown in help.</summary>
    public static Option<long> Long(string name, string description, long defaultValue, string helpName = "N") =>
        new(name)
        {
            Description = description, HelpName = helpName, DefaultValueFactory = _ => defaultValue,
            CustomParser = r => ParseLong(r, name) ?? defaultValue,
        };

    /// <summary>A 32-bit whole number; null when absent.</summary>
    public static Option<int?> Int(string name, string description, string helpName = "N") =>
        new(name) { Description = description, HelpName = helpName, CustomParser = r => ParseInt(r, name) };

    /// <summary>A 32-bit whole number with a default shown in help.</summary>
    public static Option<int> Int(string name, string description, int defaultValue, string helpName = "N") =>
        new(name)
        {
            Description = description, HelpName = helpName, DefaultValueFactory = _ => defaultValue,
            CustomParser = r => ParseInt(r, name) ?? defaultValue,
        };

    /// <summary>A finite number; null when absent.</summary>
    public static Option<double?> Number(string name, string description, string helpName = "X") =>
        new(name)
        {
            Description = description, HelpName = helpName,
            CustomParser = r => r.Tokens.Count == 0 ? null : TryNumber(r.Tokens[0].Value, name, out var error) ?? Error<double?>(r, error!),
        };

    /// <summary>Parses the values of <c>--set NAME=VALUE</c> (<c>gan train</c>, <c>gan compare</c>).</summary>
    public static Dictionary<string, double> ParseHyperparameters(IEnumerable<string> settings) =>
        ParseNamedNumbers(settings, "--set", "NAME=VALUE (e.g. --set Lambda=5)");

    /// <summary>
    /// The values of a repeatable <c>NAME=NUMBER</c> option (<c>--set</c>, <c>--lr</c>), each name once;
    /// <paramref name="expects"/> says what a malformed one should have been.
    /// </summary>
    public static Dictionary<string, double> ParseNamedNumbers(IEnumerable<string> settings, string option, string expects)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var s in settings)
        {
            var eq = s.IndexOf('=');
            if (eq <= 0) throw new UsageException($"{option} expects {expects}, not '{s}'.");
            var name = s[..eq].Trim();
            if (values.ContainsKey(name)) throw new UsageException($"{option} {name} is given twice.");
            values[name] = ParseNumber(s[(eq + 1)..].Trim(), $"{option} {name}");
        }
        return values;
    }

    /// <summary><c>--verbose</c>: an error's stack trace on stderr too (it always goes to the output folder's error.log).</summary>
    public static Option<bool> Verbose() => Flag("--verbose", "on an error, also print its stack trace (it is written to error.log in the output folder)");

    /// <summary><c>--threads N</c>: libtorch threads, positive.</summary>
    public static Option<int?> Threads() => Positive(Int("--threads", "libtorch threads (default: every core)"));

    /// <summary><c>--assembly PATH</c> (repeatable): user assemblies with losses and model families.</summary>
    public static Option<string[]> Assembly(string what) => Repeated("--assembly", $"also load the {what} declared in this assembly (repeatable)", "PATH");

    /// <summary><c>--set NAME=VALUE</c> (repeatable).</summary>
    public static Option<string[]> Set(string description) => Repeated("--set", description, "NAME=VALUE");

    /// <summary>Completes <paramref name="option"/> with the loss names of the zoo and of the <c>--assembly</c> files typed so far.</summary>
    public static T CompleteLosses<T>(T option, Option<string[]> assembly) where T : Option
    {
        option.CompletionSources.Add(context => LossNames(context, assembly));
        return option;
    }

    /// <summary>Completes <c>--data</c> with the built-in datasets and the .npy files beside the word typed so far.</summary>
    public static T CompleteData<T>(T option) where T : Option
    {
        option.CompletionSources.Add(context => Datasets.Names.Concat(NpyFiles(context.WordToComplete)));
        return option;
    }

    /// <summary>Completes <c>--model</c> with the built-in families and those of the <c>--assembly</c> files typed so far.</summary>
    public static T CompleteModels<T>(T option, Option<string[]> assembly) where T : Option
    {
        option.CompletionSources.Add(context =>
        {
            try { return ModelCatalog.Load(context.ParseResult.GetValue(assembly) ?? []).Names; }
            catch (UsageException) { return Models.ModelFactory.Names; } // a bad --assembly is reported when the command runs
        });
        return option;
    }

    /// <summary>Adds a check that the option's value, when given, is positive.</summary>
    public static Option<int?> Positive(Option<int?> option)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is { } v && v <= 0) result.AddError($"{option.Name} must be positive, not {v}.");
        });
        return option;
    }

    /// <summary>Parses a finite number or throws a usage error naming <paramref name="what"/> (for values inside other options: --betas, --set).</summary>
    public static double ParseNumber(string s, string what) => TryNumber(s, what, out var error) ?? throw new UsageException(error!);

    private static IEnumerable<string> LossNames(CompletionContext context, Option<string[]> assembly)
    {
        try { return LossCatalog.Load(context.ParseResult.GetValue(assembly) ?? []).Names; }
        catch (UsageException) { return GanDsl.Losses.Zoo.CreateRegistry().Names; }
    }

    private static IEnumerable<string> NpyFiles(string word)
    {
        var folder = Path.GetDirectoryName(word) is { Length: > 0 } d ? d : ".";
        try
        {
            return Directory.EnumerateFiles(folder, "*.npy").Select(f =>
                folder == "." ? Path.GetFileName(f) : Path.Combine(folder, Path.GetFileName(f))).Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { return []; }
    }

    private static double? TryNumber(string s, string what, out string? error)
    {
        error = null;
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)) return v;
        error = $"{what} must be a number, not '{s}'.";
        return null;
    }

    private static long? ParseLong(ArgumentResult result, string name)
    {
        if (result.Tokens.Count == 0) return null;
        var s = result.Tokens[0].Value;
        return long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : Error<long?>(result,
            $"{name} must be a whole number, not '{s}'.");
    }

    private static int? ParseInt(ArgumentResult result, string name)
    {
        var v = ParseLong(result, name);
        if (v is null) return null;
        return v is >= int.MinValue and <= int.MaxValue ? (int)v : Error<int?>(result, $"{name} is out of range: {v}.");
    }

    private static T? Error<T>(ArgumentResult result, string message)
    {
        result.AddError(message);
        return default;
    }
}
