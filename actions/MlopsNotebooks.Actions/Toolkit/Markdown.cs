namespace MlopsNotebooks.Actions.Toolkit;

/// <summary>Text from notebooks, data and runs put into GitHub Markdown without breaking it or injecting HTML.</summary>
public static class Markdown
{
    /// <summary>One line of text: no newlines, no HTML, no Markdown emphasis or links from the text itself.</summary>
    public static string Inline(string text)
    {
        var line = text.Replace("\r", "", StringComparison.Ordinal).Replace('\n', ' ');
        var escaped = new System.Text.StringBuilder(line.Length);
        foreach (var c in line)
        {
            if (c is '\\' or '`' or '*' or '_' or '[' or ']' or '<' or '>' or '|' or '#' or '!' or '~')
            {
                escaped.Append('\\');
            }
            escaped.Append(c);
        }
        return escaped.ToString();
    }

    /// <summary>A table cell: <see cref="Inline"/>, which also escapes the pipe.</summary>
    public static string Cell(string text) => Inline(text);
}
