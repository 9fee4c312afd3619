using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Storage;

/// <summary>A run as it moves between stores: the run, every point of every metric, and when it was deleted.</summary>
public sealed record RunHistory(Run Run, IReadOnlyList<Metric> Points, DateTimeOffset? DeletedTime);

/// <summary>What importing one item (a run, a model version) did to the destination.</summary>
public enum ImportOutcome
{
    Created,
    Updated,
    Unchanged,

    /// <summary>The destination holds the item with other content; it was left as it is.</summary>
    Conflict,
}

/// <summary>An import's outcome, with why it was refused when it is a conflict.</summary>
public sealed record ImportResult(ImportOutcome Outcome, string? Conflict = null)
{
    public static ImportResult Created { get; } = new(ImportOutcome.Created);
    public static ImportResult Updated { get; } = new(ImportOutcome.Updated);
    public static ImportResult Unchanged { get; } = new(ImportOutcome.Unchanged);

    public static ImportResult Refused(string why) => new(ImportOutcome.Conflict, why);
}
