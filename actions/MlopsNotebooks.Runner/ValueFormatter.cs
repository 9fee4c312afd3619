using Microsoft.DotNet.Interactive.Formatting;
using MlopsNotebooks.Notebooks;

namespace MlopsNotebooks.Runner;

/// <summary>
/// Formats values as the kernel does, with Microsoft.DotNet.Interactive.Formatting: each value in the mime types the
/// library prefers for its type (text/plain for a string, text/html for anything else, which has a formatter for every
/// object), or in the ones asked for. No text/plain beside HTML: the kernel writes none, and for an object it is a dump
/// of its properties (for a chart, thousands of lines).
/// </summary>
internal static class ValueFormatter
{
    /// <summary>
    /// A cell's trailing value, which may be formatted already (the kernel passes those through). With
    /// <paramref name="withPlainText"/> (a live Jupyter client) text/plain is in the bundle too, as Jupyter's clients
    /// expect of every result (a console shows nothing else); capped, since for an object it is a dump of its properties.
    /// </summary>
    public static CellOutput Result(object? value, int executionCount, bool withPlainText = false)
    {
        var values = value switch
        {
            FormattedValue formatted => [formatted],
            IEnumerable<FormattedValue> many => many.ToList(),
            _ => FormattedValue.CreateManyFromObject(value).ToList(),
        };
        if (withPlainText && value is not (FormattedValue or IEnumerable<FormattedValue>) && values.All(v => v.MimeType != PlainTextFormatter.MimeType))
        {
            var text = value.ToDisplayString(PlainTextFormatter.MimeType);
            values.Add(new FormattedValue(PlainTextFormatter.MimeType, text.Length <= PlainTextLimit ? text : text[..PlainTextLimit] + " ..."));
        }
        return new() { Kind = OutputKind.ExecuteResult, Data = Data(values), ExecutionCount = executionCount };
    }

    private const int PlainTextLimit = 2000;

    public static CellOutput Display(object? value, params string[] mimeTypes) => Display(FormattedValue.CreateManyFromObject(value, mimeTypes));

    public static CellOutput Display(IEnumerable<FormattedValue> values) => new() { Kind = OutputKind.DisplayData, Data = Data(values) };

    private static SortedDictionary<string, string> Data(IEnumerable<FormattedValue> values)
    {
        var data = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            data[value.MimeType] = value.Value;
        }
        return data;
    }
}
