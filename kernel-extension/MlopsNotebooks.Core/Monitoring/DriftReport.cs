namespace MlopsNotebooks.Monitoring;

/// <summary>
/// The verdict on one column (or on the predictions): which test, its figure and threshold, whether it drifted, and
/// the convention the figure follows (so a reader can reproduce it elsewhere).
/// </summary>
public sealed record ColumnDrift
{
    public string Column { get; init; } = "";

    public ColumnKind Kind { get; init; }

    /// <summary>One of <see cref="DriftTests"/>'s names, or null when no test could run (see <see cref="Note"/>).</summary>
    public string? Test { get; init; }

    /// <summary>The test's statistic: D for ks, the normalised distance for wasserstein, χ² or Z, the distance for jensenshannon, PSI.</summary>
    public double? Statistic { get; init; }

    /// <summary>The p-value for ks, chisquare and z; null for distances.</summary>
    public double? PValue { get; init; }

    public double Threshold { get; init; }

    public bool Drifted { get; init; }

    /// <summary>How the figure is computed, e.g. "scipy.stats.ks_2samp (method auto); drift when p ≤ 0.05".</summary>
    public string Convention { get; init; } = "";

    /// <summary>Profile mode: how far the statistic can be from the exact one (same units); null in exact mode.</summary>
    public double? ErrorBound { get; init; }

    public long ReferenceCount { get; init; }

    public long CurrentCount { get; init; }

    public long CurrentMissing { get; init; }

    /// <summary>What the reader should know: categories never seen in training, an empty window, a constant column.</summary>
    public string? Note { get; init; }

    /// <summary>The two distributions side by side, for charts.</summary>
    public DistributionPair? Distribution { get; init; }
}

/// <summary>Shares of the reference and of the current data per bin or category, for charts (labels in order).</summary>
public sealed record DistributionPair(IReadOnlyList<string> Labels, IReadOnlyList<double> Reference, IReadOnlyList<double> Current);

/// <summary>The model's metric on recent labelled data against the value it was registered with.</summary>
public sealed record MetricCheck
{
    public string Metric { get; init; } = "";

    public double? Registered { get; init; }

    public double? Recent { get; init; }

    /// <summary>Predictions whose label has arrived.</summary>
    public long LabelledRows { get; init; }

    /// <summary>How much worse the recent value may be before it counts (absolute).</summary>
    public double Tolerance { get; init; }

    public bool Degraded { get; init; }

    public string? Note { get; init; }
}

/// <summary>The service's error rate and latency over the window, from Prometheus or the server's /metrics.</summary>
public sealed record ServiceHealth
{
    /// <summary>"prometheus" or "metrics".</summary>
    public string Source { get; init; } = "";

    public double? Requests { get; init; }

    /// <summary>Share of requests answered with a 5xx.</summary>
    public double? ErrorRate { get; init; }

    public double? LatencyP99Seconds { get; init; }

    public double MaxErrorRate { get; init; }

    public double MaxLatencyP99Seconds { get; init; }

    public bool Healthy { get; init; } = true;

    public string? Note { get; init; }
}

/// <summary>
/// A drift report: per column verdicts, the data set's verdict (at least <see cref="DriftShare"/> of the columns), the
/// predictions' drift, the metric on labelled data and the service's health. Views render it (HTML, Markdown, JSON,
/// text); it holds everything they show.
/// </summary>
public sealed record DriftReport
{
    public string? Model { get; init; }

    public int? Version { get; init; }

    public DriftMode Mode { get; init; }

    public DateTimeOffset Created { get; init; }

    /// <summary>The window of the prediction log compared, when the current data came from it.</summary>
    public DateTimeOffset? WindowStart { get; init; }

    public DateTimeOffset? WindowEnd { get; init; }

    public long ReferenceRows { get; init; }

    public long CurrentRows { get; init; }

    public IReadOnlyList<ColumnDrift> Columns { get; init; } = [];

    public double DriftShare { get; init; }

    public int DriftedColumns => Columns.Count(c => c.Drifted);

    /// <summary>Columns a test ran on (a column with nothing to compare is not counted).</summary>
    public int ComparedColumns => Columns.Count(c => c.Test is not null);

    public bool DatasetDrifted => ComparedColumns > 0 && DriftedColumns >= DriftShare * ComparedColumns;

    public ColumnDrift? Prediction { get; init; }

    public MetricCheck? Metric { get; init; }

    public ServiceHealth? Service { get; init; }

    /// <summary>What the report could not do or had to skip, in words: cut log lines, columns missing from the log.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Nothing crossed a threshold.</summary>
    public bool Healthy => !DatasetDrifted && Prediction?.Drifted != true && Metric?.Degraded != true && Service?.Healthy != false;
}
