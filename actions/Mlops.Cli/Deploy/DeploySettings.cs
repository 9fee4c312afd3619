using MlopsNotebooks.Deployment;

namespace MlopsNotebooks.Cli.Deploy;

/// <summary>
/// <c>mlops deploy</c>: which model (name@alias or name/3), as which image, to which environment and target; the
/// Kubernetes and Docker targets' options; and the canary, when asked for.
/// </summary>
internal sealed record DeploySettings(
    string Model,
    string Target,
    string Image,
    string Environment,
    string? Output,
    string Namespace,
    int Replicas,
    int MinReplicas,
    int MaxReplicas,
    string Cpu,
    string Memory,
    CanarySettings? Canary,
    string PrometheusUrl,
    DockerSettings Docker);

/// <summary>The Docker target's options: the environment's stable address and how long a new version may take to get ready.</summary>
internal sealed record DockerSettings(int Port, string Bind, string ReadyTimeout);

/// <summary>The canary options as given, parsed into a <see cref="CanaryPolicy"/> by the handler.</summary>
internal sealed record CanarySettings(string Steps, string StepDuration, double MaxErrorRate, double MaxP99Milliseconds);
