using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MlopsNotebooks.Deployment;
using MlopsNotebooks.Tests.Serving;

namespace MlopsNotebooks.Tests.Deployment;

/// <summary>The canary judge over scrapes of a real model server, and over scrapes written out with known numbers.</summary>
public sealed class CanaryJudgeTests(RunningServer running) : IClassFixture<RunningServer>
{
    private static readonly CanaryPolicy Policy = new([10, 50], TimeSpan.FromMinutes(1), 0.01, TimeSpan.FromMilliseconds(500), 20);

    private async Task<PrometheusText> Scrape() => PrometheusText.Parse(await running.Http.GetStringAsync("/metrics"));

    [Fact]
    public async Task The_judge_counts_exactly_the_prediction_requests_a_real_server_answered_between_two_scrapes()
    {
        var before = await Scrape();
        var rows = ServedBundle.Rows(25, seed: 5);
        foreach (var row in rows)
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, (await ModelServerTests.Post(running.Http, "/predict", ModelServerTests.Row(row).ToJsonString())).Status);
        }
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await ModelServerTests.Post(running.Http, "/predict", "{}")).Status);
        }
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, (await ModelServerTests.Post(running.Http, "/v2/models/churn/infer", ModelServerTests.Infer(rows.Take(3).ToList()).ToJsonString())).Status);
        }
        Assert.Equal(System.Net.HttpStatusCode.OK, (await ModelServerTests.Post(running.Http, "/v2/models/churn/versions/1/infer", ModelServerTests.Infer(rows.Take(1).ToList()).ToJsonString())).Status);
        // Health checks and scrapes are no prediction traffic.
        await running.Http.GetStringAsync("/v2/health/ready");
        await Scrape();
        var after = await Scrape();

        var verdict = CanaryJudge.Judge(before, after, Policy);

        Assert.Equal((CanaryVerdictKind.Pass, 41L, 0L), (verdict.Kind, verdict.Requests, verdict.Errors));
        Assert.NotNull(verdict.P99);
        Assert.InRange(verdict.P99!.Value, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(3.3));
        Assert.Contains("over 41 requests", verdict.Reason);
    }

    /// <summary>A scrape as prometheus-net writes it: a requests counter and a latency histogram, for /predict and for a scrape route.</summary>
    private static string Exposition(IEnumerable<(string Route, string Status, double Count)> requests, IEnumerable<(string Route, string Le, double Count)> buckets)
    {
        var text = new StringBuilder();
        text.Append("# HELP mlops_server_requests_total Requests answered, by route, status and model version.\n# TYPE mlops_server_requests_total counter\n");
        foreach (var (route, status, count) in requests)
        {
            text.Append(CultureInfo.InvariantCulture, $"mlops_server_requests_total{{route=\"{route}\",status=\"{status}\",model_version=\"2\"}} {count}\n");
        }
        text.Append("# HELP mlops_server_request_duration_seconds Time to answer a request, by route.\n# TYPE mlops_server_request_duration_seconds histogram\n");
        foreach (var (route, le, count) in buckets)
        {
            text.Append(CultureInfo.InvariantCulture, $"mlops_server_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {count}\n");
        }
        return text.ToString();
    }

    private static IEnumerable<(string, string, double)> Buckets(string route, params (string Le, double Count)[] buckets) =>
        buckets.Select(b => (route, b.Le, b.Count));

    [Fact]
    public void The_p99_interpolates_linearly_inside_the_bucket_that_holds_the_rank_over_the_windows_increases()
    {
        // Before the step: 1000 requests already answered, all fast; /metrics scrapes count nowhere.
        var before = PrometheusText.Parse(Exposition(
            [("/predict", "200", 1000), ("/metrics", "200", 50)],
            [.. Buckets("/predict", ("0.1", 1000), ("0.2", 1000), ("0.4", 1000), ("0.8", 1000), ("+Inf", 1000)),
             .. Buckets("/metrics", ("0.1", 0), ("0.2", 0), ("0.4", 0), ("0.8", 0), ("+Inf", 50))]));
        // The step adds 60 /predict and 40 infer requests: cumulative 0, 80, 95, 100, 100 over both routes.
        var after = PrometheusText.Parse(Exposition(
            [("/predict", "200", 1060), ("/v2/models/{name}/infer", "200", 40), ("/metrics", "200", 5000)],
            [.. Buckets("/predict", ("0.1", 1000), ("0.2", 1050), ("0.4", 1058), ("0.8", 1060), ("+Inf", 1060)),
             .. Buckets("/v2/models/{name}/infer", ("0.1", 0), ("0.2", 30), ("0.4", 37), ("0.8", 40), ("+Inf", 40)),
             .. Buckets("/metrics", ("0.1", 0), ("0.2", 0), ("0.4", 0), ("0.8", 0), ("+Inf", 5000))]));

        var verdict = CanaryJudge.Judge(before, after, Policy);

        // rank 99 of 100 lies in (0.4, 0.8], which holds 5: 0.4 + 0.4 * (99 - 95) / 5 = 0.72 s.
        Assert.Equal(720, verdict.P99!.Value.TotalMilliseconds, precision: 6);
        Assert.Equal((CanaryVerdictKind.Fail, 100L), (verdict.Kind, verdict.Requests));
        Assert.Equal("p99 720 ms > 500 ms over 100 requests", verdict.Reason);
    }

    public static TheoryData<double[], double> QuantileCases() => new()
    {
        // Ranks in the first bucket start at 0; in +Inf, the highest finite bound is the answer; an empty histogram has none.
        { [10, 10, 10, 10], 0.099 },
        { [0, 0, 0, 100], 0.4 },
        { [0, 50, 100, 100], 0.2 + (0.2 * 49.0 / 50) },
        { [0, 0, 0, 0], double.NaN },
    };

    [Theory]
    [MemberData(nameof(QuantileCases))]
    public void The_quantile_is_what_prometheus_histogram_quantile_gives_for_the_same_buckets(double[] counts, double expected)
    {
        double[] bounds = [0.1, 0.2, 0.4, double.PositiveInfinity];
        Assert.Equal(expected, CanaryJudge.Quantile(0.99, bounds.Zip(counts).ToList()), precision: 9);
    }

    [Fact]
    public void A_restarted_server_counts_from_zero_as_prometheus_increase_does_instead_of_going_negative()
    {
        var before = PrometheusText.Parse(Exposition([("/predict", "200", 5000), ("/predict", "503", 7)],
            Buckets("/predict", ("0.1", 5000), ("0.2", 5007), ("+Inf", 5007))));
        var after = PrometheusText.Parse(Exposition([("/predict", "200", 30)],
            Buckets("/predict", ("0.1", 10), ("0.2", 30), ("+Inf", 30))));

        var verdict = CanaryJudge.Judge(before, after, Policy);

        Assert.Equal((CanaryVerdictKind.Pass, 30L, 0L), (verdict.Kind, verdict.Requests, verdict.Errors));
        Assert.Equal(0.1 + (0.1 * ((0.99 * 30) - 10) / 20), verdict.P99!.Value.TotalSeconds, precision: 6);
    }

    [Fact]
    public void Server_errors_over_the_limit_fail_the_step_while_refused_requests_are_no_errors_of_the_server()
    {
        var before = PrometheusText.Parse(Exposition([("/predict", "200", 100)], Buckets("/predict", ("0.1", 100), ("+Inf", 100))));
        var after = PrometheusText.Parse(Exposition([("/predict", "200", 280), ("/predict", "400", 17), ("/predict", "500", 3)],
            Buckets("/predict", ("0.1", 300), ("+Inf", 300))));

        var verdict = CanaryJudge.Judge(before, after, Policy);

        Assert.Equal((CanaryVerdictKind.Fail, 200L, 3L), (verdict.Kind, verdict.Requests, verdict.Errors));
        Assert.Equal("error rate 1.5% (3 of 200 requests) > 1.0%", verdict.Reason);
    }

    [Fact]
    public void A_step_with_fewer_requests_than_the_policy_needs_is_not_judged()
    {
        var before = PrometheusText.Parse(Exposition([("/predict", "200", 100)], []));
        var after = PrometheusText.Parse(Exposition([("/predict", "500", 19), ("/predict", "200", 100)], []));

        var verdict = CanaryJudge.Judge(before, after, Policy);

        Assert.Equal((CanaryVerdictKind.NotEnoughRequests, 19L, 19L, (TimeSpan?)null), (verdict.Kind, verdict.Requests, verdict.Errors, verdict.P99));
        Assert.Equal("19 requests, fewer than the 20 needed to judge", verdict.Reason);
    }

    [Fact]
    public void The_parser_reads_escaped_label_values_infinities_and_timestamps()
    {
        var text = PrometheusText.Parse("""
            # HELP odd A help text with "quotes" and \\ backslashes.
            # TYPE odd gauge
            # a free comment
            odd{path="C:\\dir",quote="say \"hi\"",line="a\nb",} +Inf 1712345678000
            odd{path=""} -Inf
            odd NaN
            plain 3.5e-3

            """.Replace("\r", ""));

        Assert.Equal(4, text.Samples.Count);
        var first = text.Samples[0];
        Assert.Equal(("C:\\dir", "say \"hi\"", "a\nb"), (first.Label("path"), first.Label("quote"), first.Label("line")));
        Assert.Equal(double.PositiveInfinity, first.Value);
        Assert.Equal(double.NegativeInfinity, text.Samples[1].Value);
        Assert.True(double.IsNaN(text.Samples[2].Value));
        Assert.Equal(0.0035, text.Named("plain").Single().Value);
    }

    [Theory]
    [InlineData("m{route=\"a} 1", 1, "no closing quote")]
    [InlineData("ok 1\nm 1 2 3", 2, "a value and at most a timestamp")]
    [InlineData("m abc", 1, "'abc' is not a number")]
    [InlineData("{a=\"b\"} 1", 1, "does not start with a metric name")]
    [InlineData("m{a=\"b\\q\"} 1", 1, "\\q is not an escape")]
    [InlineData("# TYPE m banana", 1, "# TYPE m needs one of")]
    [InlineData("m{a=b} 1", 1, "not in double quotes")]
    [InlineData("m{a=\"1\",a=\"2\"} 1", 1, "label a is given twice")]
    [InlineData("m{a=\"1\" 1", 1, "not closed")]
    [InlineData("m", 1, "needs a value")]
    [InlineData("<html><body>Not found</body></html>", 1, "metric name")]
    public void Malformed_metrics_text_is_a_clear_error_naming_the_line(string text, int line, string says)
    {
        var error = Assert.ThrowsAny<MlopsException>(() => PrometheusText.Parse(text));
        Assert.Contains($"at line {line}: ", error.Message);
        Assert.Contains(says, error.Message);
        Assert.Contains("/metrics", error.Hint);
    }

    /// <summary>Any text, in particular a real scrape cut or spliced anywhere, parses or is an MlopsException: never another exception.</summary>
    [Property(MaxTest = 500)]
    public Property Any_text_parses_or_is_an_mlops_exception()
    {
        const string scrape = "# TYPE m histogram\nm_bucket{route=\"/predict\",le=\"+Inf\"} 3\nm_sum{route=\"a\\\"b\"} 0.5 17\n";
        var pieces = Gen.Elements("m", "{", "}", "=", "\"", "\\", ",", " ", "\n", "#", "1", "+Inf", "NaN", "le", "TYPE", "HELP", "e", "-", ".", "\t", "\r", "é");
        var spliced = Gen.Choose(0, scrape.Length).SelectMany(cut => Gen.ListOf(pieces).Select(p => scrape[..cut] + string.Concat(p) + scrape[cut..]));
        return Prop.ForAll(spliced.ToArbitrary(), text =>
        {
            try
            {
                PrometheusText.Parse(text);
            }
            catch (MlopsException)
            {
            }
        });
    }
}
