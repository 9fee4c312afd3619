using System.Globalization;
using CsvHelper;

namespace MlopsNotebooks.Serving.Batch;

/// <summary>CSV with a header row, in the invariant culture: every value is read as text and written in its shortest round-trip form.</summary>
internal static class CsvTable
{
    public static Task<ITableReader> OpenAsync(string path)
    {
        // CsvHelper 34: RFC 4180, quoted fields may span lines; LineNumber is the record's first line in the file.
        var csv = CsvReader.FromFile(path, new CsvReaderOptions { TrackLineNumbers = true });
        var header = csv.Headers.ToArray();
        if (header.Length == 0 || header.All(h => h.Length == 0))
        {
            csv.Dispose();
            throw new MlopsException($"{path} has no header row.", "The first line must name the columns.");
        }
        return Task.FromResult<ITableReader>(new Reader(path, new FileInfo(path).Length, csv, header.Select(n => new TableColumn(n, typeof(string))).ToList()));
    }

    public static Task<ITableWriter> CreateAsync(string path, IReadOnlyList<TableColumn> columns)
    {
        var csv = CsvWriter.ToFile(path);
        csv.WriteRecord(columns.Select(c => c.Name).ToArray());
        return Task.FromResult<ITableWriter>(new Writer(csv));
    }

    private sealed class Reader(string path, long length, CsvReader csv, IReadOnlyList<TableColumn> columns) : ITableReader
    {
        private long _row;

        public IReadOnlyList<TableColumn> Columns => columns;

        public double Progress => length == 0 ? 1 : Math.Min(1, (double)csv.ByteOffset / length);

        public Task<IReadOnlyList<object?[]>> ReadAsync(int rows, CancellationToken cancellationToken)
        {
            var chunk = new List<object?[]>(rows);
            while (chunk.Count < rows && csv.Read())
            {
                cancellationToken.ThrowIfCancellationRequested();
                _row++;
                if (csv.FieldCount != columns.Count)
                {
                    throw new MlopsException($"Row {_row} of {path} (line {csv.LineNumber}) has {csv.FieldCount} values; the header has {columns.Count}.",
                        "Every row needs one value per header column (quote values that hold a comma).");
                }
                var values = new object?[columns.Count];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = csv.GetString(i) ?? "";
                }
                chunk.Add(values);
            }
            return Task.FromResult<IReadOnlyList<object?[]>>(chunk);
        }

        public ValueTask DisposeAsync()
        {
            csv.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class Writer(CsvWriter csv) : ITableWriter
    {
        public Task WriteAsync(IReadOnlyList<object?[]> rows, CancellationToken cancellationToken)
        {
            foreach (var row in rows)
            {
                csv.WriteRecord(Array.ConvertAll(row, Text));
            }
            return Task.CompletedTask;
        }

        private static string Text(object? value) => value switch
        {
            null => "",
            string s => s,
            float f => f.ToString("R", CultureInfo.InvariantCulture),
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            bool b => b ? "true" : "false",
            DateTime t => t.ToString("O", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };

        public ValueTask DisposeAsync() => csv.DisposeAsync();
    }
}
