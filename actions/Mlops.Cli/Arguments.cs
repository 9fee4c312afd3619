using System.Globalization;
using MlopsNotebooks.GitHub.Toolkit;
using MlopsNotebooks.Tracking;

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
    public static Dictionary<string, string> NameValues(IEnumerable<string> pairs, string what) =>
        KeyValueText.ParseAll(pairs, what, $"Write e.g. {what} epochs=20.", form: "name=value");

    /// <summary>A duration as people write one: 0, 90s, 30m, 2h, 7d.</summary>
    public static TimeSpan Duration(string text, string what)
    {
        var value = text.Trim();
        var unit = value.Length > 0 && char.IsAsciiLetter(value[^1]) ? value[^1] : 's';
        var number = char.IsAsciiLetter(unit) && value.Length > 0 && char.IsAsciiLetter(value[^1]) ? value[..^1] : value;
        if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            || unit is not ('s' or 'm' or 'h' or 'd') || n > 100_000)
        {
            throw new MlopsException($"{what} '{text}' is not a duration.", "Write a whole number with s, m, h or d: 0, 30m, 2h, 7d.");
        }
        return unit switch { 'm' => TimeSpan.FromMinutes(n), 'h' => TimeSpan.FromHours(n), 'd' => TimeSpan.FromDays(n), _ => TimeSpan.FromSeconds(n) };
    }

    /// <summary>
    /// An option holding a <see cref="Duration"/>, checked while the command line is parsed: a bad one is bad usage
    /// (exit 2) and stops the command before it opens anything.
    /// </summary>
    public static System.CommandLine.Option<TimeSpan> DurationOption(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            try
            {
                return Duration(text, name);
            }
            catch (MlopsException e)
            {
                result.AddError($"{e.Message} {e.Hint}");
                return TimeSpan.Zero;
            }
        },
    };

    /// <summary>An action's number input, or <paramref name="fallback"/> when it is not given.</summary>
    public static double Number(ActionRunner actions, string input, double fallback) =>
        actions.Input(input) is not { } text ? fallback
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value
        : throw new MlopsException($"The input {input} is '{text}', not a number.", $"Give {input} as a number, e.g. {fallback.ToString(CultureInfo.InvariantCulture)}.");
}
