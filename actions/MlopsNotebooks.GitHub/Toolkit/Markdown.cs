using System.Text;

namespace MlopsNotebooks.GitHub.Toolkit;

/// <summary>
/// Text from notebooks, data, runs and report artifacts put into GitHub Markdown (comments, check runs, job summaries).
/// Whatever the text holds, it reads as written and makes no Markdown, HTML, link, mention or reference of its own.
/// </summary>
public static class Markdown
{
    /// <summary>
    /// Invisible, and not a character GitHub's autolinks, mentions (<c>@user</c>, <c>@org/team</c>), e-mail addresses or
    /// issue references (<c>#12</c>) may contain: placed inside each of those markers it ends them.
    /// </summary>
    private const char Break = '\u200B';

    /// <summary>
    /// One line of text: line breaks become spaces, every character that can start inline Markdown or HTML is escaped
    /// (a table cell's <c>|</c> too, so it stays in its cell), and mentions, references and links are broken.
    /// </summary>
    public static string Text(string text)
    {
        var line = OneLine(text);
        var escaped = new StringBuilder(line.Length + 16);
        var start = BlockMarker(line);
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (i == start)
            {
                escaped.Append(c == '.' && EndsWithWord(line, i, "www") ? $"{Break}\\." : $"\\{c}");
                continue;
            }
            // $ starts GitHub's math and & an entity such as &#64;; { ^ ++ == are other renderers' attributes and emphasis.
            if (c is '\\' or '`' or '*' or '_' or '[' or ']' or '<' or '>' or '|' or '!' or '~' or '&' or '$' or '{' or '}' or '^'
                || c is '+' or '=' && i + 1 < line.Length && line[i + 1] == c)
            {
                escaped.Append('\\').Append(c);
            }
            else if (c is '@' or '#')
            {
                escaped.Append(c).Append(Break);
            }
            else if (c == ':' && (i + 1 < line.Length && line[i + 1] == '/' || EndsWithWord(line, i, "mailto") || EndsWithWord(line, i, "tel"))
                || c == '.' && EndsWithWord(line, i, "www"))
            {
                escaped.Append(Break).Append(c); // the scheme or www. is no longer one word; after the mark it would start the link
            }
            else
            {
                escaped.Append(c);
            }
        }
        return escaped.ToString();
    }

    // Where text at the start of a line (after a bullet) would open a block: a list, a rule, a heading's underline. -1 if nowhere.
    private static int BlockMarker(string line)
    {
        var i = 0;
        while (i < line.Length && line[i] == ' ')
        {
            i++;
        }
        if (i == line.Length)
        {
            return -1;
        }
        bool EndsMarker(int at) => at + 1 == line.Length || line[at + 1] == ' ';
        var c = line[i];
        if (c is '-' or '=' && line.AsSpan(i).TrimEnd(' ').ToString().All(x => x == c || x == ' ') || c is '-' or '+' && EndsMarker(i))
        {
            return i;
        }
        // 1. and 2) are ordered lists; other renderers also read a. and iv. as ones.
        var end = i;
        while (end < line.Length && char.IsAsciiLetterOrDigit(line[end]))
        {
            end++;
        }
        return end > i && end < line.Length && line[end] is '.' or ')' && EndsMarker(end) ? end : -1;
    }

    private static bool EndsWithWord(string line, int end, string word) =>
        end >= word.Length && line.AsSpan(end - word.Length, word.Length).Equals(word, StringComparison.OrdinalIgnoreCase);

    /// <summary>A table cell: <see cref="Text"/>, which also escapes the pipe.</summary>
    public static string Cell(string text) => Text(text);

    /// <summary>
    /// A code span holding the text as written (nothing is escaped inside one, and GitHub makes no mentions or links in
    /// it), delimited by a backtick run longer than any inside, and padded with a space where CommonMark would eat one.
    /// Not for table cells, where a <c>|</c> ends the cell even inside a code span.
    /// </summary>
    public static string Code(string text)
    {
        var content = OneLine(text);
        if (content.Length == 0)
        {
            return "";
        }
        var (longest, run) = (0, 0);
        foreach (var c in content)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        var fence = new string('`', longest + 1);
        // CommonMark strips one space from each side when both sides have one; and a backtick at an edge would join the fence.
        var pad = content[0] == '`' || content[^1] == '`' || (content[0] == ' ' && content[^1] == ' ' && content.Trim(' ').Length > 0);
        return pad ? $"{fence} {content} {fence}" : $"{fence}{content}{fence}";
    }

    // Markdown's line ends are CR and LF; the other controls and Unicode's line and paragraph separators go too.
    private static string OneLine(string text) =>
        string.Create(text.Length, text, (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = char.IsControl(source[i]) || source[i] is '\u2028' or '\u2029' ? ' ' : source[i];
            }
        });
}
