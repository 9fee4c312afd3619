using System.Text.RegularExpressions;

namespace MlopsNotebooks.Kernel.Assist;

/// <summary>A cell's text as Roslyn is shown it, and Jupyter's cursor positions, which count code points.</summary>
internal static partial class CellText
{
    /// <summary>
    /// The cell with the lines that are not C# (magics, <c>#r "nuget:"</c>, <c>#i</c>) replaced by spaces: Roslyn sees
    /// the rest where it is, so offsets into the cell stay offsets into the text it parses.
    /// </summary>
    public static string WithoutDirectives(string code) =>
        NotCSharp().Replace(code, m => new string(' ', m.Length));

    /// <summary>Whether nothing is left for the compiler once the lines that are not C# are taken out (a magics-only cell).</summary>
    public static bool IsOnlyDirectives(string code) => string.IsNullOrWhiteSpace(WithoutDirectives(code));

    // A whole line (without its line break) that starts, after indentation, with #!, #r "nuget: or #i.
    [GeneratedRegex(@"^[ \t]*(?:#!|#r[ \t]+""nuget:|#i[ \t]).*?(?=\r?$)", RegexOptions.Multiline)]
    private static partial Regex NotCSharp();

    /// <summary>The UTF-16 offset of Jupyter's cursor_pos (code points from the start), clamped to the text.</summary>
    public static int ToUtf16(string text, int codePoints)
    {
        var index = 0;
        for (var counted = 0; counted < codePoints && index < text.Length; counted++)
        {
            index += char.IsSurrogatePair(text, index) ? 2 : 1;
        }
        return index;
    }

    /// <summary>Jupyter's position (code points from the start) of a UTF-16 offset.</summary>
    public static int ToCodePoints(string text, int utf16)
    {
        var counted = 0;
        for (var index = 0; index < Math.Min(utf16, text.Length); counted++)
        {
            index += char.IsSurrogatePair(text, index) ? 2 : 1;
        }
        return counted;
    }
}
