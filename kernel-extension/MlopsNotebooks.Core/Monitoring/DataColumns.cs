namespace MlopsNotebooks.Monitoring;

/// <summary>How drift treats a column: numbers are compared as distributions, categories as shares.</summary>
public enum ColumnKind
{
    Numerical,
    Categorical,
}

/// <summary>
/// One column of a data set in memory, as drift reads it: numbers (NaN where the value is missing) or categories (null
/// where missing). A numerical column with few distinct values is still numerical here; the test chosen for it treats
/// it as categories (as Evidently does).
/// </summary>
public sealed class DataColumn
{
    private DataColumn(string name, double[]? numbers, string?[]? categories)
    {
        Name = name;
        Numbers = numbers;
        Categories = categories;
    }

    public string Name { get; }

    public ColumnKind Kind => Numbers is not null ? ColumnKind.Numerical : ColumnKind.Categorical;

    /// <summary>The values of a numerical column; NaN is a missing value.</summary>
    public double[]? Numbers { get; }

    /// <summary>The values of a categorical column; null is a missing value.</summary>
    public string?[]? Categories { get; }

    public int Length => Numbers?.Length ?? Categories!.Length;

    public static DataColumn Numerical(string name, double[] values) => new(name, values, null);

    public static DataColumn Categorical(string name, string?[] values) => new(name, null, values);
}

/// <summary>A data set in memory, column by column (the current window, or reference data before it is profiled).</summary>
public sealed class DataColumns
{
    private readonly Dictionary<string, DataColumn> _byName;

    public DataColumns(IEnumerable<DataColumn> columns)
    {
        Columns = columns.ToList();
        _byName = new Dictionary<string, DataColumn>(StringComparer.Ordinal);
        foreach (var column in Columns)
        {
            if (!_byName.TryAdd(column.Name, column))
            {
                throw new MlopsException($"The data has two columns named {column.Name}.", "Name each column once.");
            }
        }
        var lengths = Columns.Select(c => c.Length).Distinct().ToList();
        if (lengths.Count > 1)
        {
            throw new MlopsException($"The data's columns have different lengths ({string.Join(", ", lengths)}).", "Give every column one value per row.");
        }
        Rows = lengths.Count == 0 ? 0 : lengths[0];
    }

    public IReadOnlyList<DataColumn> Columns { get; }

    public int Rows { get; }

    public DataColumn? this[string name] => _byName.GetValueOrDefault(name);
}
