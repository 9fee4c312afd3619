using System.Globalization;
using YamlDotNet.Serialization;

namespace MlopsNotebooks.Deployment;

/// <summary>
/// Kubernetes, where a team outgrows one machine: writes manifests (a Deployment, or with a canary an Argo Rollouts
/// Rollout and its AnalysisTemplate; a Service, a HorizontalPodAutoscaler and a PodDisruptionBudget) for kubectl or a
/// GitOps tool to apply. Nothing runs here, so nothing is promoted: the outcome is <see cref="DeploymentStatus.Written"/>.
/// Every value goes through YamlDotNet's serializer, so a name or image can never change the document's shape.
/// </summary>
public sealed class KubernetesTarget(KubernetesOptions options) : IDeploymentTarget
{
    /// <summary>The port the model server listens on in its container.</summary>
    public const int ServerPort = 8080;

    /// <summary>The user the container image runs as (the official .NET images' app user).</summary>
    public const int UserId = 1654;

    public const string PartOf = "mlops-notebooks";

    private static readonly string[] Kinds = ["deployment", "rollout", "analysis-template", "service", "horizontal-pod-autoscaler", "pod-disruption-budget"];

    private static readonly ISerializer Yaml = new SerializerBuilder().WithQuotingNecessaryStrings().DisableAliases().Build();

    public Task<DeploymentOutcome> DeployAsync(DeploymentRequest request, IProgress<string> log, CancellationToken cancellationToken)
    {
        var manifests = Render(request);
        var folder = Path.GetFullPath(options.OutputFolder);
        if (File.Exists(folder))
        {
            throw new MlopsException($"The output '{options.OutputFolder}' is a file; the manifests go to a folder.", "Give --output a new or existing folder, e.g. deploy/k8s.");
        }
        Directory.CreateDirectory(folder);
        var name = KubernetesNames.ForModel(request.Model);
        // A folder written before with the other strategy would otherwise hold both a Deployment and a Rollout.
        foreach (var stale in Kinds.Select(kind => Path.Combine(folder, $"{name}-{kind}.yaml")).Except(manifests.Keys.Select(f => Path.Combine(folder, f))))
        {
            File.Delete(stale);
        }
        var written = new List<string>();
        foreach (var (file, text) in manifests)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = Path.Combine(folder, file);
            AtomicFile.WriteAllText(path, text);
            log.Report($"Wrote {path}");
            written.Add(path);
        }
        var strategy = request.Canary is null ? "a rolling update" : "an Argo Rollouts canary";
        return Task.FromResult(new DeploymentOutcome(DeploymentStatus.Written,
            $"Wrote {written.Count} manifests for {request.Model} version {request.Version} ({strategy}) to {folder}; apply them with: kubectl apply -f {folder}",
            written));
    }

    /// <summary>The manifests by file name, checked and rendered whole before anything is written.</summary>
    public IReadOnlyDictionary<string, string> Render(DeploymentRequest request)
    {
        options.Check();
        request.Canary?.Check();
        if (!ImageReferences.IsReference(request.Image))
        {
            throw new MlopsException($"The image {Registry.ModelRegistry.Quoted(request.Image)} is not an image reference (a cluster would refuse to pull it).",
                "Give --image as repository:tag or repository@digest, with a lower-case repository, e.g. ghcr.io/acme/churn:3.");
        }
        if (request.Version < 1)
        {
            throw new MlopsException($"Version {request.Version} of {request.Model} is not a model version.", "Versions are numbered from 1.");
        }
        var name = KubernetesNames.ForModel(request.Model);
        var selector = new Dictionary<string, object> { ["app.kubernetes.io/name"] = name };
        var version = request.Version.ToString(CultureInfo.InvariantCulture);
        var labels = new Dictionary<string, object>(selector)
        {
            ["app.kubernetes.io/version"] = version,
            ["app.kubernetes.io/part-of"] = PartOf,
            ["app.kubernetes.io/managed-by"] = "mlops",
            ["mlops-notebooks/model"] = name,
            ["mlops-notebooks/model-version"] = version,
        };
        // Annotations take any text: the model's name as registered and the environment, for people and tools to read.
        var annotations = new Dictionary<string, object> { ["mlops-notebooks/model-name"] = request.Model, ["mlops-notebooks/environment"] = request.Environment };
        Dictionary<string, object> Metadata(string objectName) => new()
        {
            ["name"] = objectName, ["namespace"] = options.Namespace, ["labels"] = labels, ["annotations"] = annotations,
        };

        var workload = request.Canary is null
            ? Manifest("apps/v1", "Deployment", Metadata(name), new()
            {
                ["replicas"] = options.Replicas,
                ["selector"] = new Dictionary<string, object> { ["matchLabels"] = selector },
                ["strategy"] = new Dictionary<string, object>
                {
                    // A new pod is ready (its model loaded and warmed up) before an old one goes.
                    ["type"] = "RollingUpdate",
                    ["rollingUpdate"] = new Dictionary<string, object> { ["maxSurge"] = 1, ["maxUnavailable"] = 0 },
                },
                ["template"] = PodTemplate(request, labels, annotations),
            })
            : Manifest("argoproj.io/v1alpha1", "Rollout", Metadata(name), new()
            {
                ["replicas"] = options.Replicas,
                ["selector"] = new Dictionary<string, object> { ["matchLabels"] = selector },
                ["template"] = PodTemplate(request, labels, annotations),
                ["strategy"] = new Dictionary<string, object> { ["canary"] = Canary(name, request.Canary) },
            });
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [$"{name}-{(request.Canary is null ? "deployment" : "rollout")}.yaml"] = workload,
            [$"{name}-service.yaml"] = Manifest("v1", "Service", Metadata(name), new()
            {
                ["type"] = "ClusterIP",
                ["selector"] = selector,
                ["ports"] = new[] { new Dictionary<string, object> { ["name"] = "http", ["port"] = 80, ["targetPort"] = "http", ["protocol"] = "TCP" } },
            }),
            [$"{name}-horizontal-pod-autoscaler.yaml"] = Manifest("autoscaling/v2", "HorizontalPodAutoscaler", Metadata(name), new()
            {
                ["scaleTargetRef"] = new Dictionary<string, object>
                {
                    ["apiVersion"] = request.Canary is null ? "apps/v1" : "argoproj.io/v1alpha1",
                    ["kind"] = request.Canary is null ? "Deployment" : "Rollout",
                    ["name"] = name,
                },
                ["minReplicas"] = options.MinReplicas,
                ["maxReplicas"] = options.MaxReplicas,
                ["metrics"] = new[]
                {
                    new Dictionary<string, object>
                    {
                        ["type"] = "Resource",
                        ["resource"] = new Dictionary<string, object>
                        {
                            ["name"] = "cpu",
                            ["target"] = new Dictionary<string, object> { ["type"] = "Utilization", ["averageUtilization"] = KubernetesOptions.TargetCpuUtilization },
                        },
                    },
                },
            }),
            // With one pod, minAvailable 1 would block every node drain; maxUnavailable 1 lets it move.
            [$"{name}-pod-disruption-budget.yaml"] = Manifest("policy/v1", "PodDisruptionBudget", Metadata(name), new()
            {
                [options.MinReplicas > 1 ? "minAvailable" : "maxUnavailable"] = 1,
                ["selector"] = new Dictionary<string, object> { ["matchLabels"] = selector },
            }),
        };
        if (request.Canary is { } policy)
        {
            files[$"{name}-analysis-template.yaml"] = Manifest("argoproj.io/v1alpha1", "AnalysisTemplate", Metadata(AnalysisName(name)), new()
            {
                ["args"] = new[] { new Dictionary<string, object> { ["name"] = KubernetesCanaryAnalysis.PodTemplateHash } },
                ["metrics"] = KubernetesCanaryAnalysis.Rules(name, options.Namespace, policy).Select(rule => new Dictionary<string, object>
                {
                    ["name"] = rule.Name,
                    ["initialDelay"] = KubernetesCanaryAnalysis.Duration(policy.StepDuration),
                    ["interval"] = KubernetesCanaryAnalysis.Duration(policy.StepDuration),
                    ["successCondition"] = rule.SuccessCondition,
                    ["failureLimit"] = rule.FailureLimit,
                    ["provider"] = new Dictionary<string, object>
                    {
                        ["prometheus"] = new Dictionary<string, object> { ["address"] = options.PrometheusUrl, ["query"] = rule.Query },
                    },
                }).ToArray(),
            });
        }
        return files;
    }

    private static string AnalysisName(string name) => $"{name}-canary";

    private static Dictionary<string, object> Canary(string name, CanaryPolicy policy) => new()
    {
        ["steps"] = policy.Steps.SelectMany(weight => new object[]
        {
            new Dictionary<string, object> { ["setWeight"] = weight },
            new Dictionary<string, object> { ["pause"] = new Dictionary<string, object> { ["duration"] = KubernetesCanaryAnalysis.Duration(policy.StepDuration) } },
        }).ToArray(),
        // Runs beside the steps from the first weight on; a failed rule aborts the rollout, which scales the canary away.
        ["analysis"] = new Dictionary<string, object>
        {
            ["startingStep"] = 1,
            ["templates"] = new[] { new Dictionary<string, object> { ["templateName"] = AnalysisName(name) } },
            ["args"] = new[]
            {
                new Dictionary<string, object>
                {
                    ["name"] = KubernetesCanaryAnalysis.PodTemplateHash,
                    ["valueFrom"] = new Dictionary<string, object> { ["podTemplateHashValue"] = "Latest" },
                },
            },
        },
    };

    private Dictionary<string, object> PodTemplate(DeploymentRequest request, Dictionary<string, object> labels, Dictionary<string, object> annotations)
    {
        static Dictionary<string, object> Probe(string path, int period, int failures) => new()
        {
            ["httpGet"] = new Dictionary<string, object> { ["path"] = path, ["port"] = "http" },
            ["periodSeconds"] = period,
            ["failureThreshold"] = failures,
            ["timeoutSeconds"] = 2,
        };
        var resources = new Dictionary<string, object> { ["cpu"] = options.Cpu, ["memory"] = options.Memory };
        return new()
        {
            ["metadata"] = new Dictionary<string, object>
            {
                ["labels"] = labels,
                ["annotations"] = new Dictionary<string, object>(annotations)
                {
                    ["prometheus.io/scrape"] = "true",
                    ["prometheus.io/port"] = ServerPort.ToString(CultureInfo.InvariantCulture),
                    ["prometheus.io/path"] = "/metrics",
                },
            },
            ["spec"] = new Dictionary<string, object>
            {
                ["automountServiceAccountToken"] = false,
                ["securityContext"] = new Dictionary<string, object>
                {
                    ["runAsNonRoot"] = true,
                    ["runAsUser"] = UserId,
                    ["runAsGroup"] = UserId,
                    ["seccompProfile"] = new Dictionary<string, object> { ["type"] = "RuntimeDefault" },
                },
                ["containers"] = new[]
                {
                    new Dictionary<string, object>
                    {
                        ["name"] = "model-server",
                        ["image"] = request.Image,
                        ["ports"] = new[] { new Dictionary<string, object> { ["name"] = "http", ["containerPort"] = ServerPort, ["protocol"] = "TCP" } },
                        // Live as soon as it listens; ready once the model is loaded and a warm-up prediction passed, which
                        // the startup probe waits for (up to two minutes) before liveness starts counting.
                        ["startupProbe"] = Probe(HealthPaths.Ready, period: 2, failures: 60),
                        ["livenessProbe"] = Probe(HealthPaths.Live, period: 10, failures: 3),
                        ["readinessProbe"] = Probe(HealthPaths.Ready, period: 5, failures: 2),
                        ["resources"] = new Dictionary<string, object> { ["requests"] = resources, ["limits"] = resources },
                        ["securityContext"] = new Dictionary<string, object>
                        {
                            ["allowPrivilegeEscalation"] = false,
                            ["readOnlyRootFilesystem"] = true,
                            ["capabilities"] = new Dictionary<string, object> { ["drop"] = new[] { "ALL" } },
                        },
                        // The root file system is read-only; .NET and ASP.NET still want a writable temp folder.
                        ["volumeMounts"] = new[] { new Dictionary<string, object> { ["name"] = "tmp", ["mountPath"] = "/tmp" } },
                    },
                },
                ["volumes"] = new[] { new Dictionary<string, object> { ["name"] = "tmp", ["emptyDir"] = new Dictionary<string, object>() } },
            },
        };
    }

    private static string Manifest(string apiVersion, string kind, Dictionary<string, object> metadata, Dictionary<string, object> spec) =>
        Yaml.Serialize(new Dictionary<string, object> { ["apiVersion"] = apiVersion, ["kind"] = kind, ["metadata"] = metadata, ["spec"] = spec });
}

/// <summary>The model server's Open Inference Protocol health paths, as probes and checks name them.</summary>
public static class HealthPaths
{
    public const string Live = "/v2/health/live";
    public const string Ready = "/v2/health/ready";
}
