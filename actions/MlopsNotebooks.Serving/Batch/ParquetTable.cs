using System.Reflection;
using Parquet;
using Parquet.Schema;

namespace MlopsNotebooks.Serving.Batch;

/// <summary>
/// Parquet files of flat columns, read one row group at a time and written one row group per chunk. Columns are typed
/// only at run time, so the library's generic column reads and writes are called through one generic method each.
/// </summary>
internal static class ParquetTable
{
    public static async Task<ITableReader> OpenAsync(string path)
    {
        var stream = File.OpenRead(path);
        try
        {
            var reader = await ParquetReader.CreateAsync(stream);
            var fields = reader.Schema.Fields.Select(f => f as DataField is { IsArray: false } d ? d
                : throw new MlopsException($"{path}: column {f.Name} is nested ({f.SchemaType}); batch scoring reads flat tables.", "Flatten the column before scoring.")).ToList();
            return new Reader(stream, reader, fields);
        }
        // The library says a file is not Parquet with a plain IOException (or InvalidDataException): the file's fault, not the machine's.
        catch (Exception e) when (e.GetType() == typeof(IOException) || e is InvalidDataException || (e is not MlopsException && EnvironmentException.From(e, path) is null))
        {
            await stream.DisposeAsync();
            throw new MlopsException($"{path} is not a Parquet file: {e.Message}", "Give a Parquet file, or a .csv file with a header.");
        }
    }

    public static async Task<ITableWriter> CreateAsync(string path, IReadOnlyList<TableColumn> columns)
    {
        var fields = columns.Select(c => new DataField(c.Name, c.Clr, isNullable: c.Clr.IsValueType ? true : null)).ToList();
        var stream = File.Create(path);
        return new Writer(stream, await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream), fields);
    }

    /// <summary>A column's values as the scorer sees them: text as strings (the library reads it as ReadOnlyMemory&lt;char&gt;), not nullable.</summary>
    private static Type ValueType(DataField field)
    {
        var type = Nullable.GetUnderlyingType(field.ClrType) ?? field.ClrType;
        return type == typeof(ReadOnlyMemory<char>) ? typeof(string) : type;
    }

    private sealed class Reader(Stream stream, ParquetReader reader, IReadOnlyList<DataField> fields) : ITableReader
    {
        private static readonly MethodInfo ReadValues = typeof(Reader).GetMethod(nameof(ReadColumnAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

        private readonly long _total = reader.Metadata?.NumRows ?? 0;
        private int _group;
        private object?[][] _rows = [];
        private int _next;
        private long _done;

        public IReadOnlyList<TableColumn> Columns { get; } = fields.Select(f => new TableColumn(f.Name, ValueType(f))).ToList();

        public double Progress => _total == 0 ? 1 : (double)_done / _total;

        public async Task<IReadOnlyList<object?[]>> ReadAsync(int rows, CancellationToken cancellationToken)
        {
            while (_next == _rows.Length && _group < reader.RowGroupCount)
            {
                _rows = await ReadGroupAsync(_group++, cancellationToken);
                _next = 0;
            }
            var chunk = _rows.AsSpan(_next, Math.Min(rows, _rows.Length - _next)).ToArray();
            _next += chunk.Length;
            _done += chunk.Length;
            return chunk;
        }

        private async Task<object?[][]> ReadGroupAsync(int index, CancellationToken cancellationToken)
        {
            using var group = reader.OpenRowGroupReader(index);
            var count = checked((int)group.RowCount);
            var rows = Enumerable.Range(0, count).Select(_ => new object?[fields.Count]).ToArray();
            for (var c = 0; c < fields.Count; c++)
            {
                var type = ValueType(fields[c]);
                var values = type == typeof(string)
                    ? await ReadStringsAsync(group, fields[c], count, cancellationToken)
                    : await (Task<object?[]>)ReadValues.MakeGenericMethod(type).Invoke(null, [group, fields[c], count, cancellationToken])!;
                for (var r = 0; r < count; r++)
                {
                    rows[r][c] = values[r];
                }
            }
            return rows;
        }

        private static async Task<object?[]> ReadStringsAsync(ParquetRowGroupReader group, DataField field, int count, CancellationToken cancellationToken)
        {
            var values = new string?[count];
            await group.ReadAsync(field, values.AsMemory(), null, cancellationToken);
            return values;
        }

        private static async Task<object?[]> ReadColumnAsync<T>(ParquetRowGroupReader group, DataField field, int count, CancellationToken cancellationToken)
            where T : struct
        {
            // A required column read as nullable comes back as nulls: each is read as the file declares it.
            if (field.IsNullable)
            {
                var values = new T?[count];
                await group.ReadAsync(field, values.AsMemory(), null, cancellationToken);
                return Array.ConvertAll(values, v => (object?)v);
            }
            var required = new T[count];
            await group.ReadAsync(field, required.AsMemory(), null, cancellationToken);
            return Array.ConvertAll(required, v => (object?)v);
        }

        public async ValueTask DisposeAsync()
        {
            await reader.DisposeAsync();
            await stream.DisposeAsync();
        }
    }

    private sealed class Writer(Stream stream, ParquetWriter writer, IReadOnlyList<DataField> fields) : ITableWriter
    {
        private static readonly MethodInfo WriteValues = typeof(Writer).GetMethod(nameof(WriteColumnAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

        public async Task WriteAsync(IReadOnlyList<object?[]> rows, CancellationToken cancellationToken)
        {
            using var group = writer.CreateRowGroup();
            for (var c = 0; c < fields.Count; c++)
            {
                var column = c;
                var values = rows.Select(r => r[column]).ToArray();
                var type = ValueType(fields[c]);
                await (type == typeof(string)
                    ? group.WriteAsync(fields[c], values.Cast<string?>().ToList()!)
                    : (Task)WriteValues.MakeGenericMethod(type).Invoke(null, [group, fields[c], values, cancellationToken])!);
            }
            group.CompleteValidate();
        }

        private static async Task WriteColumnAsync<T>(ParquetRowGroupWriter group, DataField field, object?[] values, CancellationToken cancellationToken)
            where T : struct =>
            await group.WriteAsync(field, new ReadOnlyMemory<T?>(Array.ConvertAll(values, v => (T?)v)), null, null, cancellationToken);

        public async ValueTask DisposeAsync()
        {
            await writer.DisposeAsync();
            await stream.DisposeAsync();
        }
    }
}
