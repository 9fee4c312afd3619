using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using MlopsNotebooks.Serving;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Serving;

/// <summary>What nothing a client sends may break, the prediction hook that may never slow a request, readiness, and bundles that cannot be served.</summary>
public sealed class ServerRobustnessTests(RunningServer running) : IClassFixture<RunningServer>
{
    private static readonly string[] Paths = ["/predict", "/v2/models/churn/infer", "/v2/models/churn/versions/1/infer", "/v2/models/x/infer"];

    private static readonly string[] ContentTypes = ["application/json", "application/json; charset=utf-8", "text/plain", "application/json; charset=utf-16", "application/xml"];

    private static readonly JsonNode?[] Values = [null, true, 1, -1e39, 1e300, 0.5, "", "pro", new JsonArray(), new JsonObject(), new JsonArray(1, 2), 2147483648L];

    private static Gen<string> Mutated(JsonNode valid) =>
        Gen.OneOf(
            // A value replaced anywhere in the tree, a key renamed or dropped.
            Gen.Choose(0, 1000).Select(seed => Mutate(valid.DeepClone(), new Random(seed)).ToJsonString()),
            // A valid body cut short, or noise.
            Gen.Choose(0, valid.ToJsonString().Length).Select(n => valid.ToJsonString()[..n]),
            ArbMap.Default.ArbFor<string>().Generator.Select(s => s ?? ""));

    private static JsonNode Mutate(JsonNode node, Random random)
    {
        for (var i = 0; i < 1 + random.Next(3); i++)
        {
            var target = node;
            while (true)
            {
                var children = target switch
                {
                    JsonObject o => o.Select(p => p.Value).Where(v => v is not null).ToList(),
                    JsonArray a => a.Where(v => v is not null).ToList(),
                    _ => [],
                };
                if (children.Count == 0 || random.Next(3) == 0)
                {
                    break;
                }
                target = children[random.Next(children.Count)]!;
            }
            switch (target.Parent)
            {
                case JsonObject parent when random.Next(3) == 0:
                    parent.Remove(target.GetPropertyName());
                    break;
                case JsonObject parent when random.Next(2) == 0:
                    var name = target.GetPropertyName();
                    parent.Remove(name);
                    parent[name + "x"] = target;
                    break;
                case JsonObject parent:
                    parent[target.GetPropertyName()] = Values[random.Next(Values.Length)]?.DeepClone();
                    break;
                case JsonArray parent:
                    parent[target.GetElementIndex()] = Values[random.Next(Values.Length)]?.DeepClone();
                    break;
            }
        }
        return node;
    }

    [Fact]
    public async Task Thousands_of_generated_bad_requests_get_no_server_error()
    {
        var rows = ServedBundle.Rows(3, seed: 5);
        var predict = (JsonNode)new JsonArray(rows.Select(r => (JsonNode?)ModelServerTests.Row(r)).ToArray());
        var infer = (JsonNode)ModelServerTests.Infer(rows);
        var requests = Gen.Elements(Paths).SelectMany(path => Gen.Elements(ContentTypes).SelectMany(type => Gen.OneOf(Mutated(predict), Mutated(infer)).Select(body => (path, type, body))))
            .Sample(3000, 50);
        var statuses = new System.Collections.Concurrent.ConcurrentBag<int>();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (request, _) =>
        {
            var (path, type, body) = request;
            var (status, answer) = await ModelServerTests.Post(running.Http, path, body, type);
            statuses.Add((int)status);
            if ((int)status >= 500)
            {
                failures.Add($"{path} {type} {body} -> {(int)status} {answer?.ToJsonString()}");
            }
        });
        Assert.Equal(3000, statuses.Count);
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(5)));
        Assert.True(statuses.Count(s => s is 400) > 600, $"only {statuses.Count(s => s is 400)} of the requests reached the schema checks");
        Assert.Equal(HttpStatusCode.OK, (await running.Http.GetAsync("/v2/health/ready")).StatusCode);
    }

    private sealed class StuckSink : IPredictionSink
    {
        public readonly TaskCompletionSource Release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask WriteAsync(PredictionRecord record, CancellationToken cancellationToken) => await Release.Task.WaitAsync(cancellationToken);
    }

    private static PredictionRecord Record() => new(DateTimeOffset.UtcNow, "m", 1, "/predict", ["a"], [[1f]], ["Score"], [[0.5f]], 0.001);

    [Fact]
    public async Task The_prediction_hook_never_waits_for_a_stuck_sink_and_counts_what_it_drops()
    {
        var sink = new StuckSink();
        await using var hook = new PredictionHook(sink, capacity: 10);
        var clock = Stopwatch.StartNew();
        var accepted = Enumerable.Range(0, 10_000).Count(_ => hook.Offer(Record()));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"offering took {clock.Elapsed}");
        Assert.InRange(accepted, 10, 11); // the queue, and at most one the sink holds
        Assert.Equal(10_000 - accepted, hook.Dropped);
        sink.Release.SetResult();
    }

    [Fact]
    public async Task A_server_whose_sink_is_stuck_answers_every_request_and_reports_the_drops_in_its_metrics()
    {
        var sink = new StuckSink();
        await using var server = await ModelServer.StartAsync(new ServerOptions(running.Bundle.Folder) { Port = 0, Sink = sink, HookCapacity = 2 });
        await server.Ready;
        using var http = new HttpClient { BaseAddress = server.Address };
        var body = ModelServerTests.Row(ServedBundle.Rows(1, seed: 2)[0]).ToJsonString();
        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => ModelServerTests.Post(http, "/predict", body)));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.InRange(server.Dropped, 47, 48);
        Assert.Contains($"mlops_server_prediction_log_dropped_total {server.Dropped}", await http.GetStringAsync("/metrics"));
        sink.Release.SetResult();
    }

    private sealed class CountingSink : IPredictionSink
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public ValueTask WriteAsync(PredictionRecord record, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task Clients_that_hang_up_mid_body_cost_no_server_error_no_prediction_and_no_later_answer()
    {
        var sink = new CountingSink();
        await using var server = await ModelServer.StartAsync(new ServerOptions(running.Bundle.Folder) { Port = 0, Sink = sink });
        await server.Ready;
        var body = "[" + string.Join(",", Enumerable.Repeat(ModelServerTests.Row(ServedBundle.Rows(1, seed: 3)[0]).ToJsonString(), 200)) + "]";
        var bytes = System.Text.Encoding.UTF8.GetBytes(body);
        foreach (var path in new[] { "/predict", "/v2/models/churn/infer" })
        {
            for (var i = 0; i < 10; i++)
            {
                using var socket = new System.Net.Sockets.TcpClient();
                await socket.ConnectAsync(server.Address.Host, server.Address.Port);
                var stream = socket.GetStream();
                var head = $"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\n\r\n";
                await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head));
                await stream.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
                await stream.FlushAsync();
                socket.Client.Shutdown(System.Net.Sockets.SocketShutdown.Both);
            }
        }
        using var http = new HttpClient { BaseAddress = server.Address };
        // The hung-up requests end on the server's side after the clients leave: wait for them to be counted.
        var metrics = "";
        for (var i = 0; i < 50 && !metrics.Contains("status=\"499\"", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
            metrics = await http.GetStringAsync("/metrics");
        }
        Assert.Contains("status=\"499\"", metrics);
        Assert.DoesNotMatch("""mlops_server_requests_total\{[^}]*status="5""", metrics);
        Assert.Equal(0, sink.Count);
        var (status, _) = await ModelServerTests.Post(http, "/predict", ModelServerTests.Row(ServedBundle.Rows(1, seed: 4)[0]).ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task The_server_is_live_but_not_ready_until_the_model_is_loaded_and_warmed_up()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await ModelServer.StartAsync(new ServerOptions(running.Bundle.Folder) { Port = 0, BeforeLoad = () => gate.Task });
        using var http = new HttpClient { BaseAddress = server.Address };
        var body = ModelServerTests.Row(ServedBundle.Rows(1, seed: 2)[0]).ToJsonString();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v2/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/v2/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/v2/models/churn/ready")).StatusCode);
        var (status, error) = await ModelServerTests.Post(http, "/predict", body);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("not ready", (string)error!["error"]!);
        gate.SetResult();
        await server.Ready;
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v2/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ModelServerTests.Post(http, "/predict", body)).Status);
    }

    public static TheoryData<string, string> BrokenBundles() => new()
    {
        { "no-model", "has no model.zip" },
        { "corrupt-model", "is not an ML.NET model" },
        { "manifest-not-json", "is not valid JSON" },
        { "manifest-without-schema", "has no \"input_schema\"" },
        { "sample-not-fitting", "sample-input.json does not fit" },
        { "no-folder", "no bundle folder" },
        { "name-with-a-route-template", "names the model \"a{b}/../c\", which is not a model name" },
        { "name-with-a-new-line", "names the model \"churn\\u0022\\nReady: POST http://evil/predict\", which is not a model name" },
    };

    [Theory]
    [MemberData(nameof(BrokenBundles))]
    public void Serving_a_broken_bundle_is_a_clear_error_with_exit_code_1(string breakage, string says)
    {
        using var temp = new TempDirectory();
        var folder = running.Bundle.Copy(temp);
        switch (breakage)
        {
            case "no-model":
                File.Delete(Path.Combine(folder, "model.zip"));
                break;
            case "corrupt-model":
                File.WriteAllBytes(Path.Combine(folder, "model.zip"), [0x50, 0x4b, 3, 4, 1, 2, 3]);
                break;
            case "manifest-not-json":
                File.WriteAllText(Path.Combine(folder, "manifest.json"), "{\"name\": \"churn\",");
                break;
            case "manifest-without-schema":
                var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json")))!.AsObject();
                manifest.Remove("input_schema");
                File.WriteAllText(Path.Combine(folder, "manifest.json"), manifest.ToJsonString());
                break;
            case "sample-not-fitting":
                File.WriteAllText(Path.Combine(folder, "sample-input.json"), """{"Tenure": "long", "Calls": 1, "Plan": "pro"}""");
                break;
            case "no-folder":
                folder = temp.File("nothing-here");
                break;
            case "name-with-a-route-template":
            case "name-with-a-new-line":
                var named = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json")))!.AsObject();
                named["name"] = breakage == "name-with-a-new-line" ? "churn\"\nReady: POST http://evil/predict" : "a{b}/../c";
                File.WriteAllText(Path.Combine(folder, "manifest.json"), named.ToJsonString());
                break;
        }
        var (exit, output, error) = Programs.Run(Programs.Mlops, ["serve", folder, "--port", "0"]);
        Assert.Equal(1, exit);
        Assert.Contains(says, error);
        Assert.StartsWith("error: ", error);
        Assert.DoesNotContain("   at ", error + output);
        Assert.DoesNotContain("\nReady:", error + output);
    }

    [Fact]
    public async Task Mlops_serve_serves_a_registered_version_named_by_its_alias_until_it_is_stopped()
    {
        using var process = Programs.Start(Programs.Mlops, ["serve", "churn@candidate", "--port", "0", "--tracking-uri", running.Bundle.StoreUri]);
        try
        {
            var first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.StartsWith("Serving churn version 1 at http://127.0.0.1:", first);
            var address = new Uri(first!.Split(" at ")[1].Split(' ')[0]);
            Assert.StartsWith("Ready:", await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)));
            using var http = new HttpClient { BaseAddress = address };
            var row = ServedBundle.Rows(1, seed: 9)[0];
            var (status, answer) = await ModelServerTests.Post(http, "/predict", ModelServerTests.Row(row).ToJsonString());
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(running.Bundle.InProcess(row).Probability, (float)answer!["Probability"]!);
        }
        finally
        {
            using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, process.ExitCode);
    }
}
