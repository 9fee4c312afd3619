namespace MlopsNotebooks.Tracking;

/// <summary>
/// Rules for metric, param and tag keys and for experiment and run names. Keys become column headers, file names of
/// exported metrics and filter terms, so they are kept to letters, digits, <c>_ - . space</c> and <c>/</c> as a namespace
/// separator ("train/loss"), and may not look like a path that leaves its folder.
/// </summary>
public static class Names
{
    public const int MaxKeyLength = 250;
    public const int MaxParamValueLength = 6000;
    public const int MaxTagValueLength = 8000;
    public const int MaxNameLength = 250;

    public static void ValidateKey(string kind, string? key)
    {
        if (string.IsNullOrWhiteSpace(key))
        {
            throw new InvalidNameException($"A {kind} key is empty.", $"Give the {kind} a name such as 'auc' or 'train/loss'.");
        }
        if (key.Length > MaxKeyLength)
        {
            throw new InvalidNameException(
                $"The {kind} key '{key[..40]}...' is {key.Length} characters long; the limit is {MaxKeyLength}.",
                "Use a shorter key.");
        }
        foreach (var c in key)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ' ' or '/'))
            {
                throw new InvalidNameException(
                    $"The {kind} key '{key}' contains '{Printable(c)}'.",
                    "Keys may hold letters, digits, '_', '-', '.', spaces and '/' between parts (e.g. 'train/loss').");
            }
        }
        if (key[0] == '/' || key[^1] == '/' || key.Contains("//", StringComparison.Ordinal))
        {
            throw new InvalidNameException($"The {kind} key '{key}' has an empty part between slashes.",
                "Use '/' only between non-empty parts, e.g. 'train/loss'.");
        }
        // Scanned without splitting: this runs for every logged point.
        for (var start = 0; start < key.Length;)
        {
            var end = key.IndexOf('/', start);
            end = end < 0 ? key.Length : end;
            var part = key.AsSpan(start, end - start).Trim(' ');
            if (part is "." or "..")
            {
                throw new InvalidNameException($"The {kind} key '{key}' has a '{part}' part, which reads as a path.",
                    "Rename the key without '.' or '..' parts.");
            }
            start = end + 1;
        }
    }

    public static void ValidateValue(string kind, string key, string? value, int maxLength)
    {
        if (value is null)
        {
            throw new InvalidNameException($"The value of {kind} '{key}' is null.", "Log a string; use \"\" for an empty value.");
        }
        if (value.Length > maxLength)
        {
            throw new InvalidNameException($"The value of {kind} '{key}' is {value.Length} characters long; the limit is {maxLength}.",
                "Log large values as an artifact (Mlops.LogArtifact) instead.");
        }
    }

    public static void ValidateName(string kind, string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new InvalidNameException($"The {kind} name is empty.", $"Give the {kind} a name.");
        }
        if (name.Length > MaxNameLength)
        {
            throw new InvalidNameException($"The {kind} name is {name.Length} characters long; the limit is {MaxNameLength}.");
        }
        if (FindUnsafeCharacter(name) is var at and >= 0)
        {
            throw new InvalidNameException(
                $"The {kind} name '{Printable(name)}' contains {Describe(name[at])} at position {at + 1}.",
                "Names hold printable text: no control characters, and no bidirectional controls, which make a name display in another order than it is stored.");
        }
    }

    /// <summary>
    /// The one rule for characters that must not appear in names (runs, experiments, files): the position of the first
    /// control character (C0, DEL, C1) or bidirectional control (LRM, RLM, ALM, the embeddings and overrides
    /// U+202A-U+202E, the isolates U+2066-U+2069), or -1 when there is none. Terminal views escape the same set.
    /// </summary>
    public static int FindUnsafeCharacter(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (IsUnsafeCharacter(text[i]))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>
    /// Text as a terminal may show it: the characters of <see cref="FindUnsafeCharacter"/> (control characters,
    /// which can set the title, write the clipboard or move the cursor, and bidirectional controls, which reorder
    /// what is shown) become visible escapes such as <c>\u001b</c>. Every text view passes values through it; JSON
    /// views keep them exact.
    /// </summary>
    public static string Printable(string text)
    {
        if (FindUnsafeCharacter(text) < 0)
        {
            return text;
        }
        var shown = new System.Text.StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (IsUnsafeCharacter(c))
            {
                shown.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                shown.Append(c);
            }
        }
        return shown.ToString();
    }

    /// <summary>Whether <paramref name="c"/> is one of the characters <see cref="FindUnsafeCharacter"/> looks for.</summary>
    public static bool IsUnsafeCharacter(char c) =>
        char.IsControl(c) || c is (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u200E' or '\u200F' or '\u061C';

    private static string Describe(char c) =>
        char.IsControl(c) ? $"a control character (U+{(int)c:X4})" : $"a bidirectional control (U+{(int)c:X4})";

    private static string Printable(char c) => char.IsControl(c) || char.IsWhiteSpace(c) ? $"U+{(int)c:X4}" : c.ToString();
}
