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

    public IPredictionSink Sink { get; init; } = new DiscardingSink();

    /// <summary>How many predictions may wait for the sink before new ones are dropped.</summary>
    public int HookCapacity { get; init; } = 10_000;

    /// <summary>For tests: awaited before the model is loaded, to look at the server while it is not ready.</summary>
    internal Func<Task>? BeforeLoad { get; init; }
}
