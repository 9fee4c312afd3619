using System.Globalization;

namespace MlopsNotebooks.Deployment;

/// <summary>
/// The canary's rules as Prometheus queries for an Argo Rollouts AnalysisTemplate: the same rules the Docker canary
/// applies (<see cref="CanaryPolicy"/>), over the model server's own metrics. The new version's pods are told apart by
/// the pod names of its ReplicaSet (name-hash-xxxxx), through the namespace and pod labels that Prometheus' Kubernetes
/// discovery attaches (kube-prometheus does by default), since the server's latency histogram has no version label.
/// </summary>
public static class KubernetesCanaryAnalysis
{
    /// <summary>The routes that predict; health and metrics requests do not count toward the error rate or latency.</summary>
    public const string PredictionRoutes = "/predict|/v2/models/.+/infer";

    /// <summary>The template argument Argo Rollouts fills with the new version's pod-template hash.</summary>
    public const string PodTemplateHash = "pod-template-hash";

    /// <summary>One rule: a query and when its result passes.</summary>
    public sealed record Rule(string Name, string Query, string SuccessCondition, int FailureLimit);

    /// <summary>Error rate, p99 latency and evidence (enough requests), each over one step's duration.</summary>
    public static IReadOnlyList<Rule> Rules(string name, string @namespace, CanaryPolicy policy)
    {
        var window = Duration(policy.StepDuration);
        var pods = $"namespace=\"{@namespace}\",pod=~\"{name}-{{{{args.{PodTemplateHash}}}}}-.*\",route=~\"{PredictionRoutes}\"";
        // An empty or NaN answer (no traffic yet) passes the error and latency rules; the evidence rule refuses it instead.
        static string AtMost(double limit) => $"len(result) == 0 || isNaN(result[0]) || result[0] <= {Number(limit)}";
        return
        [
            new("error-rate",
                $"(sum(rate(mlops_server_requests_total{{{pods},status=~\"5..\"}}[{window}])) or vector(0)) / sum(rate(mlops_server_requests_total{{{pods}}}[{window}]))",
                AtMost(policy.MaxErrorRate), FailureLimit: 0),
            new("p99-latency",
                $"histogram_quantile(0.99, sum by (le) (rate(mlops_server_request_duration_seconds_bucket{{{pods}}}[{window}])))",
                AtMost(policy.MaxP99Latency.TotalSeconds), FailureLimit: 0),
            // As the Docker canary holds a step without evidence once, a second window short of requests rolls back.
            new("requests",
                $"sum(increase(mlops_server_requests_total{{{pods}}}[{window}]))",
                $"len(result) > 0 && result[0] >= {policy.MinRequests.ToString(CultureInfo.InvariantCulture)}", FailureLimit: 1),
        ];
    }

    /// <summary>A duration as Argo Rollouts and PromQL both read it: whole seconds.</summary>
    public static string Duration(TimeSpan duration) => $"{Math.Max(1, (long)Math.Ceiling(duration.TotalSeconds)).ToString(CultureInfo.InvariantCulture)}s";

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
