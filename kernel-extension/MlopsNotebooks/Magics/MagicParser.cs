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
        var command = commands.FirstOrDefault(c => c.Name == tokens[0]) ?? throw new MlopsException(
            $"#!mlops has no subcommand '{tokens[0]}'.", $"Subcommands: {string.Join(", ", commands.Select(c => c.Name))}. See #!mlops help.");
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
        foreach (var p in command.Parameters.Where(p => p.Required && !values.ContainsKey(p.Name)))
        {
            throw Bad($"{(p.Positional ? $"<{p.Name}>" : "--" + p.Name)} is required");
        }
        return new MagicInvocation(command, values, host);
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
