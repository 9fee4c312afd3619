using MlopsNotebooks.Display;

namespace MlopsNotebooks.Tracking;

/// <summary>
/// Charts read through the tracking client. In the Tracking namespace, beside the client, so that a notebook's
/// <c>Mlops.Client.MetricHistoryChart(...)</c> needs no other using; in the notebook package because the core draws no chart.
/// </summary>
public static class TrackingCharts
{
    /// <summary>A chart of one metric's history across steps, one line per run.</summary>
    public static Plotly.NET.GenericChart MetricHistoryChart(this TrackingClient client, string key, IReadOnlyList<string> runIdsOrPrefixes) =>
        RunCharts.MetricHistory(key, client.MetricHistories(key, runIdsOrPrefixes));
}
