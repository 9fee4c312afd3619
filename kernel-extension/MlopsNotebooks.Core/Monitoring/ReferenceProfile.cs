namespace MlopsNotebooks.Monitoring;

/// <summary>
/// What a model version was trained on, summarised so that drift can be judged without the training data: per column
/// its type-aware summary, the distribution of the model's predictions on that data, and the metrics it was registered
/// with. Written when a version is registered; carried in the export bundle as <c>reference-profile.json</c>.
/// </summary>
public sealed class ReferenceProfile
{
    /// <summary>The file's format; readers refuse a newer one.</summary>
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;

    public string? Model { get; init; }

    public int? Version { get; init; }

    public string? RunId { get; init; }

    /// <summary>Rows of the reference data.</summary>
    public long Rows { get; init; }

    public List<ColumnProfile> Columns { get; init; } = [];

    /// <summary>The model's output column whose distribution is watched (PredictedLabel, Score), or null.</summary>
    public ColumnProfile? Prediction { get; init; }

    /// <summary>The metrics the version was registered with (the run's final values).</summary>
    public Dictionary<string, double?> Metrics { get; init; } = [];

    public ColumnProfile? Column(string name) => Columns.FirstOrDefault(c => c.Name == name);

    /// <summary>The same profile naming the model version it belongs to (the registry knows the version only after the profile is stored).</summary>
    public ReferenceProfile WithIdentity(string? model, int? version) => new()
    {
        Format = Format, Model = model ?? Model, Version = version ?? Version, RunId = RunId, Rows = Rows, Columns = Columns,
        Prediction = Prediction, Metrics = Metrics,
    };
}

/// <summary>
/// One column of the reference. Numerical: count, missing, distinct, range, mean, standard deviation (population, as
/// NumPy's std) and a histogram over the reference's quantiles. Categorical (and a numerical column with few distinct
/// values, keyed by the values' round-trip text): the count of each category.
/// </summary>
public sealed class ColumnProfile
{
    public string Name { get; init; } = "";

    public ColumnKind Kind { get; init; }

    /// <summary>Values present.</summary>
    public long Count { get; init; }

    /// <summary>Values missing (empty, null, NaN).</summary>
    public long Missing { get; init; }

    /// <summary>Distinct values present.</summary>
    public long Distinct { get; init; }

    public double? Min { get; init; }

    public double? Max { get; init; }

    public double? Mean { get; init; }

    public double? StandardDeviation { get; init; }

    /// <summary>Bin edges, ascending; bin i holds values in [Edges[i], Edges[i+1]), the last bin also its upper edge.</summary>
    public double[]? Edges { get; init; }

    /// <summary>The reference's count in each bin (one fewer than the edges).</summary>
    public long[]? Counts { get; init; }

    /// <summary>Count per category (or per value of a numerical column with few distinct values); the rarest beyond the cap are in <see cref="Other"/>.</summary>
    public Dictionary<string, long>? Frequencies { get; init; }

    /// <summary>Values of categories left out of <see cref="Frequencies"/> (huge cardinality).</summary>
    public long Other { get; init; }
}
