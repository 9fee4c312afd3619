using System.Text;

namespace MlopsNotebooks.Magics;

/// <summary>
/// Parses <c>#!mlops &lt;subcommand&gt; args</c> against the command definitions: double or single quotes group words,
/// options are <c>--name value</c> (or <c>--name=value</c>), flags take no value, and the positional parameter may be
/// given by name too. Every mistake is an <see cref="MlopsException"/> that shows the usage.
/// </summary>
public static class MagicParser
{
    public const string Directive = "mlops";

    public static MagicInvocation Parse(string arguments, IReadOnlyList<MagicCommand> commands, IMagicHost host)
    {
        var tokens = Tokenize(arguments);
        if (tokens.Count == 0)
        {
            throw new MlopsException("#!mlops needs a subcommand.", $"Subcommands: {string.Join(", ", commands.Select(c => c.Name))}. See #!mlops help.");
        }
        var command = Find(tokens[0], commands);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var positional = command.Parameters.Where(p => p.Positional).ToList();
        var next = 0;
        MlopsException Bad(string problem) => new($"#!mlops {command.Name}: {problem}.", $"Usage: {command.Usage()}");
        void Add(MagicParameter p, string value)
        {
            // Each parameter once: the kernel's parser binds nothing for one given twice.
            if (!values.TryAdd(p.Name, value))
            {
                throw Bad($"{(p.Positional ? p.Name : "--" + p.Name)} is given twice");
            }
        }
        for (var i = 1; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (token.StartsWith("--", StringComparison.Ordinal) && token.Length > 2)
            {
                var name = token[2..];
                string? inline = null;
                var equals = name.IndexOf('=');
                if (equals > 0)
                {
                    (name, inline) = (name[..equals], name[(equals + 1)..]);
                }
                // A positional may be named too (the kernel's parser allows both for its implicit parameter).
                var option = command.Parameters.FirstOrDefault(p => p.Name == name)
                    ?? throw Bad($"unknown option --{name}{Options(command)}");
                if (option.Flag)
                {
                    Add(option, inline ?? "true");
                    continue;
                }
                if (inline is null && (i + 1 >= tokens.Count || tokens[i + 1].StartsWith("--", StringComparison.Ordinal)))
                {
                    throw Bad($"--{name} needs a value");
                }
                Add(option, inline ?? tokens[++i]);
                continue;
            }
            if (next < positional.Count)
            {
                Add(positional[next++], token);
                continue;
            }
            throw Bad($"unexpected '{token}'");
        }
        return Invocation(command, values, host);
    }

    /// <summary>
    /// Binds values the kernel's directive parser has bound already (into <c>Hosting.MlopsDirectiveCommand</c>), by
    /// parameter name: the kernel has refused unknown options and repeats; the rest is checked here as for a line the
    /// runner parses.
    /// </summary>
    public static MagicInvocation Bind(MagicCommand command, IReadOnlyDictionary<string, string> values, IMagicHost host) =>
        Invocation(command, new Dictionary<string, string>(values, StringComparer.Ordinal), host);

    /// <summary>
    /// The arguments of each <c>#!mlops</c> line of a cell, in order: the kernel extension checks them with this parser
    /// before the kernel runs the cell, so that a mistake gets the runner's message rather than the kernel's.
    /// </summary>
    public static IReadOnlyList<string> Lines(string code)
    {
        var lines = new List<string>();
        foreach (var raw in code.Split('\n'))
        {
            // In the first column only: the kernel's parser takes an indented #! line for code, as the runner does.
            var line = raw.TrimEnd();
            if (line.StartsWith("#!" + Directive, StringComparison.Ordinal) && (line.Length == Directive.Length + 2 || char.IsWhiteSpace(line[Directive.Length + 2])))
            {
                lines.Add(line[(Directive.Length + 2)..].Trim());
            }
        }
        return lines;
    }

    /// <summary>The kernel's name for a parameter's JSON property: <c>order-by</c> becomes <c>orderBy</c>.</summary>
    public static string CamelCase(string name)
    {
        var text = new StringBuilder(name.Length);
        var upper = false;
        foreach (var c in name)
        {
            if (c == '-')
            {
                upper = text.Length > 0;
                continue;
            }
            text.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }
        return text.ToString();
    }

    private static MagicCommand Find(string name, IReadOnlyList<MagicCommand> commands) =>
        commands.FirstOrDefault(c => c.Name == name) ?? throw new MlopsException(
            $"#!mlops has no subcommand '{name}'.", $"Subcommands: {string.Join(", ", commands.Select(c => c.Name))}. See #!mlops help.");

    private static MagicInvocation Invocation(MagicCommand command, Dictionary<string, string> values, IMagicHost host)
    {
        foreach (var p in command.Parameters.Where(p => p.Required && !values.ContainsKey(p.Name)))
        {
            throw new MlopsException($"#!mlops {command.Name}: {(p.Positional ? $"<{p.Name}>" : "--" + p.Name)} is required.", $"Usage: {command.Usage()}");
        }
        foreach (var (name, value) in values.ToList())
        {
            values[name] = ValueOf(command, value, host);
        }
        return new MagicInvocation(command, values, host);
    }

    /// <summary>
    /// A value as written, or for <c>@csharp:name</c> (the kernel's syntax for a value shared from a subkernel) the
    /// notebook variable's value as text: a list or array becomes its items joined by commas, as the list options take
    /// them; anything else its invariant text.
    /// </summary>
    private static string ValueOf(MagicCommand command, string value, IMagicHost host)
    {
        const string shared = "@csharp:";
        if (!value.StartsWith('@') || !value.Contains(':', StringComparison.Ordinal))
        {
            return value;
        }
        if (!value.StartsWith(shared, StringComparison.Ordinal))
        {
            throw new MlopsException($"#!mlops {command.Name}: '{value}' names a value of another kernel.",
                "Write @csharp:<variable>: the magics read C# variables.");
        }
        return Text(host.GetVariable(value[shared.Length..]));

        static string Text(object? variable) => variable switch
        {
            null => "",
            string text => text,
            System.Collections.IEnumerable items => string.Join(",", items.Cast<object?>().Select(Text)),
            IFormattable formattable => formattable.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
            _ => variable.ToString() ?? "",
        };
    }

    private static string Options(MagicCommand command)
    {
        var options = command.Parameters.Where(p => !p.Positional).Select(p => "--" + p.Name).ToList();
        return options.Count == 0 ? " (it takes none)" : $" (it takes {string.Join(", ", options)})";
    }

    internal static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        char? quote = null;
        var inToken = false;
        foreach (var c in text)
        {
            if (quote is not null)
            {
                if (c == quote)
                {
                    quote = null;
                }
                else
                {
                    current.Append(c);
                }
                continue;
            }
            if (c is '"' or '\'')
            {
                quote = c;
                inToken = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inToken)
                {
                    tokens.Add(current.ToString());
                    current.Clear();
                    inToken = false;
                }
            }
            else
            {
                current.Append(c);
                inToken = true;
            }
        }
        if (quote is not null)
        {
            throw new MlopsException($"The quote {quote} in '#!mlops {text}' is never closed.", "Close it, e.g. --name \"my run\".");
        }
        if (inToken)
        {
            tokens.Add(current.ToString());
        }
        return tokens;
    }
}
