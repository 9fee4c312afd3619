using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using MlopsNotebooks.Monitoring;
using MlopsNotebooks.Tests.Serving;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Monitoring;

/// <summary>
/// The service's health over a window: from Debian's Prometheus scraping a real model server (in-process), from that
/// server's /metrics, and what an unreachable or wrong source gives (a note and an unknown health, never an exception).
/// </summary>
public sealed class ServiceHealthTests(RunningServer running) : IClassFixture<RunningServer>
{
    private static readonly ServiceThresholds Defaults = new();

    private async Task Predict(int count, int seed)
    {
        foreach (var row in ServedBundle.Rows(count, seed))
        {
            Assert.Equal(HttpStatusCode.OK, (await ModelServerTests.Post(running.Http, "/predict", ModelServerTests.Row(row).ToJsonString())).Status);
        }
    }

    [Fact]
    public async Task Prometheus_gives_the_windows_requests_a_p99_under_the_limit_and_the_latency_rule_judges_the_same_figures()
    {
        using var temp = new TempDirectory();
        using var prometheus = PrometheusServer.Start(temp, $"""
              - job_name: model
                static_configs:
                  - targets: ['{running.Server.Address.Authority}']

            """);
        await Predict(1, seed: 3); // the series exist before the window starts
        await Until(async () => (await prometheus.QueryAsync("mlops_server_requests_total{route=\"/predict\"}")).Count > 0);
        await Task.Delay(1500);
        var start = DateTimeOffset.UtcNow;
        await Task.Delay(2500);
        await Predict(120, seed: 4);
        await Task.Delay(4000);
        var end = DateTimeOffset.UtcNow;
        using var http = new HttpClient();

        var health = await ServiceHealthReader.FromPrometheusAsync(http, prometheus.Api.BaseAddress!, start, end, Defaults);
        var strict = await ServiceHealthReader.FromPrometheusAsync(http, prometheus.Api.BaseAddress!, start, end, new ServiceThresholds(MaxLatencyP99Seconds: 1e-9));

        Assert.Equal("prometheus", health.Source);
        Assert.True(health.Healthy, health.Note);
        // increase() extrapolates to the window's edges, by at most a scrape interval (1 s) of the 7 s window.
        Assert.True(health.Requests is >= 100 and <= 150, $"{health.Requests} requests: {health.Note}");
        Assert.Equal(0, health.ErrorRate);
        Assert.InRange(health.LatencyP99Seconds!.Value, 1e-6, 0.5);
        Assert.False(strict.Healthy);
        Assert.Equal(health.LatencyP99Seconds!.Value, strict.LatencyP99Seconds!.Value, 1e-9);
    }

    [Fact]
    public async Task Two_scrapes_of_metrics_count_exactly_the_prediction_requests_between_them()
    {
        using var http = new HttpClient();
        var metrics = new Uri(running.Server.Address, "/metrics");
        var reading = ServiceHealthReader.FromMetricsAsync(http, metrics, TimeSpan.FromSeconds(3), Defaults);
        await Task.Delay(1000);
        await Predict(25, seed: 5);
        await running.Http.GetStringAsync("/v2/health/ready"); // no prediction

        var health = await reading;

        Assert.Equal("metrics", health.Source);
        Assert.Equal(25, health.Requests);
        Assert.Equal(0, health.ErrorRate);
        Assert.True(health.Healthy);
        Assert.Contains("between two scrapes 3s apart", health.Note);
    }

    [Fact]
    public async Task One_scrape_of_metrics_gives_the_counts_since_the_server_started_and_says_so()
    {
        await Predict(5, seed: 6);
        using var http = new HttpClient();

        var health = await ServiceHealthReader.FromMetricsAsync(http, new Uri(running.Server.Address, "/metrics"), null, Defaults);

        Assert.True(health.Requests >= 5);
        Assert.Contains("since the server started", health.Note);
    }

    [Fact]
    public async Task A_server_answering_five_percent_5xx_is_unhealthy_and_health_checks_do_not_count()
    {
        using var server = new StaticMetrics("""
            # TYPE mlops_server_requests_total counter
            mlops_server_requests_total{route="/predict",status="200",model_version="1"} 95
            mlops_server_requests_total{route="/predict",status="503",model_version="1"} 5
            mlops_server_requests_total{route="/v2/health/ready",status="503",model_version=""} 1000
            """);
        using var http = new HttpClient();

        var health = await ServiceHealthReader.FromMetricsAsync(http, server.Address, null, Defaults);

        Assert.Equal(100, health.Requests);
        Assert.Equal(0.05, health.ErrorRate!.Value, 1e-12);
        Assert.False(health.Healthy);
        Assert.Null(health.LatencyP99Seconds);
    }

    [Fact]
    public async Task An_unreachable_or_wrong_prometheus_is_a_note_and_an_unknown_health_not_an_error()
    {
        using var http = new HttpClient();
        var (start, end) = (DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow);

        var unreachable = await ServiceHealthReader.FromPrometheusAsync(http, new Uri($"http://monitor:s3cret-pw@127.0.0.1:{Ports.Free()}"), start, end, Defaults);
        // The model server is no Prometheus: its 404 page is not a query result.
        var wrong = await ServiceHealthReader.FromPrometheusAsync(http, running.Server.Address, start, end, Defaults);

        foreach (var health in new[] { unreachable, wrong })
        {
            Assert.True(health.Healthy);
            Assert.Null(health.ErrorRate);
            Assert.Null(health.Requests);
            Assert.Contains("could not be read", health.Note);
            Assert.Contains("unknown", health.Note);
            Assert.DoesNotContain("s3cret-pw", health.Note); // a password in the URL never reaches the report
        }
    }

    [Fact]
    public async Task Metrics_that_do_not_answer_make_the_service_unhealthy_with_a_note()
    {
        using var http = new HttpClient();

        var health = await ServiceHealthReader.FromMetricsAsync(http, new Uri($"http://127.0.0.1:{Ports.Free()}/metrics"), null, Defaults);

        Assert.False(health.Healthy);
        Assert.Contains("did not answer", health.Note);
    }

    private static async Task Until(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "Prometheus did not scrape the server within a minute.");
            await Task.Delay(200);
        }
    }

    /// <summary>A /metrics page with fixed text, on a loopback port.</summary>
    private sealed class StaticMetrics : IDisposable
    {
        private readonly HttpListener _listener = new();

        public StaticMetrics(string text)
        {
            Address = new Uri($"http://127.0.0.1:{Ports.Free().ToString(CultureInfo.InvariantCulture)}/metrics/");
            _listener.Prefixes.Add(Address.ToString());
            _listener.Start();
            _ = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    try
                    {
                        var context = await _listener.GetContextAsync();
                        var bytes = Encoding.UTF8.GetBytes(text + "\n");
                        context.Response.ContentType = "text/plain; version=0.0.4";
                        await context.Response.OutputStream.WriteAsync(bytes);
                        context.Response.Close();
                    }
                    catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                    {
                        return;
                    }
                }
            });
        }

        public Uri Address { get; }

        public void Dispose() => _listener.Close();
    }
}
