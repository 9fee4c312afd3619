using System.Text.Json.Nodes;
using AngleSharp.Html.Parser;
using Markdig;
using Markdig.Extensions.Tables;
using Markdig.Syntax;
using MlopsNotebooks.Display;
using MlopsNotebooks.GitHub.Monitoring;
using MlopsNotebooks.Monitoring;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.Tests.Monitoring;

/// <summary>
/// The drift report's views (JSON, text, Markdown, HTML) over reports built here: every field where a machine reads it,
/// and column names and categories that are someone else's input, which break no table, chart, code block or page.
/// </summary>
public sealed class DriftViewTests
{
    public static readonly TheoryData<string> HostileNames = new()
    {
        "a|b`c<d>e\nf",
        "x --> y ``` z",
        "</script><script>alert(1)</script>",
        "\"quoted\" ]; bar [9 @someone #1",
        "<!-- -->end",
    };

    internal static ColumnDrift Drift(string name, string test, double statistic, double? p, bool drifted, string[]? labels = null) => new()
    {
        Column = name,
        Kind = DriftTests.IsPValueTest(test) && test != DriftTests.KolmogorovSmirnov ? ColumnKind.Categorical : ColumnKind.Numerical,
        Test = test,
        Statistic = statistic,
        PValue = p,
        Threshold = DriftTests.DefaultThreshold(test),
        Drifted = drifted,
        Convention = $"{test} as SciPy computes it",
        ReferenceCount = 1000,
        CurrentCount = 900,
        CurrentMissing = 3,
        Distribution = labels is null ? null : new DistributionPair(labels, labels.Select((_, i) => 1.0 / labels.Length).ToArray(), labels.Select((_, i) => i == 0 ? 1.0 : 0.0).ToArray()),
    };

    internal static DriftReport Report(string name) => new()
    {
        Model = "churn",
        Version = 3,
        Mode = DriftMode.Exact,
        Created = new DateTimeOffset(2026, 5, 2, 0, 0, 0, TimeSpan.Zero),
        WindowStart = new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero),
        WindowEnd = new DateTimeOffset(2026, 5, 2, 0, 0, 0, TimeSpan.Zero),
        ReferenceRows = 1000,
        CurrentRows = 900,
        DriftShare = 0.5,
        Columns =
        [
            Drift(name, DriftTests.ChiSquare, 41.5, 1e-9, drifted: true, labels: [name, "b<i>", "c"]),
            Drift("tenure", DriftTests.KolmogorovSmirnov, 0.04, 0.31, drifted: false, labels: ["0-10", "10-20"]),
            Drift("calls", DriftTests.Wasserstein, 0.25, null, drifted: true),
            new ColumnDrift { Column = "empty", Kind = ColumnKind.Numerical, Threshold = 0.05, Note = "all values missing in the window" },
        ],
        Prediction = Drift("prediction", DriftTests.JensenShannon, 0.02, null, drifted: false, labels: ["yes", "no"]),
        Metric = new MetricCheck { Metric = "auc", Registered = 0.9, Recent = 0.85, LabelledRows = 120, Tolerance = 0.02, Degraded = true },
        Service = new ServiceHealth { Source = "prometheus", Requests = 5000, ErrorRate = 0.002, LatencyP99Seconds = 0.12, MaxErrorRate = 0.01, MaxLatencyP99Seconds = 0.5 },
        Notes = [$"3 log lines were cut mid-line; the column {name} has categories never seen in training"],
    };

    [Fact]
    public void The_json_view_gives_every_column_field_the_verdicts_and_a_format_version()
    {
        var json = JsonNode.Parse(RunJson.Write(DriftJson.Report(Report("plan"))))!;

        Assert.Equal(DriftJson.Format, (int)json["format"]!);
        Assert.False((bool)json["healthy"]!);
        Assert.True((bool)json["dataset_drifted"]!);
        Assert.Equal(2, (int)json["drifted_columns"]!);
        Assert.Equal(3, (int)json["compared_columns"]!);
        Assert.Equal(0.5, (double)json["drift_share"]!);
        var plan = json["columns"]![0]!;
        Assert.Equal(
            ["column", "kind", "test", "statistic", "p_value", "threshold", "drifted", "convention", "error_bound", "counts", "note"],
            plan.AsObject().Select(p => p.Key));
        Assert.Equal("categorical", (string)plan["kind"]!);
        Assert.Equal("chisquare", (string)plan["test"]!);
        Assert.Equal(1e-9, (double)plan["p_value"]!);
        Assert.Equal(900, (long)plan["counts"]!["current"]!);
        Assert.Null(json["columns"]![2]!["p_value"]);
        Assert.Null(json["columns"]![3]!["test"]);
        Assert.Equal("jensenshannon", (string)json["prediction"]!["test"]!);
        Assert.True((bool)json["metric"]!["degraded"]!);
        Assert.Equal(0.12, (double)json["service"]!["latency_p99_seconds"]!);
        Assert.Equal("2026-05-01T00:00:00.0000000Z", (string)json["window_start"]!);
        Assert.Single(json["notes"]!.AsArray());
    }

    [Fact]
    public void The_text_view_has_one_row_per_column_and_the_prediction_and_says_why_the_model_is_not_healthy()
    {
        var text = DriftText.Report(Report("plan"));
        var lines = text.Split('\n');

        Assert.StartsWith("churn v3: NOT healthy (data drift: 2 of 3 columns drifted", lines[0]);
        Assert.Contains("auc degraded", lines[0]);
        var header = lines.Single(l => l.StartsWith("COLUMN", StringComparison.Ordinal));
        var rows = lines.SkipWhile(l => l != header).Skip(1).TakeWhile(l => l.Length > 0).ToList();
        Assert.Equal(["plan", "tenure", "calls", "empty", "prediction"], rows.Select(r => r.Split(' ')[0]));
        Assert.Contains("all values missing in the window", rows[3]);
        Assert.Contains("Service (from prometheus): error rate 0.2%", text);
    }

    [Theory]
    [MemberData(nameof(HostileNames))]
    public void A_hostile_column_name_breaks_neither_the_markdown_table_nor_the_mermaid_chart(string name)
    {
        var markdown = DriftMarkdown.Build(Report(name));
        var document = Markdown.Parse(markdown, MarkdownCheck.Pipeline);

        var table = Assert.Single(document.Descendants<Table>());
        Assert.Equal(6, table.Count); // the header and five rows
        Assert.All(table.OfType<TableRow>(), row => Assert.Equal(8, row.Count));
        Assert.Empty(document.Descendants<HtmlBlock>());
        Assert.Empty(document.Descendants<Markdig.Syntax.Inlines.HtmlInline>());
        var chart = Assert.Single(document.Descendants<FencedCodeBlock>());
        Assert.Equal("mermaid", chart.Info);
        var lines = chart.Lines.ToString().Split('\n');
        Assert.Equal("xychart-beta", lines[0]);
        var axis = lines.Single(l => l.TrimStart().StartsWith("x-axis", StringComparison.Ordinal));
        Assert.Equal(4, axis.Count(c => c == ',') + 1); // four compared rows: three columns and the prediction
        Assert.Equal(8, axis.Count(c => c == '"'));
        Assert.DoesNotContain("-->", axis);
        Assert.Single(lines, l => l.Contains("-->", StringComparison.Ordinal)); // the y-axis range only
        Assert.Equal("    bar [10, 2.5, 0.2, 0.1613]", lines.Single(l => l.TrimStart().StartsWith("bar", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_markdown_scores_put_p_values_and_distances_on_one_scale_where_one_is_the_threshold()
    {
        Assert.Equal(2.5, DriftText.Score(Drift("d", DriftTests.Wasserstein, 0.25, null, true)));
        Assert.Equal(0.5, DriftText.Score(Drift("p", DriftTests.KolmogorovSmirnov, 0.1, 0.1, false)));
        Assert.Equal(DriftText.MaxScore, DriftText.Score(Drift("zero", DriftTests.ZTest, 9, 0, true)));
        Assert.Null(DriftText.Score(new ColumnDrift { Column = "none", Threshold = 0.05 }));
    }

    [Theory]
    [MemberData(nameof(HostileNames))]
    public void A_hostile_column_name_in_the_html_view_is_text_and_the_page_holds_only_our_scripts(string name)
    {
        var html = DriftHtml.Page(Report(name), PlotlyJs.Parse(HeadlessChromium.PlotlyJsFile, "test"));
        var document = new HtmlParser().ParseDocument(html);

        // plotly.js, then the summary chart and the three distributions.
        Assert.Equal(5, document.QuerySelectorAll("script").Length);
        Assert.Empty(document.QuerySelectorAll("img, iframe"));
        var cells = document.QuerySelectorAll("td").Select(td => td.TextContent).ToList();
        Assert.Contains(name, cells);
        Assert.Contains(document.QuerySelectorAll("li"), li => li.TextContent.Contains(name, StringComparison.Ordinal));
    }

    [Fact]
    public void The_html_report_opens_in_chromium_with_the_summary_and_every_distribution_drawn()
    {
        using var dir = new TempDirectory();
        var page = dir.File("drift.html");
        File.WriteAllText(page, DriftHtml.Page(Report("</script>plan"), PlotlyJs.Parse(HeadlessChromium.PlotlyJsFile, "test")));

        HeadlessChromium.AssertChartsDrew(page, 4);
    }

    [Fact]
    public void A_drift_report_evaluated_in_a_notebook_renders_as_the_html_view_and_as_the_text_view()
    {
        MlopsFormatters.Register();
        var report = Report("plan");

        var html = Microsoft.DotNet.Interactive.Formatting.Formatter.ToDisplayString(report, "text/html");
        var text = Microsoft.DotNet.Interactive.Formatting.Formatter.ToDisplayString(report, "text/plain");

        Assert.StartsWith("<div class=\"mlops-drift\"><h4>churn v3: NOT healthy", html);
        Assert.Equal(4, new HtmlParser().ParseDocument(html).QuerySelectorAll("script").Count(s => s.TextContent.Contains("Plotly.newPlot", StringComparison.Ordinal)));
        Assert.Equal(DriftText.Report(report), text);
    }

    [Fact]
    public void A_report_with_nothing_compared_renders_in_every_view_without_a_chart()
    {
        var report = new DriftReport { Columns = [new ColumnDrift { Column = "a", Threshold = 0.1, Note = "empty window" }], Notes = ["The window holds no rows."] };

        Assert.Contains("No columns were compared", DriftText.Report(report with { Columns = [] }));
        Assert.DoesNotContain("```mermaid", DriftMarkdown.Build(report));
        Assert.DoesNotContain("Plotly.newPlot", DriftHtml.Page(report, PlotlyJs.Cdn));
        Assert.Equal("The data: healthy (no data drift: 0 of 0 columns drifted).", DriftText.Verdict(report));
        Assert.False((bool)DriftJson.Report(report)["dataset_drifted"]!);
    }
}
