namespace MlopsNotebooks.Deployment.Docker;

/// <summary>How a Docker engine serves one environment: the stable address the proxy publishes and the limits of a switch.</summary>
public sealed record DockerTargetOptions
{
    /// <summary>The host port of the environment's stable address (the proxy's).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>The host address the proxy and the versions publish on: loopback unless told otherwise.</summary>
    public string Bind { get; init; } = "127.0.0.1";

    /// <summary>How long a new version may take to answer ready before it is removed and the old one kept.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long the old version's in-flight requests may take to finish once it takes no new ones.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>CPUs a version's container may use (null: no limit).</summary>
    public double? Cpus { get; init; }

    /// <summary>Memory a version's container may use, in bytes (null: no limit).</summary>
    public long? MemoryBytes { get; init; }
}
