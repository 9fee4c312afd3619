using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MlopsNotebooks.Deployment;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace MlopsNotebooks.Serving.Proxy;

/// <summary>How the traffic proxy runs: the routes file it watches and where it listens.</summary>
public sealed record ProxyOptions(string Routes)
{
    /// <summary>Loopback unless the proxy is meant to be reached from elsewhere (a container).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The port; 0 picks a free one (read it back from <see cref="ProxyServer.Address"/>).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>How often the routes file is read.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Where the proxy says which generation it applied and which file it refused.</summary>
    public TextWriter Log { get; init; } = TextWriter.Null;
}

/// <summary>
/// The proxy that blue-green and canary deploys move traffic through (YARP): it forwards every request to the
/// destinations of one routes file, by weight, and applies a new generation of that file only when the whole file is
/// valid; a bad file keeps the current routes serving and is reported once. <c>GET /-/proxy</c> says which generation
/// serves, the last refused file, and each destination's weight and in-flight requests, so a deploy can wait until its
/// generation is applied and the old version has drained. Every other path is forwarded; with no routes yet, 503.
/// </summary>
public sealed class ProxyServer : IAsyncDisposable
{
    private const string Cluster = "model";
    private const int MaxFileBytes = 1024 * 1024;

    private readonly ProxyOptions _options;
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, long> _failed = new(StringComparer.Ordinal);
    private volatile Applied? _applied;
    private volatile string? _error;
    private volatile ImmutableList<(string Name, DestinationState State)> _draining = [];
    private byte[]? _seen;
    private byte[]? _serving;
    private byte[]? _unsettled;
    private Task _watching = Task.CompletedTask;
    private TextWriter _log = TextWriter.Null;
    private bool _listening;

    private ProxyServer(ProxyOptions options)
    {
        _options = options;
        _app = Build(options);
    }

    /// <summary>Where the proxy listens, e.g. http://127.0.0.1:8080/.</summary>
    public Uri Address => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>The generation that serves, or null before the first valid routes file.</summary>
    public long? Generation => _applied?.Routes.Generation;

    /// <summary>Why the last routes file was refused, or null.</summary>
    public string? Error => _error;

    /// <summary>Reads the routes file (when there is one), starts listening, and watches the file until disposed.</summary>
    public static async Task<ProxyServer> StartAsync(ProxyOptions options, CancellationToken cancellationToken = default)
    {
        if (options.PollInterval <= TimeSpan.Zero)
        {
            throw new MlopsException("The routes file's poll interval must be positive.");
        }
        var server = new ProxyServer(options);
        // Routes that are there at the start serve the first request; the caller says which (the first line is the address).
        server.Poll();
        server._log = options.Log;
        await ServerApp.StartAsync(server._app, options.Host, options.Port, server, cancellationToken);
        server._listening = true;
        server._watching = Task.Run(server.WatchAsync, CancellationToken.None);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watching;
        await ServerApp.StopAsync(_app);
        _stop.Dispose();
    }

    private sealed record Applied(ProxyRoutes Routes);

    private WebApplication Build(ProxyOptions options)
    {
        var address = ServerApp.ListenAddress(options.Host, options.Port);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(address, options.Port);
            kestrel.AddServerHeader = false;
            // The proxy passes bodies on as they come; the servers behind it apply their own limits.
            kestrel.Limits.MaxRequestBodySize = null;
        });
        builder.Services.AddReverseProxy().LoadFromMemory([], []);
        builder.Services.AddSingleton<ILoadBalancingPolicy, WeightedPolicy>();
        var app = builder.Build();
        app.UseRouting();
        app.MapGet("/-/proxy", (RequestDelegate)Status);
        app.MapReverseProxy(pipeline =>
        {
            pipeline.UseLoadBalancing();
            pipeline.Use(CountFailures);
        });
        app.MapFallback("{**path}", (RequestDelegate)(c => ModelServer.Error(c, 503, "no model is deployed behind this proxy yet")));
        return app;
    }

    /// <summary>The proxy's own failures to reach a destination (YARP answers them 502 or 504), by destination.</summary>
    private async Task CountFailures(HttpContext context, Func<Task> next)
    {
        await next();
        if (context.Features.Get<Yarp.ReverseProxy.Forwarder.IForwarderErrorFeature>() is not null
            && context.Features.Get<IReverseProxyFeature>()?.ProxiedDestination?.DestinationId is { } name)
        {
            _failed.AddOrUpdate(name, 1, (_, n) => n + 1);
        }
    }

    private Task Status(HttpContext context)
    {
        var applied = _applied;
        IReadOnlyDictionary<string, DestinationState> states = _app.Services.GetRequiredService<IProxyStateLookup>().TryGetCluster(Cluster, out var cluster)
            ? cluster.Destinations : new Dictionary<string, DestinationState>();
        var draining = _draining.Where(d => d.State.ConcurrentRequestCount > 0).ToList();
        return ModelServer.Json(context, 200, w =>
        {
            if (applied is null)
            {
                w.WriteNull("generation");
            }
            else
            {
                w.WriteNumber("generation", applied.Routes.Generation);
            }
            w.WriteString("error", _error);
            w.WriteStartArray("destinations");
            foreach (var destination in applied?.Routes.Destinations ?? [])
            {
                WriteDestination(w, destination.Name, destination.Address.ToString(), destination.Weight,
                    states.TryGetValue(destination.Name, out var state) ? state.ConcurrentRequestCount : 0, removed: false);
            }
            // Removed destinations stay listed, at weight 0, until their last request finished: what "drained" means.
            foreach (var (name, state) in draining)
            {
                WriteDestination(w, name, state.Model.Config.Address, 0, state.ConcurrentRequestCount, removed: true);
            }
            w.WriteEndArray();
        });
    }

    private void WriteDestination(Utf8JsonWriter w, string name, string address, int weight, int inFlight, bool removed)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("address", address);
        w.WriteNumber("weight", weight);
        w.WriteNumber("in_flight", inFlight);
        w.WriteNumber("failed", _failed.TryGetValue(name, out var failed) ? failed : 0);
        w.WriteBoolean("removed", removed);
        w.WriteEndObject();
    }

    private async Task WatchAsync()
    {
        using var timer = new PeriodicTimer(_options.PollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                Poll();
            }
        }
        catch (OperationCanceledException)
        {
            // disposed
        }
    }

    /// <summary>
    /// Reads the whole file on every poll rather than trusting its modification time: a file extracted from an archive
    /// (how a deploy writes it into a container) gets the archive's time in whole seconds, so two generations of one
    /// size written in the same second would look unchanged. The file is small; reading it is as cheap as a stat.
    /// </summary>
    private void Poll()
    {
        byte[] bytes;
        try
        {
            var file = new FileInfo(_options.Routes);
            if (!file.Exists)
            {
                if (_seen is not null)
                {
                    Refuse(Array.Empty<byte>(), $"The routes file {_options.Routes} is gone; the proxy keeps its current routes.");
                }
                return;
            }
            if (file.Length > MaxFileBytes)
            {
                Refuse(BitConverter.GetBytes(file.Length), $"The routes file is {file.Length} bytes, more than the {MaxFileBytes} a routes file may have.");
                return;
            }
            bytes = File.ReadAllBytes(_options.Routes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Refuse(System.Text.Encoding.UTF8.GetBytes(e.Message), $"The routes file {_options.Routes} cannot be read: {e.Message}");
            return;
        }
        if (_seen is not null && bytes.AsSpan().SequenceEqual(_seen))
        {
            return;
        }
        if (_serving is not null && bytes.AsSpan().SequenceEqual(_serving))
        {
            // The file is back to what serves (a bad write undone): nothing to apply, nothing wrong.
            Settle(bytes, error: null);
            return;
        }
        ProxyRoutes routes;
        try
        {
            routes = ProxyRoutes.Parse(bytes);
            if (_applied is { } current && routes.Generation <= current.Routes.Generation)
            {
                throw new MlopsException($"The routes file was refused: generation {routes.Generation} is not above the applied {current.Routes.Generation}.");
            }
        }
        catch (MlopsException e)
        {
            Refuse(bytes, e.Message);
            return;
        }
        Apply(routes);
        _serving = bytes;
        Settle(bytes, error: null);
        _log.WriteLine($"Routes generation {routes.Generation} applied: {string.Join(", ", routes.Destinations.Select(d => $"{d.Name} {d.Weight}"))}.");
    }

    /// <summary>
    /// Reports a bad file once, and only when it read the same on two polls in a row: a file caught half-written is
    /// read again whole on the next poll, and is no error.
    /// </summary>
    private void Refuse(byte[] bytes, string message)
    {
        if (_seen is not null && bytes.AsSpan().SequenceEqual(_seen))
        {
            return;
        }
        if (_unsettled is null || !bytes.AsSpan().SequenceEqual(_unsettled))
        {
            _unsettled = bytes;
            return;
        }
        Settle(bytes, message);
        _log.WriteLine($"{message} Generation {Generation?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(none)"} keeps serving.");
    }

    private void Settle(byte[] bytes, string? error)
    {
        _seen = bytes;
        _unsettled = null;
        _error = error;
    }

    private void Apply(ProxyRoutes routes)
    {
        var lookup = _app.Services.GetRequiredService<IProxyStateLookup>();
        var names = routes.Destinations.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        if (lookup.TryGetCluster(Cluster, out var before))
        {
            _draining = _draining.RemoveAll(d => names.Contains(d.Name) || d.State.ConcurrentRequestCount == 0)
                .AddRange(before.Destinations.Where(d => !names.Contains(d.Key)).Select(d => (d.Key, d.Value)));
        }
        var cluster = new ClusterConfig
        {
            ClusterId = Cluster,
            LoadBalancingPolicy = WeightedPolicy.PolicyName,
            Destinations = routes.Destinations.ToDictionary(d => d.Name, d => new DestinationConfig
            {
                Address = d.Address.ToString(),
                Metadata = new Dictionary<string, string> { [WeightedPolicy.WeightKey] = d.Weight.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            }, StringComparer.Ordinal),
        };
        var route = new RouteConfig { RouteId = "all", ClusterId = Cluster, Match = new RouteMatch { Path = "{**path}" } };
        _app.Services.GetRequiredService<InMemoryConfigProvider>().Update([route], [cluster]);
        // YARP applies a configuration when its change token fires; a deploy that sees this generation in /-/proxy must
        // find it routing already, so it is reported only once YARP's destinations carry its weights. (Before listening,
        // YARP reads the configuration as it starts.)
        SpinWait.SpinUntil(() => !_listening || lookup.TryGetCluster(Cluster, out var now) && now.Destinations.Count == routes.Destinations.Count
            && routes.Destinations.All(d => now.Destinations.TryGetValue(d.Name, out var state) && WeightedPolicy.Weight(state) == d.Weight
                && state.Model.Config.Address == cluster.Destinations[d.Name].Address), TimeSpan.FromSeconds(5));
        _applied = new Applied(routes);
    }
}
