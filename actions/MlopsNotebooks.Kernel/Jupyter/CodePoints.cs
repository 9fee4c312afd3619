namespace MlopsNotebooks.Kernel.Jupyter;

/// <summary>
/// Jupyter counts cursor positions in Unicode code points (protocol 5.2 and later); .NET strings and Roslyn count UTF-16
/// units. The two differ after any character outside the Basic Multilingual Plane (an emoji in a comment).
/// </summary>
internal static class CodePoints
{
    /// <summary>The UTF-16 offset of the code point at <paramref name="codePoints"/>, clamped to the text.</summary>
    public static int ToUtf16(string text, int codePoints)
    {
        var offset = 0;
        for (var seen = 0; seen < codePoints && offset < text.Length; seen++)
        {
            offset += char.IsHighSurrogate(text[offset]) && offset + 1 < text.Length && char.IsLowSurrogate(text[offset + 1]) ? 2 : 1;
        }
        return offset;
    }

    /// <summary>The code point count of the text before the UTF-16 offset <paramref name="utf16"/>.</summary>
    public static int FromUtf16(string text, int utf16)
    {
        var end = Math.Clamp(utf16, 0, text.Length);
        var count = 0;
        for (var offset = 0; offset < end; count++)
        {
            offset += char.IsHighSurrogate(text[offset]) && offset + 1 < text.Length && char.IsLowSurrogate(text[offset + 1]) ? 2 : 1;
        }
        return count;
    }
}
