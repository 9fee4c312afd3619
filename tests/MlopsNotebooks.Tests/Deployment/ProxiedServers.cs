using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using MlopsNotebooks.Deployment;
using MlopsNotebooks.Serving.Proxy;
using MlopsNotebooks.Tests.Serving;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Deployment;

/// <summary>
/// Two `mlops serve` processes, versions 1 ("blue") and 2 ("green") of the churn model, behind an `mlops proxy` process
/// that watches a routes file the tests write, as a deploy does.
/// </summary>
public sealed class ProxiedServers : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private readonly List<Process> _processes = [];

    public ServedBundle Bundle { get; } = new();

    public Uri Blue { get; private set; } = null!;

    public Uri Green { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public string RoutesFile => _temp.File("routes.json");

    /// <summary>The last generation the proxy applied.</summary>
    public long Generation { get; private set; }

    /// <summary>What the proxy printed after its first line.</summary>
    public ConcurrentQueue<string> Log { get; } = new();

    public async Task InitializeAsync()
    {
        var green = Bundle.Copy(_temp);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(green, "manifest.json")))!;
        manifest["version"] = 2;
        File.WriteAllText(Path.Combine(green, "manifest.json"), manifest.ToJsonString());
        var started = await Task.WhenAll(Start(["serve", Bundle.Folder, "--port", "0"], "Ready:"), Start(["serve", green, "--port", "0"], "Ready:"),
            Start(["proxy", "--routes", RoutesFile, "--port", "0"], null));
        (Blue, Green) = (started[0], started[1]);
        Http = new HttpClient { BaseAddress = started[2] };
    }

    /// <summary>Starts `mlops args`, reads its address from the first line (as `mlops serve` prints it) and waits for a line starting with <paramref name="ready"/>.</summary>
    private async Task<Uri> Start(string[] args, string? ready)
    {
        var process = Programs.Start(Programs.Mlops, args);
        lock (_processes)
        {
            _processes.Add(process);
        }
        var first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60))
            ?? throw new InvalidOperationException($"mlops {args[0]} stopped: {await process.StandardError.ReadToEndAsync()}");
        var address = new Uri(first.Split(" at ")[1].Split(' ')[0]);
        while (ready is not null && !((await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)))?.StartsWith(ready) ?? true))
        {
        }
        if (ready is null)
        {
            _ = Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync() is { } line)
                {
                    Log.Enqueue(line);
                }
            });
        }
        return address;
    }

    /// <summary>Writes the next generation of the routes file and waits until the proxy says it serves it.</summary>
    public async Task Route(params (string Name, Uri Address, int Weight)[] destinations)
    {
        var routes = new ProxyRoutes(Generation + 1, destinations.Select(d => new ProxyDestination(d.Name, d.Address, d.Weight)).ToList());
        await File.WriteAllTextAsync(RoutesFile, routes.ToJson());
        await Until(status => (long?)status["generation"] == routes.Generation, $"generation {routes.Generation} applied");
        Generation = routes.Generation;
    }

    public async Task<JsonNode> Status() => JsonNode.Parse(await Http.GetStringAsync("/-/proxy"))!;

    /// <summary>Polls the proxy's status until <paramref name="condition"/> holds (10 s at most).</summary>
    public async Task<JsonNode> Until(Func<JsonNode, bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var status = await Status();
            if (condition(status))
            {
                return status;
            }
            if (clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new TimeoutException($"The proxy never reached {what}; its status: {status.ToJsonString()}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>One infer request through the proxy: its status and the version that answered.</summary>
    public async Task<(HttpStatusCode Status, string? Version)> Infer(HttpClient? http = null)
    {
        var (status, body) = await ModelServerTests.Post(http ?? Http, "/v2/models/churn/infer", ModelServerTests.Infer(ServedBundle.Rows(1, seed: 4)).ToJsonString());
        return (status, status == HttpStatusCode.OK ? (string?)body!["model_version"] : null);
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            process.Dispose();
        }
        Bundle.Dispose();
        _temp.Dispose();
    }
}
