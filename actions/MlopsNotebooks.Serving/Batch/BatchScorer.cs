using System.Diagnostics;
using System.Globalization;

namespace MlopsNotebooks.Serving.Batch;

/// <summary>What a batch scoring did: the rows scored and how long it took.</summary>
public sealed record BatchSummary(string Model, long Rows, TimeSpan Elapsed);

/// <summary>
/// Batch scoring, the static deployment: a table (CSV or Parquet, by extension) in, the same table with the model's
/// output columns after its own out. Rows stream through in chunks, each one Transform of the model, so a file larger
/// than memory scores in the memory of one chunk (for Parquet, of one row group). The output is written beside its place
/// and moved there at the end: a failure leaves nothing behind.
/// </summary>
public static class BatchScorer
{
    public const int DefaultChunkRows = 10_000;

    /// <param name="progress">Called after each chunk with the rows scored so far and the share of the input read (0 to 1).</param>
    public static async Task<BatchSummary> ScoreAsync(string bundleFolder, string input, string output,
        Action<long, double>? progress = null, int chunkRows = DefaultChunkRows, CancellationToken cancellationToken = default)
    {
        var inputFormat = TableFormat.Of(input, "--input");
        var outputFormat = TableFormat.Of(output, "--output");
        if (!File.Exists(input))
        {
            throw new NotFoundException($"There is no input file at {input}.", "Give the path of a CSV or Parquet file with a header (CSV) or column names (Parquet).");
        }
        var model = ServedModel.Load(ModelBundle.Open(bundleFolder));
        var clock = Stopwatch.StartNew();
        var temporary = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, $".{Path.GetFileName(output)}.{Guid.NewGuid():N}.tmp");
        long rows = 0;
        try
        {
            await using (var reader = await Open(() => inputFormat.OpenReaderAsync(input), input))
            {
                var columns = InputColumns(model, reader.Columns, input);
                await using var writer = await Open(() => outputFormat.CreateWriterAsync(temporary,
                    [.. reader.Columns, .. model.Outputs.Select(o => new TableColumn(o.Name, o.Type.Clr))]), output);
                while (await reader.ReadAsync(chunkRows, cancellationToken) is { Count: > 0 } chunk)
                {
                    var predictions = model.Predict(chunk.Select((row, i) => ModelInputs(model, columns, row, rows + i + 1)).ToList());
                    await writer.WriteAsync(chunk.Select((row, i) => (object?[])[.. row, .. predictions[i]]).ToList(), cancellationToken);
                    rows += chunk.Count;
                    progress?.Invoke(rows, reader.Progress);
                }
            }
            File.Move(temporary, output, overwrite: true);
        }
        catch (Exception e) when (EnvironmentException.From(e, output) is { } failure)
        {
            throw failure;
        }
        finally
        {
            File.Delete(temporary);
        }
        return new BatchSummary(model.Bundle.Version is { } v ? $"{model.Bundle.Name}/{v}" : model.Bundle.Name, rows, clock.Elapsed);
    }

    private static async Task<T> Open<T>(Func<Task<T>> open, string path)
    {
        try
        {
            return await open();
        }
        catch (Exception e) when (EnvironmentException.From(e, path) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>Where each of the model's inputs is in the file.</summary>
    private static int[] InputColumns(ServedModel model, IReadOnlyList<TableColumn> columns, string input) =>
        model.Inputs.Select(needed => columns.Select((c, i) => (c, i)).Where(p => p.c.Name == needed.Name).Select(p => (int?)p.i).FirstOrDefault()
            ?? throw new MlopsException($"{input} has no column {needed.Name}, which the model needs.",
                $"The model needs {string.Join(", ", model.Inputs.Select(c => $"{c.Name} ({c.Type.Name})"))}; the file has {string.Join(", ", columns.Select(c => c.Name))}."))
            .ToArray();

    private static object?[] ModelInputs(ServedModel model, int[] columns, object?[] row, long number) =>
        model.Inputs.Select((column, i) => Convert(row[columns[i]], column.Type)
            ?? throw new MlopsException($"Row {number}, column {column.Name}: '{row[columns[i]]}' is not {column.Type.Expected}.",
                "Fix the value in the input file (numbers are written with a dot, booleans as true or false)."))
            .ToArray();

    /// <summary>A file's value as the model's column type, or null when it is not one. A missing number is NaN, as ML.NET reads it.</summary>
    private static object? Convert(object? value, ColumnType type)
    {
        var number = type.Clr == typeof(float) || type.Clr == typeof(double);
        switch (value)
        {
            case null:
            case string { Length: 0 } when number:
                return type.Clr == typeof(float) ? float.NaN : type.Clr == typeof(double) ? double.NaN : type.Clr == typeof(string) ? "" : null;
            case string text:
                return Parse(text, type.Clr);
            case bool when type.Clr != typeof(bool):
                return null;
            case var same when same.GetType() == type.Clr:
                return same;
            case IConvertible convertible when type.Clr != typeof(bool) && type.Clr != typeof(string) && convertible is not DateTime:
                try
                {
                    return System.Convert.ChangeType(convertible, type.Clr, CultureInfo.InvariantCulture);
                }
                catch (OverflowException)
                {
                    return null;
                }
            default:
                return null;
        }
    }

    private static object? Parse(string text, Type clr)
    {
        const NumberStyles real = NumberStyles.Float;
        var c = CultureInfo.InvariantCulture;
        return clr == typeof(string) ? text
            : clr == typeof(float) ? (float.TryParse(text, real, c, out var f) ? f : null)
            : clr == typeof(double) ? (double.TryParse(text, real, c, out var d) ? d : null)
            : clr == typeof(int) ? (int.TryParse(text, NumberStyles.Integer, c, out var i) ? i : null)
            : clr == typeof(long) ? (long.TryParse(text, NumberStyles.Integer, c, out var l) ? l : null)
            : clr == typeof(bool) ? (bool.TryParse(text, out var b) ? b : text switch { "1" => true, "0" => false, _ => null })
            : null;
    }
}
