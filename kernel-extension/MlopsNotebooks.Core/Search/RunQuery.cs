namespace MlopsNotebooks.Search;

using MlopsNotebooks.Tracking;

/// <summary>A search over the runs of some experiments: filter, order and a cap on the number of results.</summary>
public sealed record RunQuery
{
    public const int DefaultMaxResults = 1000;
    public const int MaxMaxResults = 50_000;

    public required IReadOnlyList<string> ExperimentIds { get; init; }
    public RunFilter Filter { get; init; } = RunFilter.Empty;

    /// <summary>Empty means newest first (start time descending).</summary>
    public IReadOnlyList<OrderBy> OrderBy { get; init; } = [];
    public int MaxResults { get; init; } = DefaultMaxResults;
    public ViewType ViewType { get; init; } = ViewType.ActiveOnly;
}
