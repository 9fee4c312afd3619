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
    /// <summary>A cell's trailing value, which may be formatted already (the kernel passes those through).</summary>
    public static CellOutput Result(object? value, int executionCount) => new()
    {
        Kind = OutputKind.ExecuteResult,
        Data = Data(value switch
        {
            FormattedValue formatted => [formatted],
            IEnumerable<FormattedValue> many => many.ToList(),
            _ => FormattedValue.CreateManyFromObject(value),
        }),
        ExecutionCount = executionCount,
    };

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
