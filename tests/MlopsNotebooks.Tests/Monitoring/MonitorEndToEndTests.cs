using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML;
using MlopsNotebooks.GitHub.Monitoring;
using MlopsNotebooks.Registry;
using MlopsNotebooks.Tests.Registry;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Monitoring;

/// <summary>
/// The monitor end to end with real parts: a model trained and registered with its training data, exported, served by a
/// real `mlops serve --log-predictions` process that Prometheus scrapes; batches sent over HTTP, labels through
/// POST /feedback; `mlops monitor` reads the log, Prometheus and GitHub (Prism), and its HTML opens in Chromium.
/// </summary>
public sealed class MonitorEndToEndTests(MonitorEndToEndTests.Service service) : IClassFixture<MonitorEndToEndTests.Service>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>One registered model, one server logging its predictions, one Prometheus scraping it, for the class.</summary>
    public sealed class Service : IAsyncLifetime
    {
        private readonly GitRepository _git = new();
        private Process _server = null!;

        public string Bundle { get; private set; } = "";

        public string Log => _git.PathOf("predictions");

        public HttpClient Http { get; private set; } = null!;

        public PrometheusServer Prometheus { get; private set; } = null!;

        public double RegisteredAuc { get; private set; }

        private readonly TempDirectory _prometheusData = new();

        public async Task InitializeAsync()
        {
            using (var client = new TrackingClient(_git.PathOf(".mlops/mlops.db")))
            {
                var registry = new ModelRegistry(client);
                var rows = ChurnRows.Rows(1500, 1);
                var (model, data) = ChurnRows.Train(rows);
                RegisteredAuc = new MLContext(seed: 1).BinaryClassification.Evaluate(model.Transform(data), "Label").AreaUnderRocCurve;
                var run = client.CreateRun("drift", "train");
                client.LogBatch(run.RunId, [new Metric("auc", RegisteredAuc, 0, 1)], []);
                registry.Register(run.RunId, model, data.Schema, "churn", referenceData: data);
                Bundle = registry.Export("churn", _git.PathOf("bundle"));
            }
            Directory.CreateDirectory(Log);
            _server = Programs.Start(Programs.Mlops, ["serve", Bundle, "--port", "0", "--log-predictions", Log]);
            var first = await _server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(90));
            Assert.StartsWith("Serving churn version 1 at http://127.0.0.1:", first);
            var address = new Uri(first!.Split(" at ")[1].Split(' ')[0]);
            Assert.StartsWith("Ready:", await _server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(90)));
            _ = _server.StandardOutput.ReadToEndAsync();
            _ = _server.StandardError.ReadToEndAsync();
            Http = new HttpClient { BaseAddress = address };
            Prometheus = PrometheusServer.Start(_prometheusData,
                $"  - job_name: model\n    static_configs:\n      - targets: ['{address.Authority}']\n");
            // The request counter's series appears with the first request and must be scraped before the first batch,
            // or Prometheus sees no increase over the window: one request outside every window, then wait for the scrape.
            using (var warmUp = await Http.PostAsync("/predict", new StringContent("""{"Tenure": 1, "Calls": 1, "Plan": "basic"}""", Encoding.UTF8, "application/json")))
            {
                Assert.Equal(HttpStatusCode.OK, warmUp.StatusCode);
            }
            for (var i = 0; i < 120 && (await Prometheus.QueryAsync("mlops_server_requests_total")).Count == 0; i++)
            {
                await Task.Delay(500);
            }
            await Task.Delay(TimeSpan.FromSeconds(2));
        }

        public Task DisposeAsync()
        {
            Prometheus.Dispose();
            if (!_server.HasExited)
            {
                _server.Kill(entireProcessTree: true);
                _server.WaitForExit();
            }
            _server.Dispose();
            Http.Dispose();
            _prometheusData.Dispose();
            _git.Dispose();
            return Task.CompletedTask;
        }
    }

    /// <summary>A window of the log: the batch sent in it, in requests of 50 rows, and each row's true label sent back as feedback.</summary>
    private async Task<(DateTimeOffset From, DateTimeOffset To)> Send(List<Row> rows, bool labels)
    {
        var from = DateTimeOffset.UtcNow.AddSeconds(-1);
        foreach (var batch in rows.Chunk(50))
        {
            var body = new JsonArray(batch.Select(r => (JsonNode)new JsonObject { ["Tenure"] = r.Tenure, ["Calls"] = r.Calls, ["Plan"] = r.Plan }).ToArray());
            using var answer = await service.Http.PostAsync("/predict", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            if (labels)
            {
                var id = answer.Headers.GetValues("X-Request-Id").Single();
                var feedback = new JsonArray(batch.Select((r, i) => (JsonNode)new JsonObject { ["id"] = id, ["row"] = i, ["label"] = r.Label }).ToArray());
                using var accepted = await service.Http.PostAsync("/feedback", new StringContent(feedback.ToJsonString(), Encoding.UTF8, "application/json"));
                Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            }
        }
        await Task.Delay(TimeSpan.FromSeconds(3)); // the log's flush interval is 1 s, Prometheus scrapes every second
        return (from, DateTimeOffset.UtcNow);
    }

    private (int Code, JsonNode Report, string Output) Monitor((DateTimeOffset From, DateTimeOffset To) window, string report, GitHubApi? github = null)
    {
        var environment = new Dictionary<string, string?>
        {
            ["GITHUB_ACTIONS"] = null, ["MLOPS_PLOTLY_JS"] = null,
            ["GITHUB_REPOSITORY"] = github is null ? null : "Codertocat/Hello-World",
            ["GITHUB_TOKEN"] = github is null ? null : "ghs_test",
            ["GITHUB_API_URL"] = github?.Address.ToString(),
        };
        var (code, output, error) = Programs.Run(Programs.Mlops,
            ["monitor", "--bundle", service.Bundle, "--log", service.Log, "--since", window.From.UtcDateTime.ToString("O"), "--until", window.To.UtcDateTime.ToString("O"),
             "--prometheus", service.Prometheus.Api.BaseAddress!.ToString(), "--report", report, "--plotly-js", HeadlessChromium.PlotlyJsFile,
             .. github is null ? Array.Empty<string>() : ["--github-issue"]],
            _dir.Path, environment);
        Assert.True(code == 0, $"exit {code}: {output}{error}");
        return (code, JsonNode.Parse(File.ReadAllText(Path.Combine(report, "drift.json")))!, output);
    }

    private static bool Drifted(JsonNode report, string column) =>
        (bool)report["columns"]!.AsArray().Single(c => (string)c!["column"]! == column)!["drifted"]!;

    [Fact]
    public async Task A_shifted_batch_is_reported_with_its_columns_its_predictions_and_the_metric_and_its_issue_opens_then_closes_when_healthy()
    {
        var calm = await Send(ChurnRows.Rows(2000, 20), labels: false);
        var shifted = ChurnRows.Rows(800, 21, tenureShift: 40);
        shifted.ForEach(r => r.Plan = "pro");
        var moved = await Send(shifted, labels: true);
        using var github = await GitHubApi.StartAsync();
        const string issues = "/repos/Codertocat/Hello-World/issues";
        var open = false;
        var listed = new JsonArray(new JsonObject
        {
            ["id"] = 1007, ["number"] = 7, ["title"] = "Drift", ["body"] = DriftIssue.Marker("churn"), ["state"] = "open",
            ["html_url"] = "https://github.com/Codertocat/Hello-World/issues/7", ["labels"] = new JsonArray(new JsonObject { ["name"] = DriftIssue.Label }),
        }).ToJsonString();
        github.Answer("GET", issues, _ => (200, open ? listed : "[]"));

        var (_, healthy, calmOutput) = Monitor(calm, _dir.File("calm"));
        Assert.True((bool)healthy["healthy"]!, calmOutput);
        Assert.False((bool)healthy["dataset_drifted"]!);
        Assert.All(["Tenure", "Calls", "Plan"], c => Assert.False(Drifted(healthy, c), c));
        Assert.Equal(2000, (int)healthy["current_rows"]!);
        Assert.Equal("prometheus", (string)healthy["service"]!["source"]!);
        Assert.True((double)healthy["service"]!["requests"]! > 0, healthy["service"]!.ToJsonString());

        var (_, report, output) = Monitor(moved, _dir.File("moved"), github);
        Assert.False((bool)report["healthy"]!);
        Assert.True((bool)report["dataset_drifted"]!, output);
        Assert.True(Drifted(report, "Tenure"));
        Assert.True(Drifted(report, "Plan"));
        Assert.False(Drifted(report, "Calls"));
        Assert.True(report["prediction"] is { } prediction && (bool)prediction["drifted"]!, File.ReadLines(Directory.GetFiles(service.Log, "predictions-*").Order().Last()).Last());
        var metric = report["metric"]!;
        Assert.Equal("auc", (string)metric["metric"]!);
        Assert.Equal(service.RegisteredAuc, (double)metric["registered"]!, 1e-9);
        Assert.Equal(800, (int)metric["labelled_rows"]!);
        Assert.NotNull(metric["recent"]);
        Assert.Contains("Drift issue #", output);
        Assert.Contains("opened", output);
        var markdown = File.ReadAllText(_dir.File("moved/drift.md"));
        Assert.Contains("Tenure", markdown);
        Assert.Contains("```mermaid", markdown);
        var page = _dir.File("moved/drift.html");
        HeadlessChromium.AssertChartsDrew(page, 5); // the summary, then the distributions of the three inputs and the prediction

        open = true;
        var (_, again, againOutput) = Monitor(calm, _dir.File("again"), github);
        Assert.True((bool)again["healthy"]!);
        Assert.Matches(@"Drift issue #\d+ closed", againOutput); // the number of Prism's example answer; the calls below show #7
        var calls = github.Requests.ToList();
        Assert.All(calls, c => Assert.NotEqual(422, c.PrismStatus));
        Assert.Contains(calls, c => c.Method == "POST" && c.Path == issues);
        Assert.Contains(calls, c => c.Method == "PATCH" && c.Path == issues + "/7" && c.Body.Contains("closed", StringComparison.Ordinal));
    }
}
