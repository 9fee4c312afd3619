using System.Globalization;
using CsvHelper;

namespace MlopsNotebooks.Monitoring;

/// <summary>
/// Reads a CSV file (RFC 4180, a header row) into columns for drift. A column is numerical when the data schema's
/// inference finds integers or numbers (invariant culture), categorical otherwise, unless the caller says which kind it
/// must be (the reference's);
/// an empty field is a missing value. Booleans are written true and false whatever the file's case, as JSON (and so
/// the prediction log) writes them.
/// </summary>
public static class CsvColumns
{
    /// <summary>The whole file in memory; <paramref name="kinds"/> fixes the kind of the columns it names.</summary>
    public static DataColumns Read(string path, IReadOnlyDictionary<string, ColumnKind>? kinds = null)
    {
        var (header, values) = ReadText(path);
        return new DataColumns(header.Select((name, c) => ToColumn(name, values[c], kinds?.GetValueOrDefault(name) is { } kind ? kind : null)));
    }

    /// <summary>
    /// Reads the file in batches of <paramref name="batchRows"/> rows with the kinds given (a stream has no second look
    /// to infer them): a column the kinds do not name is left out. Memory stays at one batch.
    /// </summary>
    public static long Stream(string path, IReadOnlyDictionary<string, ColumnKind> kinds, int batchRows, Action<DataColumns> batch)
    {
        using var csv = Open(path);
        var header = Header(csv, path);
        var wanted = header.Select((name, c) => (name, c)).Where(p => kinds.ContainsKey(p.name)).ToList();
        var buffers = wanted.Select(_ => new List<string?>(batchRows)).ToList();
        long rows = 0;
        void Flush()
        {
            if (buffers.Count > 0 && buffers[0].Count == 0)
            {
                return;
            }
            batch(new DataColumns(wanted.Select((p, i) => ToColumn(p.name, buffers[i], kinds[p.name]))));
            buffers.ForEach(b => b.Clear());
        }
        try
        {
            while (csv.Read())
            {
                for (var i = 0; i < wanted.Count; i++)
                {
                    buffers[i].Add(Field(csv, wanted[i].c));
                }
                if (++rows % batchRows == 0)
                {
                    Flush();
                }
            }
        }
        catch (Exception e) when (e is CsvFormatException or CsvValidationException)
        {
            throw Malformed(path, e);
        }
        Flush();
        return rows;
    }

    /// <summary>The header of a CSV file.</summary>
    public static IReadOnlyList<string> Columns(string path)
    {
        using var csv = Open(path);
        return Header(csv, path);
    }

    private static (string[] Header, List<string?>[] Values) ReadText(string path)
    {
        using var csv = Open(path);
        var header = Header(csv, path);
        var values = header.Select(_ => new List<string?>()).ToArray();
        try
        {
            while (csv.Read())
            {
                for (var c = 0; c < header.Length; c++)
                {
                    values[c].Add(Field(csv, c));
                }
            }
        }
        catch (Exception e) when (e is CsvFormatException or CsvValidationException)
        {
            throw Malformed(path, e);
        }
        return (header, values);
    }

    private static string? Field(CsvReader csv, int index) =>
        index < csv.FieldCount && csv.GetString(index) is { Length: > 0 } text ? text : null;

    private static CsvReader Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new NotFoundException($"The data file {path} does not exist.", "Check the path; drift reads a CSV file with a header row.");
        }
        return CsvReader.FromFile(path, new CsvReaderOptions { TrackLineNumbers = true });
    }

    private static string[] Header(CsvReader csv, string path)
    {
        var header = csv.Headers.ToArray();
        if (header.Length == 0 || header.All(h => h.Length == 0))
        {
            throw new MlopsException($"{path} has no header row.", "The first line must name the columns.");
        }
        var twice = header.GroupBy(h => h, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
        {
            throw new MlopsException($"{path} names the column {twice.Key} twice.", "Name each column once in the header.");
        }
        return header;
    }

    private static MlopsException Malformed(string path, Exception e) =>
        new($"{path} is not a well-formed CSV file: {e.Message}", "Quote fields that hold the separator, quotes or line breaks (RFC 4180).");

    private static DataColumn ToColumn(string name, List<string?> text, ColumnKind? kind)
    {
        // The same reading of types as the data schema's (mlops data schema init): integers and numbers are numerical.
        var type = Validation.DataSchema.TypeOf(text.OfType<string>().ToList());
        var numeric = kind switch
        {
            ColumnKind.Numerical => true,
            ColumnKind.Categorical => false,
            _ => type is "integer" or "number",
        };
        if (numeric)
        {
            var numbers = new double[text.Count];
            for (var i = 0; i < numbers.Length; i++)
            {
                numbers[i] = text[i] is { } v && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.IsFinite(x) ? x : double.NaN;
            }
            return DataColumn.Numerical(name, numbers);
        }
        return DataColumn.Categorical(name, type == "boolean" ? text.Select(v => v is null ? null : bool.Parse(v) ? "true" : "false").ToArray() : text.ToArray());
    }
}
