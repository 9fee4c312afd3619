using System.Runtime.CompilerServices;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Display;

/// <summary>
/// A page or a notebook that shows charts, and so loads plotly.js once. Each chart's HTML carries a small loader: the
/// first chart that runs on the page loads plotly.js (a reference), later charts wait for it. An embedded copy is
/// written once, with the page's first chart (or in its head), since it weighs 3.6 MB.
/// </summary>
public sealed class ChartPage(PlotlyJs plotlyJs)
{
    private static readonly ConditionalWeakTable<MlopsSession, ChartPage> Notebooks = new();
    private int _copyWritten;

    public PlotlyJs PlotlyJs { get; } = plotlyJs;

    /// <summary>
    /// The notebook a session shows its charts in: the runner gives each notebook a session of its own, and the kernel's
    /// notebook is its process's session. Its plotly.js is <see cref="PlotlyJs.Current"/> when its first chart is shown.
    /// </summary>
    public static ChartPage Of(MlopsSession session) => Notebooks.GetValue(session, _ => new ChartPage(PlotlyJs.Current));

    /// <summary>
    /// The script element that gives the page plotly.js, for the head of a page of our own: a reference, or the copy
    /// (after which the page's charts carry none).
    /// </summary>
    public string HeadScript() => PlotlyJs.Url is { } url
        ? $"<script src=\"{url}\" charset=\"utf-8\"></script>"
        : TakeCopy() ?? "";

    /// <summary>The page's copy of plotly.js as a script element the first time it is asked for, then null.</summary>
    internal string? TakeCopy() =>
        PlotlyJs.Script is { } script && Interlocked.Exchange(ref _copyWritten, 1) == 0
            ? "<script type=\"text/javascript\">" + EmbeddedCopy(script) + "</script>"
            : null;

    /// <summary>
    /// The copy runs with AMD's names hidden, so it sets window.Plotly also where require.js is on the page (classic
    /// Notebook, nbconvert's HTML), where it would otherwise define a module no chart asks for; then the charts that
    /// were shown before it draw.
    /// </summary>
    private static string EmbeddedCopy(string script) =>
        "(function (define, module, exports) {\n" + script + "\n})();\n"
        + "(function (page) { if (page) { page.waiting.splice(0).forEach(function (chart) { chart.draw(window.Plotly); }); } })(window.mlopsPlotly);\n";

    /// <summary>
    /// The JavaScript that draws a chart once plotly.js is there: <c>draw</c> is called with plotly.js. Where require.js
    /// is on the page, plotly.js is asked of it in a context of our own (as Plotly.NET does), since it would register as
    /// an AMD module there and set no window.Plotly; elsewhere a script element is added once per page. A load that
    /// fails says so in the chart's place instead of leaving it blank.
    /// </summary>
    internal string Loader(string chartId, string draw)
    {
        var url = PlotlyJs.Url;
        // require.js adds ".js" to a path unless it has a query; ours are full file names.
        var amdPath = url is null ? null : url.EndsWith(".js", StringComparison.Ordinal) ? url[..^3] : url.Contains('?') ? url : url + "?";
        return "(function (url, amdPath, chartId, draw) {\n"
            + "        var page = window.mlopsPlotly = window.mlopsPlotly || { waiting: [], loading: false };\n"
            + "        var fail = function () { var place = document.getElementById(chartId); if (place) { place.textContent = 'plotly.js could not be loaded from ' + url + '.'; } };\n"
            + "        if (window.Plotly) { draw(window.Plotly); return; }\n"
            + "        if (url && typeof window.requirejs === 'function' && typeof window.requirejs.config === 'function') {\n"
            + "            window.requirejs.config({ context: 'mlops-plotly', paths: { plotly: amdPath } })(['plotly'], draw, fail);\n"
            + "            return;\n"
            + "        }\n"
            + "        page.waiting.push({ draw: draw, fail: fail });\n"
            + "        if (!url || page.loading) { return; }\n"
            + "        page.loading = true;\n"
            + "        var script = document.createElement('script');\n"
            + "        script.src = url;\n"
            + "        script.charset = 'utf-8';\n"
            + "        script.onload = function () { page.waiting.splice(0).forEach(function (chart) { if (window.Plotly) { chart.draw(window.Plotly); } else { chart.fail(); } }); };\n"
            + "        script.onerror = function () { page.loading = false; page.waiting.splice(0).forEach(function (chart) { chart.fail(); }); };\n"
            + "        document.head.appendChild(script);\n"
            + $"    }})({Js(url)}, {Js(amdPath)}, {Js(chartId)}, {draw});\n";
    }

    // Strings the page's own code holds (a URL checked by PlotlyJs.Parse, a generated id), as JavaScript literals.
    private static string Js(string? value) => value is null ? "null" : RunCharts.ScriptJson(System.Text.Json.Nodes.JsonValue.Create(value));
}
