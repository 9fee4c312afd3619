using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using MlopsNotebooks.Deployment;
using MlopsNotebooks.Serving.Proxy;
using MlopsNotebooks.Tests.Serving;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Deployment;

/// <summary>The traffic proxy as a process in front of two real model servers, under load from the test.</summary>
public sealed class ProxyTests(ProxiedServers servers) : IClassFixture<ProxiedServers>
{
    /// <summary>8 loops sending infer requests through the proxy until stopped; every answer with the version that gave it.</summary>
    private static async Task<List<(HttpStatusCode Status, string? Version)>> Load(ProxiedServers servers, Func<Task> during)
    {
        var answers = new ConcurrentQueue<(HttpStatusCode, string?)>();
        using var stop = new CancellationTokenSource();
        var loops = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                answers.Enqueue(await servers.Infer());
            }
        })).ToList();
        await Task.Delay(300);
        await during();
        await Task.Delay(300);
        await stop.CancelAsync();
        await Task.WhenAll(loops);
        return [.. answers];
    }

    private async Task<List<string?>> Versions(int count) =>
        [.. (await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            var versions = new List<string?>();
            for (var i = 0; i < count / 8; i++)
            {
                versions.Add((await servers.Infer()).Version);
            }
            return versions;
        }))).SelectMany(v => v)];

    [Fact]
    public async Task Moving_all_traffic_from_the_old_version_to_the_new_one_under_load_loses_no_request_and_then_every_request_reaches_the_new_one()
    {
        await servers.Route(("blue", servers.Blue, 100), ("green", servers.Green, 0));
        Assert.All(await Versions(200), v => Assert.Equal("1", v)); // weight 0 takes no requests

        var answers = await Load(servers, () => servers.Route(("blue", servers.Blue, 0), ("green", servers.Green, 100)));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Contains(answers, a => a.Version == "1");
        Assert.Contains(answers, a => a.Version == "2");
        Assert.All(await Versions(200), v => Assert.Equal("2", v));
    }

    [Fact]
    public async Task Weights_of_90_and_10_split_the_requests_nine_to_one()
    {
        await servers.Route(("blue", servers.Blue, 90), ("green", servers.Green, 10));

        var versions = await Versions(2000);

        // The share of 2000 independent draws at 10% has a standard deviation of 0.67 points: 3 points is 4.5 of them.
        var green = versions.Count(v => v == "2") / (double)versions.Count;
        Assert.Equal(2000, versions.Count(v => v is "1" or "2"));
        Assert.InRange(green, 0.07, 0.13);
    }

    /// <summary>A request body that stops halfway until released: a request that stays in flight as long as the test wants.</summary>
    private sealed class SlowBody(string json, Task release) : HttpContent
    {
        public TaskCompletionSource Sent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var bytes = Encoding.UTF8.GetBytes(json);
            await stream.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
            await stream.FlushAsync();
            Sent.TrySetResult();
            await release;
            await stream.WriteAsync(bytes.AsMemory(bytes.Length / 2));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private static JsonObject? Destination(JsonNode status, string name) =>
        status["destinations"]!.AsArray().Select(d => d!.AsObject()).SingleOrDefault(d => (string)d["name"]! == name);

    [Fact]
    public async Task A_slow_request_in_flight_to_a_removed_destination_completes_and_the_status_shows_it_draining()
    {
        await servers.Route(("blue", servers.Blue, 100));
        var release = new TaskCompletionSource();
        using var body = new SlowBody(ModelServerTests.Infer(ServedBundle.Rows(1, seed: 4)).ToJsonString(), release.Task);
        body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var slow = servers.Http.PostAsync("/v2/models/churn/infer", body);
        await body.Sent.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await servers.Until(s => (int?)Destination(s, "blue")?["in_flight"] == 1, "one request in flight to blue");

        await servers.Route(("green", servers.Green, 100));

        var draining = Destination(await servers.Status(), "blue")!;
        Assert.Equal((0, 1, true), ((int)draining["weight"]!, (int)draining["in_flight"]!, (bool)draining["removed"]!));
        Assert.Equal("2", (await servers.Infer()).Version);
        release.SetResult();
        using var answer = await slow.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("1", (string?)JsonNode.Parse(await answer.Content.ReadAsStringAsync())!["model_version"]);
        await servers.Until(s => Destination(s, "blue") is null, "blue drained and gone");
    }

    public static TheoryData<string, string> BadRoutes() => new()
    {
        { "{\"generation\": NEXT, \"destinations\": [{\"name\": \"green\", \"addr", "not valid JSON" },
        { "[]", "not a JSON object" },
        { "{\"generation\": NEXT, \"destinations\": []}", "non-empty array" },
        { "{\"generation\": -3, \"destinations\": [{\"name\": \"green\", \"address\": \"GREEN\", \"weight\": 100}]}", "0 or more" },
        { "{\"generation\": NEXT, \"destinations\": [{\"name\": \"green\", \"address\": \"GREEN\", \"weight\": 0}]}", "every weight is 0" },
        { "{\"generation\": NEXT, \"destinations\": [{\"name\": \"green\", \"address\": \"GREEN\", \"weight\": 101}]}", "from 0 to 100" },
        { "{\"generation\": NEXT, \"destinations\": [{\"name\": \"green\", \"address\": \"GREEN\", \"weight\": 5.5}]}", "from 0 to 100" },
        { "{\"generation\": NEXT, \"destinations\": [{\"name\": \"green\", \"address\": \"ftp://green:21\", \"weight\": 100}]}", "absolute http or https" },
        { "{\"generation\": NEXT, \"destinations\": [{\"name\": \"green\", \"address\": \"/predict\", \"weight\": 100}]}", "absolute http or https" },
        { "{\"generation\": NEXT, \"destinations\": [{\"name\": \"\", \"address\": \"GREEN\", \"weight\": 100}]}", "needs a \"name\"" },
        { "{\"generation\": NEXT, \"destinations\": [{\"name\": \"g\", \"address\": \"GREEN\", \"weight\": 50}, {\"name\": \"g\", \"address\": \"GREEN\", \"weight\": 50}]}", "'g' is named twice" },
        { "{\"generation\": NEXT, \"destinations\": [{\"name\": \"green\", \"address\": \"GREEN\", \"wieght\": 100}]}", "unknown field \"wieght\"" },
        { "{\"generation\": NEXT, \"destinations\": [{\"name\": \"green\", \"address\": \"http://deploy:s3cret@127.0.0.1:9/\", \"weight\": 100}]}", "without a user name, password, query or fragment" },
        { "{\"generation\": NEXT, \"destinations\": [{\"name\": \"green\", \"address\": \"http://127.0.0.1:9/?token=s3cret\", \"weight\": 100}]}", "without a user name, password, query or fragment" },
        { "{\"generation\": CURRENT, \"destinations\": [{\"name\": \"green\", \"address\": \"GREEN\", \"weight\": 100}]}", "is not above the applied" },
    };

    [Theory]
    [MemberData(nameof(BadRoutes))]
    public async Task An_invalid_routes_file_keeps_the_old_routes_serving_and_is_reported_once_in_the_status_and_the_log(string text, string says)
    {
        await servers.Route(("blue", servers.Blue, 100));
        var applied = servers.Generation;
        var file = text.Replace("NEXT", (applied + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Replace("CURRENT", applied.ToString(System.Globalization.CultureInfo.InvariantCulture)).Replace("GREEN", servers.Green.ToString());

        await File.WriteAllTextAsync(servers.RoutesFile, file);

        var status = await servers.Until(s => ((string?)s["error"])?.Contains(says) == true, $"an error saying {says}");
        Assert.Equal(applied, (long)status["generation"]!);
        Assert.DoesNotContain("s3cret", status.ToJsonString() + string.Join('\n', servers.Log));
        Assert.Equal((HttpStatusCode.OK, "1"), await servers.Infer());
        await Task.Delay(600); // two more polls, to see the file is not reported again
        Assert.Single(servers.Log, line => line.Contains(says) && line.Contains($"Generation {applied} keeps serving"));

        // The next valid generation serves, and clears the error.
        await servers.Route(("green", servers.Green, 100));
        Assert.Null((string?)(await servers.Status())["error"]);
        Assert.Equal((HttpStatusCode.OK, "2"), await servers.Infer());
    }
}

/// <summary>The proxy before any deploy, with a destination that is not there, and its command lines.</summary>
public sealed class ProxyWithoutRoutesTests
{
    [Fact]
    public async Task With_no_routes_yet_every_request_gets_503_saying_so_and_the_status_has_no_generation()
    {
        using var temp = new TempDirectory();
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions(temp.File("routes.json")) { Port = 0 });
        using var http = new HttpClient { BaseAddress = proxy.Address };

        foreach (var (method, path) in new[] { ("GET", "/v2/health/ready"), ("POST", "/predict"), ("GET", "/"), ("DELETE", "/a/b.js") })
        {
            using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("no model is deployed behind this proxy yet", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]);
        }
        var status = JsonNode.Parse(await http.GetStringAsync("/-/proxy"))!;
        Assert.Equal("""{"generation":null,"error":null,"destinations":[]}""", status.ToJsonString());
    }

    [Fact]
    public async Task A_destination_that_cannot_be_reached_is_a_502_counted_in_the_status()
    {
        using var temp = new TempDirectory();
        using var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop(); // a port nothing listens on
        await File.WriteAllTextAsync(temp.File("routes.json"),
            new ProxyRoutes(1, [new ProxyDestination("gone", new Uri($"http://127.0.0.1:{port}"), 100)]).ToJson());
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions(temp.File("routes.json")) { Port = 0 });
        using var http = new HttpClient { BaseAddress = proxy.Address };

        Assert.Equal(HttpStatusCode.BadGateway, (await http.GetAsync("/v2/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.BadGateway, (await http.PostAsync("/predict", new StringContent("{}"))).StatusCode);

        var gone = JsonNode.Parse(await http.GetStringAsync("/-/proxy"))!["destinations"]![0]!;
        Assert.Equal((1L, 2L, 0L), ((long)gone["weight"]! / 100, (long)gone["failed"]!, (long)gone["in_flight"]!));
    }

    [Theory]
    [InlineData(new[] { "proxy" }, 2, "--routes")]
    [InlineData(new[] { "proxy", "--routes", "r.json", "--host", "example.org" }, 1, "not an IP address")]
    [InlineData(new[] { "proxy", "--routes", "r.json", "--port", "70000" }, 1, "not a port")]
    public void Mlops_proxy_with_bad_options_says_what_is_wrong_and_does_not_start(string[] args, int exit, string says)
    {
        var (code, output, error) = Programs.Run(Programs.Mlops, args, timeoutSeconds: 60);
        Assert.Equal(exit, code);
        Assert.Contains(says, error);
        Assert.DoesNotContain("   at ", error + output);
    }

    [Fact]
    public async Task The_server_app_runs_the_proxy_when_asked_to_as_the_container_does()
    {
        using var temp = new TempDirectory();
        var app = Path.Combine(Programs.RepositoryRoot, "templates", "server", "bin",
            new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Name, "net10.0", "mlops-server.dll");
        using var process = Programs.Start(app, ["proxy"], environment: new Dictionary<string, string?>
        {
            ["MLOPS_ROUTES"] = temp.File("routes.json"),
            ["MLOPS_PORT"] = "0",
        });
        try
        {
            var first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.StartsWith("Proxying at http://127.0.0.1:", first);
            using var http = new HttpClient { BaseAddress = new Uri(first!.Split(" at ")[1].Split(' ')[0]) };
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/predict")).StatusCode);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        var (code, _, error) = Programs.Run(app, ["serve-something"], timeoutSeconds: 60);
        Assert.Equal((2, true), (code, error.Contains("mlops-server proxy")));
    }
}
