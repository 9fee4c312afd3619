namespace MlopsNotebooks.Tracking;

/// <summary>
/// Runs side by side: every param that differs between them (params all runs share with one value are left out, as a
/// reviewer wants), and every metric's latest value per run (NaN where a run did not log it).
/// </summary>
public sealed record RunComparison(
    IReadOnlyList<Run> Runs,
    IReadOnlyList<string> DifferingParams,
    IReadOnlyList<string> MetricKeys)
{
    public static RunComparison Of(IReadOnlyList<Run> runs)
    {
        var paramKeys = runs.SelectMany(r => r.Params.Keys).Distinct().Order(StringComparer.Ordinal);
        var differing = paramKeys
            .Where(k => runs.Select(r => r.Params.GetValueOrDefault(k)).Distinct().Count() > 1)
            .ToList();
        var metricKeys = runs.SelectMany(r => r.Metrics.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        return new RunComparison(runs, differing, metricKeys);
    }

    public string? Param(Run run, string key) => run.Params.GetValueOrDefault(key);

    public double Metric(Run run, string key) => run.Metrics.TryGetValue(key, out var m) ? m.Value : double.NaN;
}
