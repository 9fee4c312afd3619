namespace MlopsNotebooks.Cli;

/// <summary>Values the commands read the same way, from options or action inputs.</summary>
internal static class Arguments
{
    /// <summary>A timeout: positive, at most a week.</summary>
    public static TimeSpan? Seconds(double? value, string what) => value switch
    {
        null => null,
        <= 0 or > 7 * 24 * 3600 or double.NaN => throw new MlopsException($"{what} must be a positive number of seconds, at most a week."),
        var s => TimeSpan.FromSeconds(s.Value),
    };

    /// <summary>name=value pairs for a notebook's parameters cell; the last of a name wins.</summary>
    public static Dictionary<string, string> NameValues(IEnumerable<string> pairs, string what)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var equals = pair.IndexOf('=');
            if (equals <= 0)
            {
                throw new MlopsException($"{what} '{pair}' is not name=value.", $"Write e.g. {what} epochs=20.");
            }
            values[pair[..equals]] = pair[(equals + 1)..];
        }
        return values;
    }
}
