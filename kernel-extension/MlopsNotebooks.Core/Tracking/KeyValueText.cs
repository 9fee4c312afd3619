namespace MlopsNotebooks.Tracking;

/// <summary>
/// key=value as people type it: in a CLI option (<c>-p epochs=20</c>), an action input, a magic (<c>--params
/// trees=100</c>, <c>#!mlops set-tag team=churn</c>). One rule for every caller: the key is what comes before the first
/// '=' and must not be empty; the value is the rest as written (it may be empty or hold '='). One message: "{what}
/// '{text}' is not {form}.", with the caller's hint.
/// </summary>
public static class KeyValueText
{
    public static bool TryParse(string text, out string key, out string value)
    {
        var equals = text.IndexOf('=');
        (key, value) = equals > 0 ? (text[..equals], text[(equals + 1)..]) : ("", "");
        return equals > 0;
    }

    /// <param name="text">The pair as typed.</param>
    /// <param name="what">Where it was typed, as the message starts: "-p", "parameters:", "#!mlops set-tag:".</param>
    /// <param name="hint">What to write instead.</param>
    /// <param name="form">The pair in the caller's words: key=value, or name=value for a notebook's parameters.</param>
    public static (string Key, string Value) Parse(string text, string what, string hint, string form = "key=value") =>
        TryParse(text, out var key, out var value) ? (key, value) : throw new MlopsException($"{what} '{text}' is not {form}.", hint);

    /// <summary>Every pair, checked before any is used; the last of a key wins.</summary>
    public static Dictionary<string, string> ParseAll(IEnumerable<string> pairs, string what, string hint, string form = "key=value")
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var (key, value) = Parse(pair, what, hint, form);
            values[key] = value;
        }
        return values;
    }
}
