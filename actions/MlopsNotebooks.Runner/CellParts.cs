namespace MlopsNotebooks.Runner;

/// <summary>A piece of a cell as the kernel splits it: code for one language, or a magic command line.</summary>
internal abstract record CellPart(int Line);

/// <summary>
/// Code for one kernel (csharp, html, mermaid, fsharp, ...) from <see cref="CellPart.Line"/> (1-based, in the cell) on.
/// <see cref="Code"/> is the text as the kernel submits it; <see cref="NumberedCode"/> keeps the cell's line numbers.
/// </summary>
internal sealed record CodePart(string Language, string Code, int Line) : CellPart(Line)
{
    /// <summary>The code preceded by blank lines, so that a compiler error names the line the user sees in the cell.</summary>
    public string NumberedCode => new string('\n', Line - 1) + Code;
}

/// <summary>A magic command (<c>#!name arguments</c>) other than a kernel selector.</summary>
internal sealed record DirectivePart(string Name, string Arguments, int Line) : CellPart(Line);

/// <summary>
/// Splits a cell as the kernel's submission parser does: a line that starts with <c>#!</c> in its first column is a
/// magic command wherever it is in the cell (also inside a C# string or comment, as in the kernel: there it is an
/// unknown magic unless indented); a kernel selector (<c>#!html</c>, <c>#!csharp</c>, ...) sends the lines after it
/// to that kernel; any other magic ends the code before it, and the code after it is a new submission.
/// <c>#r</c> and <c>#i</c> lines stay in the code, where the runner takes the packages out.
/// </summary>
internal static class CellParts
{
    /// <summary>Kernel selectors, each to the language it selects.</summary>
    private static readonly Dictionary<string, string> Selectors = new(StringComparer.OrdinalIgnoreCase)
    {
        ["csharp"] = "csharp", ["c#"] = "csharp", ["fsharp"] = "fsharp", ["f#"] = "fsharp",
        ["pwsh"] = "pwsh", ["powershell"] = "pwsh", ["javascript"] = "javascript", ["js"] = "javascript",
        ["html"] = "html", ["mermaid"] = "mermaid", ["sql"] = "sql", ["kql"] = "kql", ["python"] = "python",
        ["r"] = "r", ["http"] = "http", ["value"] = "value",
    };

    public static IReadOnlyList<CellPart> Parse(string source, string language)
    {
        var lines = source.Replace("\r\n", "\n").Split('\n');
        var parts = new List<CellPart>();
        var start = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("#!", StringComparison.Ordinal))
            {
                continue;
            }
            AddCode(parts, language, lines, start, i);
            start = i + 1;
            var line = lines[i].TrimEnd();
            var space = line.IndexOfAny([' ', '\t']);
            var name = (space < 0 ? line[2..] : line[2..space]).ToLowerInvariant();
            if (Selectors.TryGetValue(name, out var selected))
            {
                language = selected;
            }
            else
            {
                parts.Add(new DirectivePart(name, space < 0 ? "" : line[(space + 1)..].Trim(), i + 1));
            }
        }
        AddCode(parts, language, lines, start, lines.Length);
        return parts;
    }

    /// <summary>Lines [from, to) as one code part; blank code is no submission, as in the kernel.</summary>
    private static void AddCode(List<CellPart> parts, string language, string[] lines, int from, int to)
    {
        var code = string.Join("\n", lines[from..to]);
        if (!string.IsNullOrWhiteSpace(code))
        {
            parts.Add(new CodePart(language, code, from + 1));
        }
    }
}
