namespace MlopsNotebooks.Tracking;

/// <summary>
/// One execution of training code, with what went in (params, tags, data) and what came out (metrics, artifacts).
/// <see cref="Metrics"/> holds the latest point of each series; <see cref="TrackingClient.GetMetricHistory"/> gives all.
/// </summary>
public sealed record Run
{
    public required string RunId { get; init; }
    public required string ExperimentId { get; init; }
    public string? Name { get; init; }
    public string? ParentRunId { get; init; }
    public required RunStatus Status { get; init; }
    public required DateTimeOffset StartTime { get; init; }
    public DateTimeOffset? EndTime { get; init; }
    public LifecycleStage Stage { get; init; } = LifecycleStage.Active;

    /// <summary>Last sign of life from the process that logs to the run (updated as it flushes).</summary>
    public DateTimeOffset? HeartbeatTime { get; init; }

    public IReadOnlyDictionary<string, string> Params { get; init; } = Empty;
    public IReadOnlyDictionary<string, Metric> Metrics { get; init; } = new SortedDictionary<string, Metric>(StringComparer.Ordinal);
    public IReadOnlyDictionary<string, string> Tags { get; init; } = Empty;
    public IReadOnlyList<ArtifactInfo> Artifacts { get; init; } = [];

    /// <summary>The data versions the run used (lineage).</summary>
    public IReadOnlyList<DataInput> Inputs { get; init; } = [];

    /// <summary>
    /// True when the run says Running but the process that owned it is gone (killed, crashed, machine lost). The store
    /// keeps such a run as Running, since nothing ended it; readers show it as stale. See <see cref="RunLiveness"/>.
    /// </summary>
    public bool IsStale { get; init; }

    /// <summary>The status as people read it: RUNNING, FINISHED, ... and "RUNNING (stale)" for an abandoned run.</summary>
    public string DisplayStatus => IsStale ? $"{Status.ToName()} (stale)" : Status.ToName();

    public TimeSpan? Duration => EndTime - StartTime;

    /// <summary>The name if one was given, otherwise the first 8 characters of the id.</summary>
    public string DisplayName => string.IsNullOrEmpty(Name) ? RunId[..Math.Min(8, RunId.Length)] : Name;

    private static readonly IReadOnlyDictionary<string, string> Empty = new SortedDictionary<string, string>(StringComparer.Ordinal);
}
