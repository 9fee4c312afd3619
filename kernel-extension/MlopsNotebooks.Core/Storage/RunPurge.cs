namespace MlopsNotebooks.Storage;

/// <summary>A deleted run that a purge removed (or, in a dry run, would remove).</summary>
public sealed record PurgedRun(string RunId, string ExperimentId, string? Name, DateTimeOffset DeletedTime);

/// <summary>A deleted run old enough to purge that stays, and why.</summary>
public sealed record KeptRun(string RunId, string ExperimentId, string? Name, string Reason);

/// <summary>What <see cref="ITrackingStore.PurgeDeletedRuns"/> removed and what it kept; both sorted by run id.</summary>
public sealed record RunPurge(IReadOnlyList<PurgedRun> Purged, IReadOnlyList<KeptRun> Kept, bool DryRun);
