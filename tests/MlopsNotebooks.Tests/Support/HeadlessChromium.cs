using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace MlopsNotebooks.Tests.Support;

/// <summary>
/// Debian's Chromium, headless (installed by test.sh): opens a page as a browser does, runs its scripts, and gives back
/// the DOM they left and what they wrote to the console. Offline: background networking is off and the tests give
/// plotly.js and require.js from tests/tools. A test that needs it fails when it is missing; it never skips.
/// </summary>
public static class HeadlessChromium
{
    private const string Program = "/usr/bin/chromium";

    /// <summary>The npm copies the tests give pages instead of a CDN.</summary>
    public static string PlotlyJsFile { get; } = Tool("plotly.js-dist-min", "plotly.min.js");

    public static string RequireJsFile { get; } = Tool("requirejs", "require.js");

    private static string Tool(string package, string file) => Path.Combine(Programs.RepositoryRoot, "tests", "tools", "node_modules", package, file);

    private static string[] Flags(string profile) =>
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--allow-file-access-from-files",
        "--enable-logging=stderr", "--v=0", "--virtual-time-budget=20000", $"--user-data-dir={profile}",
    ];

    /// <summary>The DOM once the page's scripts ran, and the page's console messages.</summary>
    public static (IDocument Dom, IReadOnlyList<string> Console) Open(string page)
    {
        using var profile = new TempDirectory();
        var (code, dom, error) = Programs.RunTool(Program, [.. Flags(profile.Path), "--dump-dom", new Uri(page).AbsoluteUri], timeoutSeconds: 120);
        Assert.True(code == 0, $"chromium exited {code}: {error}");
        var console = error.Split('\n').Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal)).ToList();
        return (new HtmlParser().ParseDocument(dom), console);
    }

    /// <summary>The page as a PNG, to look at.</summary>
    public static void Screenshot(string page, string png, int width = 1000, int height = 2400)
    {
        using var profile = new TempDirectory();
        var (code, _, error) = Programs.RunTool(Program, [.. Flags(profile.Path), $"--window-size={width},{height}", $"--screenshot={png}", new Uri(page).AbsoluteUri]);
        Assert.True(code == 0 && File.Exists(png), $"chromium exited {code}: {error}");
    }

    /// <summary>
    /// Each of the page's <paramref name="charts"/> charts drew: plotly.js made its graph (an svg.main-svg) with traces in
    /// it. A page whose charts call plotly.js that never loaded ("Plotly is not defined") has none.
    /// </summary>
    public static void AssertChartsDrew(string page, int charts)
    {
        var (dom, console) = Open(page);
        var errors = console.Where(l => l.Contains("Uncaught", StringComparison.Ordinal) || l.Contains("could not be loaded", StringComparison.Ordinal)).ToList();
        var graphs = dom.QuerySelectorAll(".js-plotly-plot").ToList();
        var why = $"{page}: console:\n{string.Join('\n', errors.DefaultIfEmpty("(no error)"))}";
        Assert.True(graphs.Count == charts, $"{graphs.Count} of {charts} charts drew. {why}");
        foreach (var graph in graphs)
        {
            Assert.True(graph.QuerySelector("svg.main-svg") is not null, $"chart {graph.Id} has no plotly graph. {why}");
            Assert.True(graph.QuerySelectorAll(".trace, .parcoords").Length > 0, $"chart {graph.Id} has no traces. {why}");
        }
        Assert.Empty(errors);
    }
}
