using System.Diagnostics;
using System.Text.Json.Nodes;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Monitoring;

/// <summary>
/// templates/monitoring: the alert rules pass promtool's check and their unit test, and every Grafana panel's query is
/// one a real Prometheus accepts. Each check is also shown a broken file, so that a check that checks nothing fails.
/// </summary>
public sealed class MonitorTemplatesTests
{
    private static string Folder => Path.Combine(Programs.RepositoryRoot, "templates", "monitoring");

    [Fact]
    public void The_alert_rules_pass_promtool_check_and_their_unit_tests()
    {
        var (check, checkOutput, checkError) = Programs.RunTool("promtool", ["check", "rules", "alert-rules.yml"], Folder);
        Assert.True(check == 0, checkOutput + checkError);
        Assert.Contains("4 rules found", checkOutput + checkError);
        var (test, testOutput, testError) = Programs.RunTool("promtool", ["test", "rules", "alert-rules.test.yml"], Folder);
        Assert.True(test == 0, testOutput + testError);
    }

    [Fact]
    public void Promtool_refuses_a_broken_rule_and_a_failing_expectation()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("broken.yml"), "groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: rate(x[5m] > 1\n");
        Assert.NotEqual(0, Programs.RunTool("promtool", ["check", "rules", "broken.yml"], dir.Path).ExitCode);
        File.Copy(Path.Combine(Folder, "alert-rules.yml"), dir.File("alert-rules.yml"));
        File.WriteAllText(dir.File("t.yml"), File.ReadAllText(Path.Combine(Folder, "alert-rules.test.yml")).Replace("severity: critical", "severity: info", StringComparison.Ordinal));
        Assert.NotEqual(0, Programs.RunTool("promtool", ["test", "rules", "t.yml"], dir.Path).ExitCode);
    }

    [Fact]
    public async Task Every_grafana_panel_query_is_accepted_by_a_real_prometheus()
    {
        var dashboard = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, "grafana-dashboard.json")))!;
        Assert.False(string.IsNullOrEmpty((string?)dashboard["title"]));
        Assert.True((int)dashboard["schemaVersion"]! >= 30);
        var panels = dashboard["panels"]!.AsArray();
        Assert.Equal(panels.Count, panels.Select(p => (int)p!["id"]!).Distinct().Count());
        var queries = panels.SelectMany(p => p!["targets"]!.AsArray().Select(t => (string)t!["expr"]!)).ToList();
        Assert.True(queries.Count >= 6);
        Assert.Contains(queries, q => q.Contains("mlops_server_prediction_log_dropped_total", StringComparison.Ordinal));
        using var temp = new TempDirectory();
        using var prometheus = PrometheusServer.Start(temp, $"  - job_name: mlops-server\n    static_configs:\n      - targets: ['127.0.0.1:{Ports.Free()}']\n");
        await Ready(prometheus);

        foreach (var query in queries)
        {
            // Grafana's variables as it fills them in.
            var promql = query.Replace("$__rate_interval", "1m", StringComparison.Ordinal).Replace("$job", "mlops-server", StringComparison.Ordinal);
            Assert.Equal("success", await Status(prometheus, promql));
        }
        Assert.Equal("error", await Status(prometheus, "sum(rate(mlops_server_requests_total[$__rate_interval]))"));
    }

    private static async Task<string?> Status(PrometheusServer prometheus, string promql)
    {
        using var response = await prometheus.Api.GetAsync($"/api/v1/query?query={Uri.EscapeDataString(promql)}");
        return (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"];
    }

    private static async Task Ready(PrometheusServer prometheus)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if ((await prometheus.Api.GetAsync("/-/ready")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "Prometheus did not get ready within a minute.");
            await Task.Delay(200);
        }
    }
}
