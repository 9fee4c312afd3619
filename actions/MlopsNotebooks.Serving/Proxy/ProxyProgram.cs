namespace MlopsNotebooks.Serving.Proxy;

/// <summary>Runs the traffic proxy until it is stopped: what <c>mlops proxy</c> and the container's <c>mlops-server proxy</c> do.</summary>
public static class ProxyProgram
{
    /// <summary>
    /// Starts the proxy, says where it listens (the first line, as <c>mlops serve</c> does) and which routes it applies or
    /// refuses, and proxies until <paramref name="stop"/> (or, when none is given, SIGINT or SIGTERM).
    /// </summary>
    public static Task ProxyAsync(ProxyOptions options, TextWriter output, CancellationToken stop = default)
    {
        var log = TextWriter.Synchronized(output);
        return ServerProgram.UntilStoppedAsync(stop, log, async token =>
        {
            var proxy = await ProxyServer.StartAsync(options with { Log = log }, token);
            var routes = proxy.Generation is { } generation ? $"generation {generation}" : "none yet";
            log.WriteLine($"Proxying at {proxy.Address} to the routes in {options.Routes} ({routes}); status at {proxy.Address}-/proxy");
            return proxy;
        });
    }

    /// <summary><see cref="ProxyAsync"/> with its errors printed: exit code 0, or 1 with the message and hint.</summary>
    public static Task<int> RunAsync(ProxyOptions options, TextWriter output, TextWriter error, CancellationToken stop = default) =>
        ServerProgram.ExitCodeAsync(() => ProxyAsync(options, output, stop), error);
}
