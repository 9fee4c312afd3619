using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace MlopsNotebooks.Tests.Support;

/// <summary>
/// Debian's Prometheus on a loopback port, scraping every second the targets a test gives (its scrape_configs), with
/// its data in the test's folder; stopped on dispose. Queries go through its HTTP API.
/// </summary>
public sealed class PrometheusServer : IDisposable
{
    private readonly Process _process;

    private PrometheusServer(Process process, int port)
    {
        _process = process;
        Api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}") };
    }

    public HttpClient Api { get; }

    /// <param name="scrapeConfigs">The YAML list under scrape_configs, indented by two spaces.</param>
    public static PrometheusServer Start(TempDirectory temp, string scrapeConfigs)
    {
        File.WriteAllText(temp.File("prometheus.yml"), $"global:\n  scrape_interval: 1s\nscrape_configs:\n{scrapeConfigs}");
        var port = Ports.Free();
        var process = Programs.StartTool("prometheus", [$"--config.file={temp.File("prometheus.yml")}", $"--storage.tsdb.path={temp.File("prometheus-data")}",
            $"--web.listen-address=127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"]);
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        return new PrometheusServer(process, port);
    }

    /// <summary>An instant query (now, or at a Unix time); its result vector, empty while Prometheus is not listening yet.</summary>
    public async Task<JsonArray> QueryAsync(string promql, string? time = null)
    {
        try
        {
            var answer = JsonNode.Parse(await Api.GetStringAsync($"/api/v1/query?query={Uri.EscapeDataString(promql)}{(time is null ? "" : $"&time={time}")}"))!;
            Assert.Equal("success", (string?)answer["status"]);
            return answer["data"]!["result"]!.AsArray();
        }
        catch (HttpRequestException)
        {
            return [];
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
        Api.Dispose();
    }
}
