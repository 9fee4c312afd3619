using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Cli.Runs;

/// <summary><c>mlops runs list</c> and <c>search</c> (list has no filter).</summary>
internal sealed record SearchRunsSettings(IReadOnlyList<string> Experiments, string? Filter, string? OrderBy, int MaxResults, ViewType View);

/// <summary><c>mlops runs show</c>.</summary>
internal sealed record ShowRunSettings(string RunId);

/// <summary><c>mlops runs compare</c>.</summary>
internal sealed record CompareRunsSettings(IReadOnlyList<string> RunIds);

/// <summary><c>mlops runs history</c>.</summary>
internal sealed record MetricHistorySettings(string RunId, string Metric);

/// <summary><c>mlops runs delete</c> (to <see cref="LifecycleStage.Deleted"/>) and <c>restore</c> (to Active).</summary>
internal sealed record RunStageSettings(string RunId, LifecycleStage Stage);

/// <summary><c>mlops runs gc</c>: purge runs deleted more than <see cref="OlderThan"/> ago, of the experiments named or all.</summary>
internal sealed record RunsGcSettings(TimeSpan OlderThan, IReadOnlyList<string> Experiments, bool DryRun);
