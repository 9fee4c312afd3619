using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using MlopsNotebooks.Deployment;
using MlopsNotebooks.Tests.Serving;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Deployment;

/// <summary>The judge against Prometheus itself: Debian's prometheus scrapes a real `mlops serve` over the same window.</summary>
public sealed class CanaryJudgePrometheusTests
{
    /// <summary>The judge's prediction routes as a PromQL regex (a dot for each brace, which a regex would read as a repeat).</summary>
    private static readonly string Routes = string.Join('|', CanaryJudge.PredictionRoutes.Order().Select(r => r.Replace('{', '.').Replace('}', '.')));

    [Fact]
    public async Task The_judges_request_count_and_p99_are_what_prometheus_computes_with_histogram_quantile_over_the_same_window()
    {
        using var bundle = new ServedBundle();
        using var temp = new TempDirectory();
        using var server = Programs.Start(Programs.Mlops, ["serve", bundle.Folder, "--port", "0"]);
        PrometheusServer? prometheus = null;
        try
        {
            var first = await server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            var address = new Uri(first!.Split(" at ")[1].Split(' ')[0]);
            await server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)); // Ready
            using var http = new HttpClient { BaseAddress = address };
            prometheus = PrometheusServer.Start(temp, $"""
                  - job_name: model
                    static_configs:
                      - targets: ['{address.Authority}']

                """);

            // Every prediction route answers once first, so every series exists in both of Prometheus's samples.
            var rows = ServedBundle.Rows(300, seed: 21);
            await ModelServerTests.Post(http, "/predict", ModelServerTests.Row(rows[0]).ToJsonString());
            await ModelServerTests.Post(http, "/v2/models/churn/infer", ModelServerTests.Infer(rows.Take(2).ToList()).ToJsonString());
            await Until(async () => (await prometheus.QueryAsync("mlops_server_requests_total", Now())).Count > 0, "Prometheus scraped the server");
            await Task.Delay(2500); // at least two scrapes of the quiet state
            var start = Now();
            var before = PrometheusText.Parse(await http.GetStringAsync("/metrics"));

            await Task.WhenAll(Enumerable.Range(0, 4).Select(async loop =>
            {
                foreach (var row in rows.Skip(loop * 70).Take(70))
                {
                    await ModelServerTests.Post(http, loop % 2 == 0 ? "/predict" : "/v2/models/churn/infer",
                        loop % 2 == 0 ? ModelServerTests.Row(row).ToJsonString() : ModelServerTests.Infer([row, row, row]).ToJsonString());
                }
            }));
            var after = PrometheusText.Parse(await http.GetStringAsync("/metrics"));
            await Task.Delay(2500);
            var end = Now();

            var verdict = CanaryJudge.Judge(before, after, CanaryPolicy.Default);
            // Each series at the window's end minus the same at its start: the window's increase, without increase()'s extrapolation.
            string Window(string series, string by) => $"sum{by} ({series}{{route=~\"{Routes}\"}}) - sum{by} ({series}{{route=~\"{Routes}\"}} @ {start})";
            var p99 = await prometheus.QueryAsync($"histogram_quantile(0.99, {Window("mlops_server_request_duration_seconds_bucket", " by (le)")})", end);
            var requests = await prometheus.QueryAsync(Window("mlops_server_requests_total", ""), end);

            Assert.Equal(280, verdict.Requests);
            Assert.Equal(verdict.Requests, (long)Value(requests));
            Assert.Equal(Value(p99), verdict.P99!.Value.TotalSeconds, 1e-7);
        }
        finally
        {
            prometheus?.Dispose();
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }
        }
    }

    private static string Now() => (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);

    private static double Value(JsonArray result) => double.Parse((string)result.Single()!["value"]![1]!, CultureInfo.InvariantCulture);

    private static async Task Until(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"Waited a minute for: {what}.");
            }
            await Task.Delay(200);
        }
    }
}
