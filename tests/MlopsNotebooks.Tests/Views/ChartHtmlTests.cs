using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AngleSharp.Html.Parser;
using Microsoft.DotNet.Interactive.Formatting;
using MlopsNotebooks.GitHub.Reporting;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Validation;
using MlopsNotebooks.Display;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.Tests.Views;

/// <summary>
/// Names from runs are data in every chart's HTML: parsed as a browser parses it (AngleSharp follows the HTML standard's
/// tokenizer, script data states included), the page has exactly the script elements we wrote, and the names come back
/// whole from the JSON in them.
/// </summary>
public sealed partial class ChartHtmlTests : IDisposable
{
    public static readonly TheoryData<string> HostileNames = new()
    {
        "</script><script>alert(1)</script>",
        "</SCRIPT ><img src=x onerror=alert(1)>",
        "<!--<script>",
        "a\u2028b\u2029c",
        "&lt;/script&gt; & \"quotes\" 'single'",
        "]]></div><script src=//evil.example/x.js></script>",
    };

    private readonly TempDirectory _dir = new();
    private readonly TrackingClient _client;

    public ChartHtmlTests()
    {
        MlopsFormatters.Register();
        _client = new TrackingClient(_dir.File("mlops.db"));
    }

    public void Dispose()
    {
        _client.Dispose();
        _dir.Dispose();
    }

    [GeneratedRegex(@"var data = (.*);\n")]
    private static partial Regex DataLine();

    // The inline scripts of the page, and the trace names read back from the data JSON in each, as plotly.js shows them
    // (it decodes the entities that RunCharts.Label writes).
    private static (int Scripts, int External, List<string> Names) Read(string html)
    {
        var document = new HtmlParser().ParseDocument(html);
        var scripts = document.QuerySelectorAll("script").ToList();
        var names = new List<string>();
        foreach (var script in scripts.Where(s => s.GetAttribute("src") is null))
        {
            var match = DataLine().Match(script.TextContent);
            Assert.True(match.Success, script.TextContent);
            names.AddRange(JsonNode.Parse(match.Groups[1].Value)!.AsArray().Select(t => Shown((string?)t!["name"] ?? "")));
        }
        Assert.Empty(document.QuerySelectorAll("img, iframe, object"));
        return (scripts.Count, scripts.Count(s => s.GetAttribute("src") is not null), names);
    }

    private static void Expect(string html, int scripts, int external, string[] names)
    {
        var read = Read(html);
        Assert.Equal((scripts, external), (read.Scripts, read.External));
        Assert.Equal(names, read.Names);
    }

    private (Run Hostile, Run Plain) Runs(string name)
    {
        var a = _client.CreateRun("charts", name);
        _client.LogBatch(a.RunId, [new Metric("auc", 0.7, 1, 1), new Metric("auc", 0.8, 2, 2)], [new Param("trainer", name)]);
        var b = _client.CreateRun("charts", "plain");
        _client.LogBatch(b.RunId, [new Metric("auc", 0.75, 1, 1), new Metric("auc", 0.78, 2, 2)], [new Param("trainer", "Sdca")]);
        return (_client.GetRun(a.RunId), _client.GetRun(b.RunId));
    }

    [Theory]
    [MemberData(nameof(HostileNames))]
    public void A_hostile_run_name_stays_data_in_the_chart_fragment_the_page_and_the_notebook_output(string name)
    {
        var (hostile, plain) = Runs(name);
        var history = _client.MetricHistoryChart("auc", [hostile.RunId, plain.RunId]);
        foreach (var html in new[] { RunCharts.ToHtmlFragment(history), history.ToDisplayString(HtmlFormatter.MimeType) })
        {
            Expect(html, 1, 0, [name, "plain"]);
        }
        Expect(RunCharts.ToHtml(history), 2, 1, [name, "plain"]);
        Expect(RunCharts.ToHtmlFragment(RunCharts.Comparison(RunComparison.Of([hostile, plain]))), 1, 0, [name, "plain"]);
        // Parallel coordinates carry the name as a category of the trainer param.
        var parallel = RunCharts.ToHtmlFragment(RunCharts.ParallelCoordinates([hostile, plain], "auc"));
        Assert.Equal(1, Read(parallel).Scripts);
        var ticks = JsonNode.Parse(DataLine().Match(new HtmlParser().ParseDocument(parallel).QuerySelector("script")!.TextContent).Groups[1].Value)!;
        Assert.Contains(name, ticks[0]!["dimensions"]![0]!["ticktext"]!.AsArray().Select(t => Shown((string)t!)));
    }

    // What plotly.js shows for a label: text with no markup of its own, entities decoded.
    private static string Shown(string label)
    {
        Assert.DoesNotContain('<', label);
        Assert.DoesNotContain('>', label);
        return System.Net.WebUtility.HtmlDecode(label);
    }

    [Fact]
    public void Names_and_values_with_plotlys_own_markup_are_labels_as_written_not_bold_text_or_links()
    {
        var (hostile, plain) = Runs("<a href=\"https://evil.example\">click</a> &amp; <b>bold</b>");
        foreach (var chart in new[] { _client.MetricHistoryChart("auc", [hostile.RunId, plain.RunId]), RunCharts.Comparison(RunComparison.Of([hostile, plain])) })
        {
            var name = (string)JsonNode.Parse(RunCharts.ToJson(chart))!["data"]![0]!["name"]!;
            Assert.Equal("&lt;a href=\"https://evil.example\"&gt;click&lt;/a&gt; &amp;amp; &lt;b&gt;bold&lt;/b&gt;", name);
        }
        var ticks = JsonNode.Parse(RunCharts.ToJson(RunCharts.ParallelCoordinates([hostile, plain], "auc")))!["data"]![0]!["dimensions"]![0]!["ticktext"]!;
        Assert.Contains("&lt;a href=\"https://evil.example\"&gt;click&lt;/a&gt; &amp;amp; &lt;b&gt;bold&lt;/b&gt;", ticks.AsArray().Select(t => (string)t!));
    }

    [Theory]
    [MemberData(nameof(HostileNames))]
    public void A_hostile_run_name_stays_data_in_the_html_report(string name)
    {
        var (hostile, plain) = Runs(name);
        var report = new ValidationReport { Runs = [.. new[] { hostile, plain }.Select(r => ReportedRun.Of(r, key => _client.GetMetricHistory(r.RunId, key)))] };
        // One history chart for auc, one comparison chart, and plotly.js itself.
        Expect(ReportHtml.Build(report), 3, 1, [name, "plain", name, "plain"]);
    }

    [Fact]
    public void Script_json_escapes_what_could_end_a_script_and_decodes_to_the_same_value()
    {
        var value = new JsonObject { ["s"] = "</script>&<!--\u2028\u2029é" };
        var json = RunCharts.ScriptJson(value);
        Assert.Equal("{\"s\":\"\\u003c/script\\u003e\\u0026\\u003c!--\\u2028\\u2029é\"}", json);
        Assert.Equal("</script>&<!--\u2028\u2029é", (string)JsonNode.Parse(json)!["s"]!);
    }
}
