using System.Text.RegularExpressions;

namespace MlopsNotebooks.Deployment;

/// <summary>
/// What the Kubernetes manifests need beyond the deployment request: where to write them, the namespace, the replica
/// range the autoscaler keeps, each pod's resources, and, for a canary, where Argo Rollouts reads Prometheus.
/// </summary>
/// <param name="OutputFolder">The folder the manifests are written to (created if missing; `kubectl apply -f` takes it).</param>
/// <param name="Namespace">The namespace every object goes to.</param>
/// <param name="Replicas">Pods at first; the autoscaler moves them between the next two.</param>
/// <param name="MinReplicas">The fewest pods the autoscaler keeps.</param>
/// <param name="MaxReplicas">The most pods the autoscaler starts.</param>
/// <param name="Cpu">Each pod's CPU, requested and its limit (a Kubernetes quantity: 500m, 1).</param>
/// <param name="Memory">Each pod's memory, requested and its limit (a Kubernetes quantity: 256Mi, 1Gi).</param>
/// <param name="PrometheusUrl">The Prometheus the canary analysis queries.</param>
public sealed partial record KubernetesOptions(
    string OutputFolder,
    string Namespace = "default",
    int Replicas = 2,
    int MinReplicas = 2,
    int MaxReplicas = 5,
    string Cpu = "500m",
    string Memory = "512Mi",
    string PrometheusUrl = KubernetesOptions.DefaultPrometheusUrl)
{
    /// <summary>Where kube-prometheus-stack's Prometheus answers inside a cluster, by default.</summary>
    public const string DefaultPrometheusUrl = "http://prometheus-operated.monitoring.svc:9090";

    /// <summary>The autoscaler's target: average CPU use as a share of the request.</summary>
    public const int TargetCpuUtilization = 70;

    [GeneratedRegex("^(?<number>[0-9]+(\\.[0-9]+)?)(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$")]
    private static partial Regex Quantity();

    /// <summary>Checks the options before anything is written.</summary>
    public void Check()
    {
        KubernetesNames.Namespace(Namespace);
        if (MinReplicas < 1 || MaxReplicas < MinReplicas || Replicas < MinReplicas || Replicas > MaxReplicas)
        {
            throw new MlopsException($"Replicas {Replicas} (from {MinReplicas} to {MaxReplicas}) are not a range the autoscaler can keep.",
                "Give 1 <= --min-replicas <= --replicas <= --max-replicas, e.g. --replicas 2 --min-replicas 2 --max-replicas 5.");
        }
        foreach (var (option, value) in new[] { ("--cpu", Cpu), ("--memory", Memory) })
        {
            var quantity = Quantity().Match(value);
            if (!quantity.Success || double.Parse(quantity.Groups["number"].Value, System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                throw new MlopsException($"{option} '{value}' is not a Kubernetes quantity.", "Write e.g. --cpu 500m (half a core) or --memory 512Mi.");
            }
        }
        if (!Uri.TryCreate(PrometheusUrl, UriKind.Absolute, out var prometheus) || prometheus.Scheme is not ("http" or "https"))
        {
            throw new MlopsException($"--prometheus-url '{PrometheusUrl}' is not an http(s) address.", $"Write e.g. --prometheus-url {DefaultPrometheusUrl}.");
        }
    }
}
