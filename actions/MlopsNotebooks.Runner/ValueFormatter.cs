using Microsoft.DotNet.Interactive.Formatting;
using MlopsNotebooks.Notebooks;

namespace MlopsNotebooks.Runner;

/// <summary>
/// Formats values as the kernel does, with Microsoft.DotNet.Interactive.Formatting: HTML tables for objects and
/// sequences, PocketView tags as HTML, and plain text beside them, so a notebook looks the same run here or there.
/// </summary>
internal static class ValueFormatter
{
    public static CellOutput Result(object? value, int executionCount) =>
        new() { Kind = OutputKind.ExecuteResult, Data = Data(value, null), ExecutionCount = executionCount };

    public static CellOutput Display(object? value, string? mimeType) =>
        new() { Kind = OutputKind.DisplayData, Data = Data(value, mimeType) };

    private static SortedDictionary<string, string> Data(object? value, string? mimeType)
    {
        var data = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (mimeType is not null)
        {
            data[mimeType] = value is string s ? s : value.ToDisplayString(mimeType);
            return data;
        }
        data["text/plain"] = value is null ? "<null>" : value.ToDisplayString(PlainTextFormatter.MimeType);
        if (value is not string)
        {
            data["text/html"] = value.ToDisplayString(HtmlFormatter.MimeType);
        }
        return data;
    }
}
