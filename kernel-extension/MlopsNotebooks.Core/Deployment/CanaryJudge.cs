using System.Globalization;

namespace MlopsNotebooks.Deployment;

public enum CanaryVerdictKind
{
    Pass,
    Fail,
    NotEnoughRequests,
}

/// <summary>
/// A step's evidence and what it means: prediction requests and 5xx answers over the window, their p99 latency (null when
/// no request was timed), and the verdict with its reason in words.
/// </summary>
public sealed record CanaryVerdict(CanaryVerdictKind Kind, long Requests, long Errors, TimeSpan? P99, string Reason)
{
    public double ErrorRate => Requests == 0 ? 0 : (double)Errors / Requests;
}

/// <summary>
/// Judges one canary step from two scrapes of the new version's <c>/metrics</c>, taken before and after the step, against
/// a <see cref="CanaryPolicy"/>: what Argo Rollouts' and Flagger's analyses compute with PromQL, without a Prometheus.
/// Only prediction routes count (the server's route labels for <c>infer</c> and <c>/predict</c>); health checks and
/// scrapes do not. Counters are read as Prometheus's <c>increase()</c> reads two samples: a series that went down was
/// reset (the server restarted), so its increase is its new value. The p99 is <c>histogram_quantile(0.99, ...)</c> over
/// the window's bucket increases: linear interpolation inside the bucket that holds the rank.
/// </summary>
public static class CanaryJudge
{
    /// <summary>The route labels of prediction requests, as the model server records them (its route patterns).</summary>
    public static IReadOnlySet<string> PredictionRoutes { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "/predict",
        "/v2/models/{name}/infer",
        "/v2/models/{name}/versions/{version}/infer",
    };

    public const string Requests = "mlops_server_requests_total";

    public const string LatencyBuckets = "mlops_server_request_duration_seconds_bucket";

    public static CanaryVerdict Judge(PrometheusText before, PrometheusText after, CanaryPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var (total, errors, p99) = Measure(before, after);
        if (total < policy.MinRequests)
        {
            return new CanaryVerdict(CanaryVerdictKind.NotEnoughRequests, total, errors, p99,
                $"{total} requests, fewer than the {policy.MinRequests} needed to judge");
        }
        var rate = (double)errors / total;
        if (rate > policy.MaxErrorRate)
        {
            return new CanaryVerdict(CanaryVerdictKind.Fail, total, errors, p99,
                $"error rate {Percent(rate)} ({errors} of {total} requests) > {Percent(policy.MaxErrorRate)}");
        }
        if (p99 > policy.MaxP99Latency)
        {
            return new CanaryVerdict(CanaryVerdictKind.Fail, total, errors, p99,
                $"p99 {Milliseconds(p99.Value)} > {Milliseconds(policy.MaxP99Latency)} over {total} requests");
        }
        return new CanaryVerdict(CanaryVerdictKind.Pass, total, errors, p99,
            $"error rate {Percent(rate)} and p99 {(p99 is null ? "unknown" : Milliseconds(p99.Value))} over {total} requests");
    }

    /// <summary>
    /// The prediction requests between two scrapes, how many were answered with a 5xx, and their p99 latency (null when no
    /// request was timed). A scrape against an empty <see cref="PrometheusText"/> gives the counts since the server started.
    /// </summary>
    public static (long Requests, long Errors, TimeSpan? P99) Measure(PrometheusText before, PrometheusText after)
    {
        var requests = Increases(before, after, Requests);
        var total = (long)Math.Round(requests.Sum(r => r.Increase));
        var errors = (long)Math.Round(requests.Where(r => r.Sample.Label("status").StartsWith('5')).Sum(r => r.Increase));
        var buckets = Increases(before, after, LatencyBuckets)
            .GroupBy(b => ParseBound(b.Sample.Label("le")))
            .Select(g => (UpperBound: g.Key, Count: g.Sum(b => b.Increase)))
            .ToList();
        var p99Seconds = Quantile(0.99, buckets);
        return (total, errors, double.IsNaN(p99Seconds) ? null : TimeSpan.FromSeconds(p99Seconds));
    }

    /// <summary>
    /// The prediction requests over the window and how many were refused as the client's fault (4xx). A new version that
    /// refuses requests the old one takes (a changed input schema) answers 4xx, not 5xx: a deploy compares the two shares.
    /// </summary>
    public static (long Requests, long Refused) Refusals(PrometheusText before, PrometheusText after)
    {
        var requests = Increases(before, after, Requests);
        return ((long)Math.Round(requests.Sum(r => r.Increase)), (long)Math.Round(requests.Where(r => r.Sample.Label("status").StartsWith('4')).Sum(r => r.Increase)));
    }

    /// <summary>
    /// Prometheus's <c>histogram_quantile</c> over cumulative buckets (upper bound, count), the last one <c>+Inf</c>: NaN
    /// without observations; a rank in the <c>+Inf</c> bucket gives the highest finite bound; otherwise the bucket's lower
    /// bound plus its width times the rank's share of the bucket (the first bucket starts at 0).
    /// </summary>
    public static double Quantile(double q, IReadOnlyList<(double UpperBound, double Count)> buckets)
    {
        var sorted = buckets.OrderBy(b => b.UpperBound).ToList();
        if (sorted.Count < 2 || !double.IsPositiveInfinity(sorted[^1].UpperBound))
        {
            return double.NaN;
        }
        // Counts read at slightly different moments may dip; Prometheus evens them out the same way.
        for (var i = 1; i < sorted.Count; i++)
        {
            if (sorted[i].Count < sorted[i - 1].Count)
            {
                sorted[i] = (sorted[i].UpperBound, sorted[i - 1].Count);
            }
        }
        var observations = sorted[^1].Count;
        if (observations == 0)
        {
            return double.NaN;
        }
        var rank = q * observations;
        var b = sorted.FindIndex(bucket => bucket.Count >= rank);
        if (b == sorted.Count - 1)
        {
            return sorted[^2].UpperBound;
        }
        if (b == 0 && sorted[0].UpperBound <= 0)
        {
            return sorted[0].UpperBound;
        }
        var start = b == 0 ? 0 : sorted[b - 1].UpperBound;
        var count = sorted[b].Count - (b == 0 ? 0 : sorted[b - 1].Count);
        rank -= b == 0 ? 0 : sorted[b - 1].Count;
        return start + ((sorted[b].UpperBound - start) * (rank / count));
    }

    /// <summary>Each prediction route's series of <paramref name="name"/> with its increase over the window.</summary>
    private static List<(PrometheusSample Sample, double Increase)> Increases(PrometheusText before, PrometheusText after, string name)
    {
        var earlier = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var sample in before.Named(name))
        {
            earlier[Key(sample)] = sample.Value; // a series written twice: the last one, as Prometheus keeps it
        }
        return after.Named(name)
            .Where(s => PredictionRoutes.Contains(s.Label("route")))
            .Select(s => (s, earlier.TryGetValue(Key(s), out var was) && was <= s.Value ? s.Value - was : s.Value))
            .ToList();
    }

    private static string Key(PrometheusSample sample) =>
        string.Join('\0', sample.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));

    private static double ParseBound(string le) =>
        le is "+Inf" or "Inf" ? double.PositiveInfinity
        : double.TryParse(le, NumberStyles.Float, CultureInfo.InvariantCulture, out var bound) ? bound
        : throw new MlopsException($"A latency bucket has le=\"{le}\", which is not a number.", "Point the judge at the model server's /metrics.");

    private static string Percent(double rate) => (rate * 100).ToString("0.0#", CultureInfo.InvariantCulture) + "%";

    private static string Milliseconds(TimeSpan time) => time.TotalMilliseconds.ToString("0.#", CultureInfo.InvariantCulture) + " ms";
}
