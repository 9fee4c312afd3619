using System.Globalization;
using System.Text.Json;
using MlopsNotebooks.Deployment;

namespace MlopsNotebooks.Monitoring;

/// <summary>The service's limits over the window: 5xx answers per prediction request, and the p99 latency.</summary>
public sealed record ServiceThresholds(double MaxErrorRate = 0.01, double MaxLatencyP99Seconds = 0.5);

/// <summary>
/// Reads the model server's error rate (the 5xx share of prediction requests) and p99 latency over a window, with the
/// rules the canary judges by: from Prometheus's HTTP API (the queries of <see cref="KubernetesCanaryAnalysis"/>, with
/// increase() over the window), or from the server's own <c>/metrics</c> through <see cref="CanaryJudge.Measure"/>
/// (two scrapes some time apart, or one scrape: the counters since the server started).
/// A Prometheus that cannot be read leaves the health unknown: a note, no figures, and not unhealthy, since it says
/// nothing of the service (Prometheus's own alert rules watch the server going down). A server whose <c>/metrics</c>
/// does not answer is unhealthy: that is the service itself.
/// </summary>
public static class ServiceHealthReader
{
    public static async Task<ServiceHealth> FromPrometheusAsync(HttpClient http, Uri prometheus, DateTimeOffset start, DateTimeOffset end,
        ServiceThresholds thresholds, CancellationToken cancellationToken = default)
    {
        var window = KubernetesCanaryAnalysis.Duration(end - start);
        var routes = $"route=~\"{KubernetesCanaryAnalysis.PredictionRoutes}\"";
        var health = new ServiceHealth { Source = "prometheus", MaxErrorRate = thresholds.MaxErrorRate, MaxLatencyP99Seconds = thresholds.MaxLatencyP99Seconds };
        try
        {
            var requests = await QueryAsync(http, prometheus, $"sum(increase(mlops_server_requests_total{{{routes}}}[{window}]))", end, cancellationToken);
            var errors = await QueryAsync(http, prometheus, $"sum(increase(mlops_server_requests_total{{{routes},status=~\"5..\"}}[{window}]))", end, cancellationToken);
            var p99 = await QueryAsync(http, prometheus,
                $"histogram_quantile(0.99, sum by (le) (increase(mlops_server_request_duration_seconds_bucket{{{routes}}}[{window}])))", end, cancellationToken);
            return Judge(health, requests ?? 0, errors ?? 0, p99 is { } q && !double.IsNaN(q) ? q : null,
                $"over {window} to {end.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)} from Prometheus at {Shown(prometheus)}");
        }
        // Whatever the answer was (HTML of a proxy, JSON of another shape), it is not Prometheus's query result.
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or PrometheusAnswerException
            or KeyNotFoundException or InvalidOperationException or FormatException or IndexOutOfRangeException)
        {
            return health with { Note = $"Prometheus at {Shown(prometheus)} could not be read ({Reason(e)}); the service's health is unknown." };
        }
    }

    // A URL reaches the report and the issue: a user:password in it must not.
    private static string Shown(Uri url) => url.UserInfo.Length == 0 ? url.ToString() : new UriBuilder(url) { UserName = "", Password = "" }.Uri.ToString();

    /// <summary>From the server's <c>/metrics</c>: two scrapes <paramref name="between"/> apart, or one (null): the counts since the server started.</summary>
    public static async Task<ServiceHealth> FromMetricsAsync(HttpClient http, Uri metrics, TimeSpan? between, ServiceThresholds thresholds,
        CancellationToken cancellationToken = default)
    {
        var health = new ServiceHealth { Source = "metrics", MaxErrorRate = thresholds.MaxErrorRate, MaxLatencyP99Seconds = thresholds.MaxLatencyP99Seconds };
        PrometheusText before, after;
        try
        {
            before = between is { } wait && wait > TimeSpan.Zero ? await ScrapeAsync(http, metrics, cancellationToken) : PrometheusText.Parse("");
            if (between is { } pause && pause > TimeSpan.Zero)
            {
                await Task.Delay(pause, cancellationToken);
            }
            after = await ScrapeAsync(http, metrics, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return health with { Healthy = false, Note = $"The server's metrics at {Shown(metrics)} did not answer ({Reason(e)}): the service may be down." };
        }
        var (requests, errors, p99) = CanaryJudge.Measure(before, after);
        var span = between is { } b && b > TimeSpan.Zero ? $"between two scrapes {KubernetesCanaryAnalysis.Duration(b)} apart" : "since the server started (one scrape)";
        return Judge(health, requests, errors, p99?.TotalSeconds, $"{span} of {Shown(metrics)}");
    }

    private static ServiceHealth Judge(ServiceHealth health, double requests, double errors, double? p99, string where)
    {
        if (requests <= 0)
        {
            return health with { Requests = 0, LatencyP99Seconds = p99, Note = $"No prediction requests {where}; the error rate is unknown." };
        }
        var rate = errors / requests;
        return health with
        {
            Requests = requests,
            ErrorRate = rate,
            LatencyP99Seconds = p99,
            Healthy = rate <= health.MaxErrorRate && (p99 is null || p99 <= health.MaxLatencyP99Seconds),
            Note = $"Measured {where}.",
        };
    }

    private static async Task<PrometheusText> ScrapeAsync(HttpClient http, Uri metrics, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(metrics, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"it answered {(int)response.StatusCode}");
        }
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>An instant query's single value at <paramref name="time"/>; null for an empty vector (no such series in the window).</summary>
    private static async Task<double?> QueryAsync(HttpClient http, Uri prometheus, string promql, DateTimeOffset time, CancellationToken cancellationToken)
    {
        var at = (time.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);
        var url = new Uri($"{prometheus.AbsoluteUri.TrimEnd('/')}/api/v1/query?query={Uri.EscapeDataString(promql)}&time={at}");
        using var response = await http.GetAsync(url, cancellationToken);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var root = answer.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("status", out var status) || status.GetString() != "success")
        {
            var error = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var e) ? e.GetString() : null;
            throw new PrometheusAnswerException(error ?? $"it answered {(int)response.StatusCode} without a result");
        }
        var result = root.GetProperty("data").GetProperty("result");
        if (result.GetArrayLength() == 0)
        {
            return null;
        }
        var value = result[0].GetProperty("value")[1].GetString();
        return value switch
        {
            "NaN" => double.NaN,
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            _ => double.Parse(value!, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
    }

    private static string Reason(Exception e) => e is TaskCanceledException ? "no answer in time" : e.Message;

    /// <summary>Prometheus answered, but not with a query result (an error status, or not its API).</summary>
    private sealed class PrometheusAnswerException(string message) : Exception(message);
}
