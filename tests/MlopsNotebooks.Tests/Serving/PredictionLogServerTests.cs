using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using MlopsNotebooks.Monitoring;
using MlopsNotebooks.Serving;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Serving;

/// <summary>The server's prediction log and its feedback endpoint over real HTTP, read back with PredictionLog.Read.</summary>
public sealed class PredictionLogServerTests(ServedBundle bundle) : IClassFixture<ServedBundle>, IDisposable
{
    private readonly TempDirectory _dir = new();

    private string Folder => _dir.File("log");

    public void Dispose() => _dir.Dispose();

    private async Task<(ModelServer Server, HttpClient Http)> Start(string? folder, double sample = 1)
    {
        var server = await ModelServer.StartAsync(new ServerOptions(bundle.Folder)
        {
            Port = 0,
            MaxBodyBytes = 64 * 1024,
            PredictionLog = folder is null ? null : new PredictionLogOptions(folder),
            LogSample = sample,
        });
        await server.Ready;
        return (server, new HttpClient { BaseAddress = server.Address });
    }

    private static string Rows(int count, int seed) => new JsonArray(ServedBundle.Rows(count, seed).Select(r => (JsonNode)ModelServerTests.Row(r)).ToArray()).ToJsonString();

    private static async Task<(HttpStatusCode Status, string Id, JsonNode? Body)> Predict(HttpClient http, string body, string? requestId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (requestId is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Request-Id", requestId);
        }
        using var response = await http.SendAsync(request);
        return (response.StatusCode, response.Headers.GetValues("X-Request-Id").Single(), JsonNode.Parse(await response.Content.ReadAsStringAsync()));
    }

    private static async Task<double> Metric(HttpClient http, string name)
    {
        var line = (await http.GetStringAsync("/metrics")).Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return double.Parse(line[(name.Length + 1)..], CultureInfo.InvariantCulture);
    }

    /// <summary>The metric once it reaches <paramref name="expected"/> (the sink writes after the answer), or its last value.</summary>
    private static async Task<double> Eventually(HttpClient http, string name, double expected)
    {
        var value = await Metric(http, name);
        for (var i = 0; i < 100 && value != expected; i++)
        {
            await Task.Delay(50);
            value = await Metric(http, name);
        }
        return value;
    }

    [Fact]
    public async Task Predictions_and_feedback_land_in_the_log_and_read_back_joined_by_the_request_id_the_answer_carried()
    {
        var (server, http) = await Start(Folder);
        var rows = ServedBundle.Rows(3, seed: 4);
        var expected = rows.Select(bundle.InProcess).ToList();
        var started = DateTimeOffset.UtcNow;
        var (status, kept, _) = await Predict(http, Rows(3, seed: 4), "client-7:a_b.c");
        var (_, generated, _) = await Predict(http, ModelServerTests.Row(rows[0]).ToJsonString());
        Assert.Equal((HttpStatusCode.OK, "client-7:a_b.c"), (status, kept));
        Assert.Matches("^[0-9a-f]{32}$", generated);

        var feedback = $$"""[{"id": "client-7:a_b.c", "row": 2, "label": true}, {"id": "{{generated}}", "row": 0, "label": false}]""";
        var (accepted, answer) = await ModelServerTests.Post(http, "/feedback", feedback);
        Assert.Equal(HttpStatusCode.Accepted, accepted);
        Assert.Equal(2, (int)answer!["accepted"]!);
        Assert.Equal(4, await Eventually(http, "mlops_server_predictions_logged_total", 4));
        Assert.Equal(2, await Metric(http, "mlops_server_feedback_total"));
        http.Dispose();
        await server.DisposeAsync();

        var window = PredictionLog.Read(Folder, started, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Empty(window.Notes);
        Assert.Equal(["client-7:a_b.c/0", "client-7:a_b.c/1", "client-7:a_b.c/2", $"{generated}/0"], window.Predictions.Select(p => $"{p.RequestId}/{p.Row}"));
        Assert.All(window.Predictions, p => Assert.Equal(("churn", (int?)1), (p.Model, p.Version)));
        Assert.Equal(rows.Select(r => (double)r.Tenure), window.Predictions.Take(3).Select(p => p.Inputs["Tenure"].GetDouble()));
        Assert.Equal(rows.Select(r => r.Plan), window.Predictions.Take(3).Select(p => p.Inputs["Plan"].GetString()));
        Assert.Equal(expected.Select(e => e.Probability), window.Predictions.Take(3).Select(p => p.Outputs["Probability"].GetSingle()));
        var labeled = window.Labeled("PredictedLabel", ColumnKind.Categorical)!;
        Assert.Equal([expected[2].PredictedLabel ? "true" : "false", expected[0].PredictedLabel ? "true" : "false"], labeled.Predictions.Categories!.AsEnumerable());
        Assert.Equal(["true", "false"], labeled.Labels.Categories!.AsEnumerable());
    }

    [Fact]
    public async Task A_log_sample_logs_a_share_of_the_requests_within_a_binomial_bound()
    {
        const int requests = 400;
        const double share = 0.25;
        var (server, http) = await Start(Folder, share);
        var body = ModelServerTests.Row(ServedBundle.Rows(1, seed: 5)[0]).ToJsonString();
        for (var i = 0; i < requests; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await Predict(http, body)).Status);
        }
        http.Dispose();
        await server.DisposeAsync();

        var logged = PredictionLog.Read(Folder, null, null).Predictions.Count;
        // Five standard deviations of Binomial(400, 0.25) either side of its mean: a false failure once in millions of runs.
        var deviation = 5 * Math.Sqrt(requests * share * (1 - share));
        Assert.InRange(logged, requests * share - deviation, requests * share + deviation);
    }

    [Fact]
    public async Task Bad_feedback_bodies_are_refused_with_a_message_and_write_nothing()
    {
        var (server, http) = await Start(Folder);
        await using var _ = server;
        using var __ = http;
        var cases = new (string Body, string ContentType, HttpStatusCode Status, string Says)[]
        {
            ("{not json", "application/json", HttpStatusCode.BadRequest, "not valid JSON"),
            ("""{"row": 0, "label": true}""", "application/json", HttpStatusCode.BadRequest, "The id must be"),
            ($$"""{"id": "{{new string('a', 129)}}", "row": 0, "label": true}""", "application/json", HttpStatusCode.BadRequest, "1 to 128"),
            ("""{"id": "a\nb", "row": 0, "label": true}""", "application/json", HttpStatusCode.BadRequest, "The id must be"),
            ("""{"id": "a\"}\n{\"format\":1", "row": 0, "label": true}""", "application/json", HttpStatusCode.BadRequest, "The id must be"),
            ("""{"id": "a", "row": -1, "label": true}""", "application/json", HttpStatusCode.BadRequest, "The row must be"),
            ("""{"id": "a", "row": 1.5, "label": true}""", "application/json", HttpStatusCode.BadRequest, "The row must be"),
            ("""{"id": "a", "row": 0, "label": {"x": 1}}""", "application/json", HttpStatusCode.BadRequest, "The label must be"),
            ("""{"id": "a", "row": 0, "label": null}""", "application/json", HttpStatusCode.BadRequest, "The label must be"),
            ("""{"id": "a", "row": 0}""", "application/json", HttpStatusCode.BadRequest, "The label must be"),
            ("""{"id": "a", "row": 0, "label": 1, "extra": 2}""", "application/json", HttpStatusCode.BadRequest, "Unknown field 'extra'"),
            ("""[{"id": "a", "row": 0, "label": 1}, {"id": "b", "row": 0, "label": []}]""", "application/json", HttpStatusCode.BadRequest, "Item 1: The label"),
            ("[]", "application/json", HttpStatusCode.BadRequest, "no label"),
            ("\"label\"", "application/json", HttpStatusCode.BadRequest, "not a string"),
            ("""{"id": "a", "row": 0, "label": 1}""", "text/plain", HttpStatusCode.UnsupportedMediaType, "application/json"),
            ($$"""[{{string.Join(",", Enumerable.Repeat("""{"id": "a", "row": 0, "label": 1}""", 3000))}}]""", "application/json", HttpStatusCode.RequestEntityTooLarge, "larger than"),
        };
        foreach (var (body, contentType, status, says) in cases)
        {
            var (got, answer) = await ModelServerTests.Post(http, "/feedback", body, contentType);
            Assert.True(got == status, $"{body[..Math.Min(60, body.Length)]}: {got} {answer}");
            Assert.Contains(says, (string)answer!["error"]!);
        }
        Assert.Equal(0, await Metric(http, "mlops_server_feedback_total"));
        Assert.False(Directory.Exists(Folder) && Directory.EnumerateFiles(Folder, "feedback-*").Any());

        var (noLog, noLogHttp) = await Start(folder: null);
        await using var ___ = noLog;
        using var ____ = noLogHttp;
        var (missing, error) = await ModelServerTests.Post(noLogHttp, "/feedback", """{"id": "a", "row": 0, "label": 1}""");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Contains("--log-predictions", (string)error!["error"]!);
    }

    [Fact]
    public async Task A_request_id_with_a_line_break_or_of_10_kb_never_reaches_the_log()
    {
        var (server, http) = await Start(Folder);
        var body = ModelServerTests.Row(ServedBundle.Rows(1, seed: 6)[0]).ToJsonString();
        var huge = new string('x', 10 * 1024);
        var (status, id, _) = await Predict(http, body, huge);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Matches("^[0-9a-f]{32}$", id);
        var (_, quoted, _) = await Predict(http, body, "a\",\"row\":9");
        Assert.Matches("^[0-9a-f]{32}$", quoted);

        // A raw request: HttpClient itself refuses to send a header with CR or LF in it.
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(server.Address.Host, server.Address.Port);
            var stream = client.GetStream();
            var raw = $"POST /predict HTTP/1.1\r\nHost: x\r\nX-Request-Id: a\rforged\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";
            await stream.WriteAsync(Encoding.UTF8.GetBytes(raw));
            var buffer = new byte[4096];
            var read = await stream.ReadAsync(buffer);
            Assert.StartsWith("HTTP/1.1 400", Encoding.UTF8.GetString(buffer, 0, read));
        }
        Assert.Equal(2, await Eventually(http, "mlops_server_predictions_logged_total", 2));
        http.Dispose();
        await server.DisposeAsync();

        var window = PredictionLog.Read(Folder, null, null);
        Assert.Equal([id, quoted], window.Predictions.Select(p => p.RequestId));
        var text = string.Concat(Directory.GetFiles(Folder).Select(File.ReadAllText));
        Assert.DoesNotContain("forged", text);
        Assert.DoesNotContain("xxxxxxxx", text);
        Assert.Equal(2, text.Count(c => c == '\n'));
    }

    [Fact]
    public async Task A_read_only_log_folder_fails_no_request_and_the_hook_drops_and_counts_what_it_could_not_write()
    {
        using var disk = new Tmpfs("1m");
        var folder = disk.File("log");
        Directory.CreateDirectory(folder);
        disk.MakeReadOnly();
        var (server, http) = await Start(folder);
        await using var _ = server;
        using var __ = http;
        var body = ModelServerTests.Row(ServedBundle.Rows(1, seed: 8)[0]).ToJsonString();

        var clock = Stopwatch.StartNew();
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 50; i++)
        {
            answers.Add((await Predict(http, body)).Status);
        }
        clock.Stop();

        Assert.All(answers, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(50, await Eventually(http, "mlops_server_prediction_log_dropped_total", 50));
        Assert.Equal(0, await Metric(http, "mlops_server_predictions_logged_total"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"50 requests took {clock.Elapsed}");
        var (feedback, error) = await ModelServerTests.Post(http, "/feedback", """{"id": "a", "row": 0, "label": 1}""");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, feedback);
        Assert.Contains("cannot be written", (string)error!["error"]!);
        Assert.Empty(Directory.GetFiles(folder));
    }

    [Fact]
    public async Task Killing_a_serving_process_loses_at_most_the_flush_interval_and_leaves_every_earlier_file_whole()
    {
        using var process = Programs.Start(Programs.Mlops,
            ["serve", bundle.Folder, "--port", "0", "--log-predictions", Folder, "--log-flush-interval", "1s", "--log-max-file-bytes", "4000"]);
        var kill = Stopwatch.StartNew();
        var answered = new List<(string Id, TimeSpan At)>();
        var killedAt = TimeSpan.Zero;
        try
        {
            var first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            var address = new Uri(first!.Split(" at ")[1].Split(' ')[0]);
            var ready = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Contains($"predictions logged to {Folder}", ready);
            using var http = new HttpClient { BaseAddress = address };
            var body = Rows(2, seed: 10);
            kill.Restart();
            await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
            {
                while (kill.Elapsed < TimeSpan.FromSeconds(3))
                {
                    var (status, id, _) = await Predict(http, body);
                    Assert.Equal(HttpStatusCode.OK, status);
                    lock (answered)
                    {
                        answered.Add((id, kill.Elapsed));
                    }
                }
            }));
            // A last request and a quiet spell: its rows sit in a file that is not full, so only the flush puts them on disk.
            var (_, last, _) = await Predict(http, body);
            answered.Add((last, kill.Elapsed));
            await Task.Delay(TimeSpan.FromSeconds(2.5));
        }
        finally
        {
            killedAt = kill.Elapsed;
            process.Kill(); // SIGKILL: no flush, no close
            await process.WaitForExitAsync();
        }

        var files = Directory.GetFiles(Folder, "predictions-*").Order(StringComparer.Ordinal).ToArray();
        Assert.True(files.Length >= 3, $"{files.Length} files");
        foreach (var file in files[..^1])
        {
            var lines = File.ReadAllText(file);
            Assert.EndsWith("\n", lines);
            Assert.All(lines.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => JsonNode.Parse(line));
        }
        var window = PredictionLog.Read(Folder, null, null);
        var notes = string.Join("\n", window.Notes);
        Assert.DoesNotContain("not JSON", notes);
        if (!File.ReadAllText(files[^1]).EndsWith('\n') && File.ReadAllText(files[^1]).Length > 0)
        {
            Assert.Contains($"cut last line was skipped (a crash while writing): {Path.GetFileName(files[^1])}:", notes);
        }
        var logged = window.Predictions.Where(p => p.Row == 1).Select(p => p.RequestId).ToHashSet();
        // Answered more than the flush interval (and half a second of scheduling on a busy machine) before the kill: on disk.
        var due = answered.Where(a => a.At < killedAt - TimeSpan.FromSeconds(1.5)).ToList();
        Assert.True(due.Count > 10, $"{due.Count} requests");
        Assert.All(due, a => Assert.Contains(a.Id, logged));
        Assert.Contains(answered[^1].Id, logged);
    }

    [Fact]
    public void Mlops_serve_refuses_a_log_sample_or_flush_interval_that_is_not_one_with_a_message()
    {
        foreach (var (option, value, says) in new[] { ("--log-sample", "0", "not a share"), ("--log-sample", "1.5", "not a share"), ("--log-sample", "abc", "not a share"), ("--log-flush-interval", "0", "more than zero"), ("--log-flush-interval", "soon", "not a duration") })
        {
            var (code, output, error) = Programs.Run(Programs.Mlops, ["serve", bundle.Folder, "--port", "0", "--log-predictions", Folder, option, value]);
            Assert.True(code == 1, $"{option} {value}: exit {code}\n{error}");
            Assert.Contains(says, error);
            Assert.DoesNotContain("   at ", output + error);
        }
        Assert.False(Directory.Exists(Folder));
    }
}
