using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MlopsNotebooks.Deployment;
using MlopsNotebooks.Tests.Serving;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Deployment;

/// <summary>`mlops serve` of a registered version, as a process, for the class: what the manifests point a cluster at.</summary>
public sealed class ServeProcess : IAsyncLifetime
{
    private Process _process = null!;

    public ServedBundle Bundle { get; } = new();

    public HttpClient Http { get; private set; } = null!;

    public Uri Address { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _process = Programs.Start(Programs.Mlops, ["serve", "churn@candidate", "--port", "0", "--tracking-uri", Bundle.StoreUri]);
        var first = await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Address = new Uri(first!.Split(" at ")[1].Split(' ')[0]);
        Assert.StartsWith("Ready:", await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)));
        Http = new HttpClient { BaseAddress = Address };
    }

    /// <summary>Single-row predictions through both prediction routes, all answered 200.</summary>
    public async Task PredictAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var row = ServedBundle.Rows(1, seed: i)[0];
            var (status, _) = await ModelServerTests.Post(Http, "/predict", ModelServerTests.Row(row).ToJsonString());
            Assert.Equal(HttpStatusCode.OK, status);
        }
        var infer = """{"inputs": [{"name": "Tenure", "shape": [1], "datatype": "FP32", "data": [3]}, {"name": "Calls", "shape": [1], "datatype": "FP32", "data": [4]}, {"name": "Plan", "shape": [1], "datatype": "BYTES", "data": ["pro"]}]}""";
        Assert.Equal(HttpStatusCode.OK, (await ModelServerTests.Post(Http, "/v2/models/churn/infer", infer)).Item1);
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        _process.Dispose();
        Bundle.Dispose();
    }
}

/// <summary>
/// The manifests against the real server: the probes name paths `mlops serve` answers, and the canary analysis queries
/// metrics it really exports, checked by name and by a real Prometheus scraping it and answering the queries.
/// </summary>
public sealed class KubernetesServerTests(ServeProcess served) : IClassFixture<ServeProcess>
{
    private static string[] Args(params string[] more) =>
        ["churn@candidate", "--image", "ghcr.io/acme/churn:1", "--environment", "staging", .. more];

    private static (string Folder, TempDirectory Temp) Written(string storeUri, params string[] more)
    {
        var temp = new TempDirectory();
        var (exit, _, error) = Manifests.Deploy(temp.Path, [.. Args(more), "--tracking-uri", storeUri]);
        Assert.True(exit == 0, error);
        return (temp.Path, temp);
    }

    [Fact]
    public async Task The_probes_point_at_paths_the_running_server_answers_once_ready()
    {
        foreach (var (file, canary) in new[] { ("churn-deployment.yaml", Array.Empty<string>()), ("churn-rollout.yaml", ["--canary"]) })
        {
            var (folder, temp) = Written(served.Bundle.StoreUri, canary);
            using (temp)
            {
                var container = (Dictionary<object, object>)Manifests.Read(Path.Combine(folder, file)).At("spec", "template", "spec").List("containers")[0];
                var port = ((Dictionary<object, object>)container.List("ports")[0])["containerPort"];
                Assert.Equal(KubernetesTarget.ServerPort.ToString(CultureInfo.InvariantCulture), port); // mlops serve's default port
                var paths = new[] { "livenessProbe", "readinessProbe", "startupProbe" }.Select(p => (string)container.At(p, "httpGet")["path"]).Distinct().ToList();
                Assert.Equal(2, paths.Count);
                foreach (var path in paths)
                {
                    using var answer = await served.Http.GetAsync(path);
                    Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{path}: {answer.StatusCode}");
                }
                // A path the server does not have is not answered 200, so the check above can fail.
                Assert.NotEqual(HttpStatusCode.OK, (await served.Http.GetAsync("/healthz")).StatusCode);
            }
        }
    }

    private static List<string> Queries(string folder) =>
        [.. Manifests.Read(Path.Combine(folder, "churn-analysis-template.yaml")).At("spec").List("metrics").Cast<Dictionary<object, object>>()
            .Select(m => (string)m.At("provider", "prometheus")["query"])];

    [Fact]
    public async Task Every_metric_and_route_the_canary_analysis_queries_is_one_the_running_server_exports()
    {
        await served.PredictAsync(3);
        var exported = await served.Http.GetStringAsync("/metrics");
        var (folder, temp) = Written(served.Bundle.StoreUri, "--canary");
        using (temp)
        {
            var queries = Queries(folder);
            Assert.Equal(3, queries.Count);
            var names = queries.SelectMany(q => Regex.Matches(q, @"\b([a-z_:][a-z0-9_:]*)\{").Select(m => m.Groups[1].Value)).ToHashSet();
            Assert.Equal(["mlops_server_request_duration_seconds_bucket", "mlops_server_requests_total"], names.Order(StringComparer.Ordinal));
            Assert.All(names, name => Assert.Matches($"(?m)^{name}\\{{", exported));

            // The prediction routes as the server labels them match the queries' route pattern (PromQL anchors it); health does not.
            var routes = Regex.Matches(exported, "(?m)^mlops_server_requests_total\\{[^}]*route=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToHashSet();
            var pattern = new Regex($"^(?:{KubernetesCanaryAnalysis.PredictionRoutes})$");
            Assert.Contains("/predict", routes);
            Assert.Contains(routes, r => r.EndsWith("/infer", StringComparison.Ordinal) && pattern.IsMatch(r));
            Assert.Matches(pattern, "/predict");
            Assert.All(routes.Where(r => r.StartsWith("/v2/health", StringComparison.Ordinal) || r == "/metrics"), r => Assert.DoesNotMatch(pattern, r));
        }
    }

    [Fact]
    public async Task A_real_prometheus_scraping_the_server_answers_the_canary_queries_within_the_policy()
    {
        using var temp = new TempDirectory();
        // Labels as Kubernetes discovery attaches them to a pod of the Rollout's new ReplicaSet (churn-<hash>-<suffix>).
        using var prometheus = PrometheusServer.Start(temp, $"""
              - job_name: churn
                static_configs:
                  - targets: ["{served.Address.Authority}"]
                    labels:
                      namespace: default
                      pod: churn-5d8f7c9b4-x7k2p

            """);
        var (folder, written) = Written(served.Bundle.StoreUri, "--canary", "--canary-step-duration", "30s");
        using (written)
        {
            var queries = Queries(folder).Select(q => q.Replace($"{{{{args.{KubernetesCanaryAnalysis.PodTemplateHash}}}}}", "5d8f7c9b4", StringComparison.Ordinal)).ToList();
            var clock = Stopwatch.StartNew();
            double[] values = [];
            while (clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                await served.PredictAsync(10);
                await Task.Delay(500);
                values = [.. await Task.WhenAll(queries.Select(q => Query(prometheus, q)))];
                if (values[2] >= CanaryPolicy.Default.MinRequests && !double.IsNaN(values[0]) && !double.IsNaN(values[1]))
                {
                    break;
                }
            }
            Assert.True(values.Length == 3 && values[2] >= CanaryPolicy.Default.MinRequests, $"requests: {string.Join(", ", values)}");
            Assert.Equal(0, values[0]); // no 5xx
            Assert.InRange(values[1], 0, CanaryPolicy.Default.MaxP99Latency.TotalSeconds);
            Assert.True(values[1] > 0, $"p99 {values[1]}");

            // Another ReplicaSet's pods (another hash) have no requests: the queries tell versions apart.
            Assert.True(double.IsNaN(await Query(prometheus, queries[2].Replace("5d8f7c9b4", "0000000", StringComparison.Ordinal))));
        }
    }

    /// <summary>The first value of an instant query, NaN when the answer is empty or Prometheus is not up yet.</summary>
    private static async Task<double> Query(PrometheusServer prometheus, string query) =>
        await prometheus.QueryAsync(query) is [var first, ..] ? double.Parse((string)first!["value"]![1]!, CultureInfo.InvariantCulture) : double.NaN;
}
