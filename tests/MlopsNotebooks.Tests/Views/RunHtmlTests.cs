using System.Xml.Linq;
using Microsoft.DotNet.Interactive.Formatting;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;
using MlopsNotebooks.Display;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.Tests.Views;

public sealed class RunHtmlTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly TrackingClient _client;
    private readonly Run _a;
    private readonly Run _b;

    public RunHtmlTests()
    {
        MlopsFormatters.Register();
        _client = new TrackingClient(_dir.File("mlops.db"));
        var a = _client.CreateRun("views", "fast<tree>");
        _client.LogBatch(a.RunId, [new Metric("auc", 0.91, 3, 1)], [new Param("trainer", "<script>alert('x')</script>"), new Param("seed", "1")]);
        var b = _client.CreateRun("views", "sdca & co");
        _client.LogBatch(b.RunId, [new Metric("auc", 0.84, 3, 1), new Metric("f1", 0.6, 3, 1)], [new Param("trainer", "Sdca"), new Param("seed", "1")]);
        (_a, _b) = (_client.GetRun(a.RunId), _client.GetRun(b.RunId));
    }

    public void Dispose()
    {
        _client.Dispose();
        _dir.Dispose();
    }

    private static XElement Parse(string html) => XElement.Parse($"<root>{html}</root>");

    private static List<List<string>> Rows(XElement root, int table = 0) =>
        root.Descendants("table").ElementAt(table).Descendants("tr").Select(tr => tr.Elements().Select(td => td.Value).ToList()).ToList();

    [Fact]
    public void A_run_renders_as_well_formed_tables_with_every_value_encoded()
    {
        var html = RunHtml.Run(_a);
        var root = Parse(html);
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("&lt;script&gt;", html);
        Assert.Equal("Run fast<tree> " + _a.RunId, root.Descendants("h4").Single().Value);
        var parameters = Rows(root, table: 1);
        Assert.Equal(["seed", "1"], parameters[1]);
        Assert.Equal(["trainer", "<script>alert('x')</script>"], parameters[2]);
        Assert.Equal(["auc", "0.91", "3"], Rows(root, table: 2)[1]);
    }

    [Fact]
    public void A_run_list_has_a_row_per_run_and_a_column_per_metric()
    {
        var runs = _client.SearchRuns(["views"], orderBy: "attributes.run_name");
        var rows = Rows(Parse(RunHtml.RunList(runs)));
        Assert.Equal(["run id", "name", "status", "started", "duration", "metrics.auc", "metrics.f1"], rows[0]);
        Assert.Equal(("fast<tree>", "0.91", ""), (rows[1][1], rows[1][5], rows[1][6]));
        Assert.Equal(("sdca & co", "0.84", "0.6"), (rows[2][1], rows[2][5], rows[2][6]));
        Assert.Equal("No runs.", Parse(RunHtml.RunList(new RunList([]))).Value);
    }

    [Fact]
    public void A_comparison_puts_runs_side_by_side_with_only_the_params_that_differ()
    {
        var rows = Rows(Parse(RunHtml.Comparison(_client.CompareRuns([_a.RunId, _b.RunId]))));
        Assert.Equal(["params.trainer", "<script>alert('x')</script>", "Sdca"], rows.Single(r => r[0].StartsWith("params.", StringComparison.Ordinal)));
        Assert.Equal(["metrics.f1", "-", "0.6"], rows.Single(r => r[0] == "metrics.f1"));
    }

    [Fact]
    public void Values_render_the_same_through_the_formatters_as_from_the_views()
    {
        var runs = _client.SearchRuns(["views"]);
        Assert.Equal(RunHtml.Run(_a), _a.ToDisplayString(HtmlFormatter.MimeType));
        Assert.Equal(RunHtml.RunList(runs), runs.ToDisplayString(HtmlFormatter.MimeType));
        Assert.Equal(RunText.RunList(runs), runs.ToDisplayString(PlainTextFormatter.MimeType));
        var version = new DataVersion("data/a.csv", ContentHash.Of("a"u8), 1, 1, false);
        Assert.Equal(RunHtml.DataVersion(version), version.ToDisplayString(HtmlFormatter.MimeType));
        Parse(RunHtml.DataVersion(version));
    }
}
