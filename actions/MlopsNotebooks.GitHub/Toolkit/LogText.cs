using System.Collections.Concurrent;
using System.Text;

namespace MlopsNotebooks.GitHub.Toolkit;

/// <summary>
/// Text this process prints on standard output or error: every secret it was given is hidden (each line of a
/// multi-line one too, as the runner masks them), and no line can be read by the runner as a workflow command.
/// The secrets are the process's own, as the runner's masks are the job's, so they are kept once for the process.
/// </summary>
public static class LogText
{
    private static readonly ConcurrentDictionary<string, byte> Secrets = new(StringComparer.Ordinal);

    /// <summary>A zero-width space: placed inside a command's marker, it keeps the text as it reads and stops the command.</summary>
    private const char Break = '\u200B';

    public static void AddSecret(string secret)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return;
        }
        Secrets.TryAdd(secret, 0);
        foreach (var line in secret.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0))
        {
            Secrets.TryAdd(line, 0);
        }
    }

    /// <summary>The text with every secret replaced by <c>***</c>, longest first so that a whole secret goes before its lines.</summary>
    public static string Redact(string text) =>
        Secrets.Keys.OrderByDescending(s => s.Length).Aggregate(text, (t, s) => t.Replace(s, "***", StringComparison.Ordinal));

    /// <summary>What may be printed: redacted, and with no workflow command in it.</summary>
    public static string Safe(string text) => NoCommands(Redact(text));

    /// <summary>
    /// The runner takes a line as a command when it starts with <c>::</c> after leading white space, or holds the
    /// legacy <c>##[</c> anywhere; a zero-width space inside each marker stops both.
    /// </summary>
    public static string NoCommands(string text)
    {
        if (!text.Contains("::", StringComparison.Ordinal) && !text.Contains("##[", StringComparison.Ordinal))
        {
            return text;
        }
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Replace("##[", $"#{Break}#[", StringComparison.Ordinal);
            var start = line.Length - line.TrimStart().Length;
            lines[i] = line.AsSpan(start).StartsWith("::", StringComparison.Ordinal) ? new StringBuilder(line).Insert(start + 1, Break).ToString() : line;
        }
        return string.Join('\n', lines);
    }
}
