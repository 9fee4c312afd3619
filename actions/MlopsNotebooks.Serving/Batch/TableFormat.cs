namespace MlopsNotebooks.Serving.Batch;

/// <summary>A column of a table file: its name and the CLR type of its values (string for every CSV column).</summary>
internal sealed record TableColumn(string Name, Type Clr);

/// <summary>Reads a table in chunks of rows, each row one value per column.</summary>
internal interface ITableReader : IAsyncDisposable
{
    IReadOnlyList<TableColumn> Columns { get; }

    /// <summary>The share of the file read so far, 0 to 1.</summary>
    double Progress { get; }

    /// <summary>Up to <paramref name="rows"/> rows; none at the end.</summary>
    Task<IReadOnlyList<object?[]>> ReadAsync(int rows, CancellationToken cancellationToken);
}

/// <summary>Writes a table in chunks of rows.</summary>
internal interface ITableWriter : IAsyncDisposable
{
    Task WriteAsync(IReadOnlyList<object?[]> rows, CancellationToken cancellationToken);
}

/// <summary>A table file format, chosen by the file's extension.</summary>
internal sealed class TableFormat(string extension, Func<string, Task<ITableReader>> reader, Func<string, IReadOnlyList<TableColumn>, Task<ITableWriter>> writer)
{
    public string Extension => extension;

    private static readonly TableFormat[] Formats =
    [
        new(".csv", CsvTable.OpenAsync, CsvTable.CreateAsync),
        new(".parquet", ParquetTable.OpenAsync, ParquetTable.CreateAsync),
    ];

    public Task<ITableReader> OpenReaderAsync(string path) => reader(path);

    public Task<ITableWriter> CreateWriterAsync(string path, IReadOnlyList<TableColumn> columns) => writer(path, columns);

    public static TableFormat Of(string path, string option) =>
        Formats.FirstOrDefault(f => string.Equals(Path.GetExtension(path), f.Extension, StringComparison.OrdinalIgnoreCase))
        ?? throw new MlopsException($"{option} {path}: batch scoring reads and writes {string.Join(" and ", Formats.Select(f => f.Extension))} files, chosen by extension.",
            $"Name the file with one of {string.Join(", ", Formats.Select(f => f.Extension))}.");
}
