using MlopsNotebooks.Monitoring;

namespace MlopsNotebooks.Serving;

/// <summary>How a model server runs: which bundle, where it listens, its limits, where predictions go.</summary>
public sealed record ServerOptions(string Bundle)
{
    /// <summary>The address to listen on; loopback unless the server is meant to be reached from elsewhere (a container).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The port; 0 picks a free one (read it back from <see cref="ModelServer.Address"/>).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>Request bodies larger than this are refused with 413.</summary>
    public long MaxBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>Where predictions go when <see cref="PredictionLog"/> is not set.</summary>
    public IPredictionSink Sink { get; init; } = new DiscardingSink();

    /// <summary>Log predictions and take feedback (<c>POST /feedback</c>) in this log; no log when null.</summary>
    public PredictionLogOptions? PredictionLog { get; init; }

    /// <summary>The share of requests whose predictions go to the sink, more than 0 and at most 1.</summary>
    public double LogSample { get; init; } = 1;

    /// <summary>How many predictions may wait for the sink before new ones are dropped.</summary>
    public int HookCapacity { get; init; } = 10_000;

    /// <summary>For tests: awaited before the model is loaded, to look at the server while it is not ready.</summary>
    internal Func<Task>? BeforeLoad { get; init; }
}
