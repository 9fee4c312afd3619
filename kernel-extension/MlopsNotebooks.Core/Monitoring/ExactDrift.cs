namespace MlopsNotebooks.Monitoring;

/// <summary>
/// One column kept whole for exact drift: a numerical column's present values sorted ascending, or a categorical
/// column's count per category; and how many values were missing.
/// </summary>
public sealed class ExactColumn
{
    public string Name { get; init; } = "";

    public ColumnKind Kind { get; init; }

    /// <summary>Present values, ascending (numerical columns).</summary>
    public double[]? Sorted { get; init; }

    /// <summary>Count per category (categorical columns).</summary>
    public Dictionary<string, long>? Counts { get; init; }

    public long Missing { get; init; }

    public long Count => Sorted?.LongLength ?? Counts!.Values.Sum();

    public static ExactColumn From(DataColumn column) => throw new NotImplementedException();
}

/// <summary>Exact drift of one column: the statistics computed from the whole reference and current values, equal to SciPy's.</summary>
public static class ExactDrift
{
    public static ColumnDrift Compare(ExactColumn reference, ExactColumn current, DriftOptions options) => throw new NotImplementedException();
}
