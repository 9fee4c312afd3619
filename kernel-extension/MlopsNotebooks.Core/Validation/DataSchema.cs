using System.Globalization;
using CsvHelper;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace MlopsNotebooks.Validation;

/// <summary>The expectations for one column of a CSV file.</summary>
public sealed class ColumnSchema
{
    public string Name { get; set; } = "";

    /// <summary>integer, number, boolean or string.</summary>
    public string Type { get; set; } = "string";

    public bool Nullable { get; set; }

    public double? Min { get; set; }

    public double? Max { get; set; }

    /// <summary>The only values a category column may take.</summary>
    public List<string>? Allowed { get; set; }
}

public sealed class RowCount
{
    public long? Min { get; set; }

    public long? Max { get; set; }
}

/// <summary>One broken expectation: which column (null for the file as a whole), the first line it happens on, and what.</summary>
public sealed record DataViolation
{
    public string? Column { get; init; }

    public int? Line { get; init; }

    public string Message { get; init; } = "";
}

/// <summary>
/// A data schema kept in the repository beside the data (YAML): column names and types, nulls, ranges, allowed
/// categories and the row count. <see cref="Infer"/> writes a first version from the current data.
/// </summary>
public sealed class DataSchema
{
    public static readonly string[] Types = ["integer", "number", "boolean", "string"];

    // A string column with at most this many distinct values is taken for a category when a schema is inferred.
    private const int CategoryLimit = 20;

    public RowCount Rows { get; set; } = new();

    public List<ColumnSchema> Columns { get; set; } = [];

    /// <summary>Reads a schema; <paramref name="shown"/> is how messages name it (the path as the user wrote it).</summary>
    public static DataSchema Load(string file, string? shown = null)
    {
        var path = shown ?? file;
        if (!File.Exists(file))
        {
            throw new NotFoundException($"The data schema {path} does not exist.", $"Write a first version from the data: mlops data schema init <data.csv> --schema {path}");
        }
        DataSchema schema;
        try
        {
            schema = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build()
                .Deserialize<DataSchema?>(File.ReadAllText(file)) ?? new DataSchema();
        }
        catch (YamlException e)
        {
            throw new MlopsException($"{path}:{e.Start.Line}:{e.Start.Column}: {Innermost(e).Message}", "Fix the YAML; keys are rows (min, max) and columns (name, type, nullable, min, max, allowed).");
        }
        foreach (var (column, i) in schema.Columns.Select((c, i) => (c, i)))
        {
            if (string.IsNullOrWhiteSpace(column.Name))
            {
                throw new MlopsException($"{path}: column {i + 1} has no name.", "Give every column a name: the CSV header it checks.");
            }
            if (!Types.Contains(column.Type))
            {
                throw new MlopsException($"{path}: column {column.Name} has type '{column.Type}'.", $"Use one of {string.Join(", ", Types)}.");
            }
        }
        var duplicate = schema.Columns.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new MlopsException($"{path}: column {duplicate.Key} is described twice.", "Keep one entry per column.");
        }
        return schema;
    }

    private static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;

    /// <summary>A first schema from the data as it is: observed types, ranges, categories, nulls and row count.</summary>
    public static DataSchema Infer(string csvPath)
    {
        var (header, rows) = ReadCsv(csvPath);
        var schema = new DataSchema { Rows = new RowCount { Min = rows.Count / 2 } };
        for (var c = 0; c < header.Length; c++)
        {
            var values = rows.Select(r => c < r.Values.Length ? r.Values[c] : "").ToList();
            var present = values.Where(v => v.Length > 0).ToList();
            var type = TypeOf(present);
            var column = new ColumnSchema { Name = header[c], Type = type, Nullable = present.Count < values.Count };
            if (type is "integer" or "number" && present.Count > 0)
            {
                var numbers = present.Select(v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture)).ToList();
                (column.Min, column.Max) = (numbers.Min(), numbers.Max());
            }
            if (type == "string" && present.Distinct().Count() is > 0 and <= CategoryLimit)
            {
                column.Allowed = [.. present.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
            }
            schema.Columns.Add(column);
        }
        return schema;
    }

    /// <summary>The schema type of a column's present (non-empty) values: integer, number, boolean or string (none present).</summary>
    internal static string TypeOf(IReadOnlyCollection<string> present) =>
        present.Count == 0 ? "string"
        : present.All(v => long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)) ? "integer"
        : present.All(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) ? "number"
        : present.All(v => bool.TryParse(v, out _)) ? "boolean"
        : "string";

    public string ToYaml()
    {
        var yaml = new SerializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance)
            .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull).Build().Serialize(this);
        return "# The data's expectations, checked by mlops validate. Written from the data by mlops data schema init;\n"
            + "# tighten or loosen them by hand. Types: integer, number, boolean, string.\n" + yaml;
    }

    /// <summary>Every broken expectation of the file, at most one per column and kind, with the first line it is on.</summary>
    public IReadOnlyList<DataViolation> Validate(string csvPath)
    {
        var (header, rows) = ReadCsv(csvPath);
        var violations = new List<DataViolation>();
        foreach (var missing in Columns.Where(c => !header.Contains(c.Name)))
        {
            violations.Add(Violation(missing.Name, 1, $"column {missing.Name} is missing (the header has {string.Join(", ", header)})"));
        }
        foreach (var extra in header.Where(h => Columns.All(c => c.Name != h)))
        {
            violations.Add(Violation(extra, 1, $"column {extra} is not in the schema"));
        }
        foreach (var column in Columns)
        {
            var index = Array.IndexOf(header, column.Name);
            if (index < 0)
            {
                continue;
            }
            var problems = new Dictionary<string, (int Line, int Count, string Example)>();
            void Note(string kind, int line, string example) =>
                problems[kind] = problems.TryGetValue(kind, out var seen) ? seen with { Count = seen.Count + 1 } : (line, 1, example);
            foreach (var row in rows)
            {
                var value = index < row.Values.Length ? row.Values[index] : "";
                if (value.Length == 0)
                {
                    if (!column.Nullable)
                    {
                        Note("null", row.Line, value);
                    }
                    continue;
                }
                double? number = null;
                switch (column.Type)
                {
                    case "integer" when !long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _):
                    case "number" when !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _):
                    case "boolean" when !bool.TryParse(value, out _):
                        Note("type", row.Line, value);
                        continue;
                    case "integer" or "number":
                        number = double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);
                        break;
                }
                if (number < column.Min || number > column.Max)
                {
                    Note("range", row.Line, value);
                }
                if (column.Allowed is { } allowed && !allowed.Contains(value))
                {
                    Note("category", row.Line, value);
                }
            }
            foreach (var (kind, (line, count, example)) in problems)
            {
                var rowsText = count == 1 ? "1 row" : $"{count} rows";
                violations.Add(Violation(column.Name, line, kind switch
                {
                    "null" => $"column {column.Name} is empty in {rowsText} (it is not nullable)",
                    "type" => $"column {column.Name} is not {column.Type} in {rowsText}, e.g. '{example}'",
                    "range" => $"column {column.Name} is outside [{Format(column.Min)}, {Format(column.Max)}] in {rowsText}, e.g. {example}",
                    _ => $"column {column.Name} has a value outside its categories in {rowsText}, e.g. '{example}' (allowed: {string.Join(", ", column.Allowed!)})",
                }));
            }
        }
        if (rows.Count < Rows.Min || rows.Count > Rows.Max)
        {
            violations.Add(Violation(null, null, $"{rows.Count} rows, expected {(Rows.Min is { } min ? $"at least {min}" : "")}{(Rows.Min is not null && Rows.Max is not null ? " and " : "")}{(Rows.Max is { } max ? $"at most {max}" : "")}"));
        }
        return violations;
    }

    private static DataViolation Violation(string? column, int? line, string message) => new() { Column = column, Line = line, Message = message };

    private static string Format(double? value) => value?.ToString("G", CultureInfo.InvariantCulture) ?? "any";

    private static (string[] Header, List<(int Line, string[] Values)> Rows) ReadCsv(string path)
    {
        if (!File.Exists(path))
        {
            throw new NotFoundException($"The data file {path} does not exist.", "Check the path (relative to the repository root), or pull it: mlops pull.");
        }
        // CsvHelper 34: RFC 4180, quoted fields may span lines; LineNumber is the record's first line in the file.
        using var csv = CsvReader.FromFile(path, new CsvReaderOptions { TrackLineNumbers = true });
        var header = csv.Headers.ToArray();
        if (header.Length == 0 || header.All(h => h.Length == 0))
        {
            throw new MlopsException($"{path} has no header row.", "The first line must name the columns.");
        }
        var rows = new List<(int, string[])>();
        while (csv.Read())
        {
            var values = new string[csv.FieldCount];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = csv.GetString(i) ?? "";
            }
            rows.Add(((int)csv.LineNumber, values));
        }
        return (header, rows);
    }
}
