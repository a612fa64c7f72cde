using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace GanDsl.Cli;

/// <summary>
/// Turns System.CommandLine's parse errors into the program's one-line message (exit code 2): the first
/// problem, naming the user's option or word, with System.CommandLine's typo suggestions ("did you mean").
/// </summary>
internal static class ParseErrors
{
    /// <summary>One line describing the first problem of <paramref name="parse"/>.</summary>
    public static string Describe(ParseResult parse, ParseErrorAction action)
    {
        var command = parse.CommandResult.Command;
        var path = command is RootCommand ? "gan" : $"gan {command.Name}";
        if (parse.UnmatchedTokens.Count > 0)
        {
            var token = parse.UnmatchedTokens[0];
            var didYouMean = Suggestions(parse, action, token) is { Count: > 0 } s ? $" Did you mean {string.Join(" or ", s.Select(x => $"'{x}'"))}?" : "";
            if (token.StartsWith('-')) return $"Unknown option '{token}' for '{path}'.{didYouMean} See '{path} --help'.";
            if (command is RootCommand)
                return $"Unknown command '{token}'.{didYouMean} Commands: {string.Join(", ", command.Subcommands.Select(c => c.Name))} (see 'gan --help').";
            return $"'{path}' takes no argument '{token}' (did you forget an option name?).{didYouMean}";
        }
        // Errors about a value the user typed come before those about something left out (a required option).
        var error = parse.Errors.OrderBy(e => e.SymbolResult?.Tokens.Count > 0 ? 0 : 1).First();
        if (command is RootCommand && parse.Errors.Count == 1 && command.Subcommands.Count > 0 && error.SymbolResult is CommandResult)
            return $"Give a command: {string.Join(", ", command.Subcommands.Select(c => c.Name))} (see 'gan --help').";
        return error.Message.EndsWith('.') ? error.Message : error.Message + ".";
    }

    /// <summary>
    /// System.CommandLine's typo corrections for <paramref name="token"/>: its ParseErrorAction writes them as
    /// <c>'TOKEN' was not matched. Did you mean one of the following?</c> followed by one candidate a line; that
    /// text is captured and the candidates read back, so the suggestions are the library's own.
    /// </summary>
    private static IReadOnlyList<string> Suggestions(ParseResult parse, ParseErrorAction action, string token)
    {
        action.ShowHelp = false;
        action.ShowTypoCorrections = true;
        var text = new StringWriter();
        parse.Invoke(new InvocationConfiguration { Output = text, Error = TextWriter.Null });
        var suggestions = new List<string>();
        var inBlock = false;
        foreach (var line in text.ToString().Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith('\'')) { inBlock = line.StartsWith($"'{token}'", StringComparison.Ordinal); continue; }
            // Help aliases (-h, -?, /h) are suggested for anything short; they are never what was meant.
            if (inBlock && line is not ("-h" or "-?" or "/h" or "/?")) suggestions.Add(line);
        }
        return suggestions;
    }
}
