namespace MlopsNotebooks.Deployment;

/// <summary>
/// Where a model version is deployed: a Docker engine (blue-green or canary on one machine, traffic moved by a proxy the
/// kit runs) or Kubernetes (manifests for kubectl or a GitOps tool; Argo Rollouts runs the canary there). Hosts pick one
/// by name and render its outcome; the target does the work.
/// </summary>
public interface IDeploymentTarget
{
    Task<DeploymentOutcome> DeployAsync(DeploymentRequest request, IProgress<string> log, CancellationToken cancellationToken);
}

/// <summary>One model version, as an image, to one environment (dev, staging, production).</summary>
/// <param name="Model">The registered model's name.</param>
/// <param name="Version">The registered version the image serves.</param>
/// <param name="Image">The image reference (repository:tag or repository@digest).</param>
/// <param name="Environment">The environment; a successful deploy moves the registry alias of that name.</param>
/// <param name="Canary">Null for blue-green (all traffic at once, after a smoke test); otherwise the canary's steps and rules.</param>
public sealed record DeploymentRequest(string Model, int Version, string Image, string Environment, CanaryPolicy? Canary = null);

/// <summary>
/// A canary: the new version takes <see cref="Steps"/> shares of traffic in turn, each held for <see cref="StepDuration"/>,
/// and is rolled back as soon as its error rate (5xx answers over prediction requests) or its p99 latency over a step
/// breaks a threshold; past the last step it takes all traffic. A step with fewer than <see cref="MinRequests"/>
/// requests to judge is held until it has them or its time runs out twice, which rolls back (no evidence, no promotion).
/// </summary>
public sealed record CanaryPolicy(IReadOnlyList<int> Steps, TimeSpan StepDuration, double MaxErrorRate, TimeSpan MaxP99Latency, int MinRequests)
{
    /// <summary>Argo Rollouts' and Flagger's usual shape: 10, 25, 50 percent, a minute each, 1% errors, 500 ms p99.</summary>
    public static CanaryPolicy Default { get; } = new([10, 25, 50], TimeSpan.FromMinutes(1), 0.01, TimeSpan.FromMilliseconds(500), 20);

    /// <summary>Checks the policy before anything moves.</summary>
    public void Check()
    {
        if (Steps.Count == 0 || Steps.Any(s => s is < 1 or > 99) || Steps.Zip(Steps.Skip(1)).Any(p => p.Second <= p.First))
        {
            throw new MlopsException($"Canary steps {string.Join(",", Steps)} are not rising percentages between 1 and 99.", "Give them as e.g. --canary-steps 10,25,50.");
        }
        if (StepDuration <= TimeSpan.Zero || MaxP99Latency <= TimeSpan.Zero || MinRequests < 1 || MaxErrorRate is < 0 or >= 1 || double.IsNaN(MaxErrorRate))
        {
            throw new MlopsException("A canary needs a positive step duration, p99 limit and request count, and an error rate limit in [0, 1).", "See mlops deploy --help for the defaults.");
        }
    }
}

/// <summary>What a deploy did: promoted (the new version serves all traffic), rolled back (the old one still serves, and why), or written (manifests for another tool to apply).</summary>
public sealed record DeploymentOutcome(DeploymentStatus Status, string Message, IReadOnlyList<string> Files)
{
    public bool Succeeded => Status != DeploymentStatus.RolledBack;
}

public enum DeploymentStatus
{
    Promoted,
    RolledBack,
    Written,
}
