using System.Text.RegularExpressions;

namespace MlopsNotebooks.Kernel.Assist;

/// <summary>A cell's text as Roslyn is shown it.</summary>
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
}
