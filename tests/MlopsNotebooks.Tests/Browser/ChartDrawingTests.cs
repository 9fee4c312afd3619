using System.Text.Json.Nodes;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Browser;

/// <summary>
/// Charts looked at as a person looks at them: the page opened in headless Chromium, its scripts run, and each chart
/// must have drawn. Parsing the HTML cannot tell a chart that draws from one that calls a plotly.js nothing loaded.
/// </summary>
public sealed class ChartDrawingTests : IDisposable
{
    // tests/notebooks/charts.ipynb shows a history, a bar and a parallel-coordinates chart.
    private const int NotebookCharts = 3;

    private readonly GitRepository _repo = new();

    public void Dispose() => _repo.Dispose();

    private static string PlotlyJsUrl => new Uri(HeadlessChromium.PlotlyJsFile).AbsoluteUri;

    // The variable that chooses plotly.js where no --plotly-js does.
    private const string Variable = "MLOPS_PLOTLY_JS";

    // The first line of a copy of plotly.js, of the version Plotly.NET's charts are written for.
    private static string PlotlyJsHeader => $"* plotly.js v{(global::Globals.PLOTLYJS_VERSION)}";

    private (int Code, string Out, string Err) Mlops(string[] args, string? plotlyJsVariable = null) =>
        Programs.Run(Programs.Mlops, args, _repo.Root, new Dictionary<string, string?>
        {
            ["MLOPS_TRACKING_URI"] = _repo.PathOf("mlops.db"),
            [Variable] = plotlyJsVariable,
        }, timeoutSeconds: 300);

    /// <summary>Runs the chart notebook through the runner and returns the executed notebook's path.</summary>
    private string RunChartNotebook(string[] options, string? plotlyJsVariable = null)
    {
        var notebook = _repo.Write("charts.ipynb", File.ReadAllText(Path.Combine(Programs.RepositoryRoot, "tests", "notebooks", "charts.ipynb")));
        var output = _repo.PathOf("out/charts.ipynb");
        var (code, stdout, stderr) = Mlops(["notebook", "run", notebook, "--output", output, .. options], plotlyJsVariable);
        Assert.True(code == 0, stdout + stderr);
        return output;
    }

    /// <summary>
    /// The executed notebook as Jupyter exports it (<c>jupyter nbconvert --to html</c>, Debian's), whose page loads
    /// require.js as the classic Notebook does; given from tests/tools, since the page may not reach a CDN here.
    /// </summary>
    internal static string Export(string notebook)
    {
        var (code, _, error) = Programs.RunTool("/usr/bin/jupyter",
            ["nbconvert", "--to", "html", notebook, $"--HTMLExporter.require_js_url={new Uri(HeadlessChromium.RequireJsFile).AbsoluteUri}"]);
        var html = Path.ChangeExtension(notebook, ".html");
        Assert.True(code == 0 && File.Exists(html), $"nbconvert failed: {error}");
        return html;
    }

    /// <summary>The notebook's HTML outputs one after another on a page with no require.js, as JupyterLab and VS Code show them.</summary>
    internal static string OutputsPage(string notebook)
    {
        var outputs = JsonNode.Parse(File.ReadAllText(notebook))!["cells"]!.AsArray()
            .SelectMany(c => c!["outputs"]?.AsArray() ?? [])
            .Select(o => o!["data"]?["text/html"])
            .Where(h => h is not null)
            .Select(h => h is JsonArray lines ? string.Concat(lines.Select(l => (string)l!)) : (string)h!);
        var page = Path.ChangeExtension(notebook, ".outputs.html");
        File.WriteAllText(page, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n" + string.Join("\n", outputs) + "\n</body></html>\n");
        return page;
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    [Fact]
    public void Charts_of_a_notebook_run_with_plotly_js_embedded_draw_in_its_html_export_and_its_outputs_and_carry_one_copy()
    {
        var notebook = RunChartNotebook([], plotlyJsVariable: HeadlessChromium.PlotlyJsFile);

        Assert.Equal(1, Count(File.ReadAllText(notebook), PlotlyJsHeader));
        HeadlessChromium.AssertChartsDrew(Export(notebook), NotebookCharts);
        HeadlessChromium.AssertChartsDrew(OutputsPage(notebook), NotebookCharts);
    }

    [Fact]
    public void Charts_of_a_notebook_run_with_a_plotly_js_url_draw_in_its_html_export_and_its_outputs()
    {
        var notebook = RunChartNotebook(["--plotly-js", PlotlyJsUrl]);

        Assert.Equal(0, Count(File.ReadAllText(notebook), PlotlyJsHeader));
        HeadlessChromium.AssertChartsDrew(Export(notebook), NotebookCharts);
        HeadlessChromium.AssertChartsDrew(OutputsPage(notebook), NotebookCharts);
    }

    public static TheoryData<string> OfflineChoices => new() { "embed", "{npm copy}", "{npm url}" };

    [Theory]
    [MemberData(nameof(OfflineChoices))]
    public void The_html_report_of_validate_draws_its_charts_offline(string choice)
    {
        var plotlyJs = choice.Replace("{npm copy}", HeadlessChromium.PlotlyJsFile, StringComparison.Ordinal).Replace("{npm url}", PlotlyJsUrl, StringComparison.Ordinal);
        _repo.Write("notebooks/charts.ipynb", File.ReadAllText(Path.Combine(Programs.RepositoryRoot, "tests", "notebooks", "charts.ipynb")));

        var (code, stdout, stderr) = Mlops(["validate", "--notebooks", "notebooks/charts.ipynb", "--report", "report/report.json", "--plotly-js", plotlyJs]);

        Assert.True(code == 0, stdout + stderr);
        var report = _repo.PathOf("report/report.html");
        Assert.Equal(choice == "{npm url}" ? 0 : 1, Count(File.ReadAllText(report), PlotlyJsHeader));
        // The history of auc and the comparison of the two runs.
        HeadlessChromium.AssertChartsDrew(report, 2);
    }

    [Fact]
    public void The_html_report_of_validate_draws_its_charts_with_plotly_js_from_the_environment()
    {
        _repo.Write("notebooks/charts.ipynb", File.ReadAllText(Path.Combine(Programs.RepositoryRoot, "tests", "notebooks", "charts.ipynb")));

        var (code, stdout, stderr) = Mlops(["validate", "--notebooks", "notebooks/charts.ipynb", "--report", "report/report.json"], plotlyJsVariable: PlotlyJsUrl);

        Assert.True(code == 0, stdout + stderr);
        HeadlessChromium.AssertChartsDrew(_repo.PathOf("report/report.html"), 2);
    }

    public static TheoryData<string, string> BadChoices => new()
    {
        { "{dir}/no-such.js", "plotly.js could not be read from" },
        { "{dir}", "plotly.js could not be read from" },
        { "{dir}/empty.js", "is empty, not plotly.js" },
        { "{dir}/hostile.js", "holds '</script'" },
        { "ftp://example.com/plotly.js", "is neither cdn, embed, a URL nor a file" },
        { "https://example.com/plotly.js?a=\"x\"", "is not a URL a page can load plotly.js from" },
        { "", "is neither cdn, embed, a URL nor a file" },
    };

    [Theory]
    [MemberData(nameof(BadChoices))]
    public void A_plotly_js_that_is_not_one_stops_the_run_before_any_cell_runs(string choice, string message)
    {
        File.WriteAllText(_repo.PathOf("empty.js"), "");
        File.WriteAllText(_repo.PathOf("hostile.js"), "var x = '</script><script>alert(1)</script>';");
        var value = choice.Replace("{dir}", _repo.Root, StringComparison.Ordinal);
        var notebook = _repo.Write("marks.dib", "#!csharp\n\nSystem.IO.File.WriteAllText(\"ran.txt\", \"yes\");\n");

        foreach (var (args, variable, what) in new[]
        {
            (new[] { "notebook", "run", notebook, "--output", _repo.PathOf("out.ipynb"), "--plotly-js", value }, (string?)null, "--plotly-js"),
            (["notebook", "run", notebook, "--output", _repo.PathOf("out.ipynb")], value, Variable),
        })
        {
            if (variable == "")
            {
                continue; // an empty variable is an unset one
            }
            var (code, stdout, stderr) = Mlops(args, variable);

            Assert.True(code == 1, $"exit {code}: {stdout}{stderr}");
            Assert.StartsWith($"error: {what}", stderr);
            Assert.Contains(message, stderr);
            Assert.DoesNotContain("   at ", stderr);
            Assert.False(File.Exists(_repo.PathOf("ran.txt")), "a cell ran");
            Assert.False(File.Exists(_repo.PathOf("out.ipynb")), "a notebook was written");
        }
    }
}
