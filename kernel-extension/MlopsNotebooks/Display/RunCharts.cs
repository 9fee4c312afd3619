using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Plotly.NET;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Display;

/// <summary>
/// Plotly.NET charts of runs: a metric's history across steps and runs, params against a metric in parallel
/// coordinates, and a comparison as grouped bars. They are Plotly.NET <see cref="GenericChart"/>s, built from trace
/// objects (the C# wrapper package served here targets .NET 10 only, and the kit loads in .NET 8 kernels).
/// </summary>
public static class RunCharts
{
    /// <summary>One line per run: the metric's value at each step.</summary>
    public static GenericChart MetricHistory(string key, IReadOnlyList<(Run Run, IReadOnlyList<Metric> Points)> series)
    {
        if (series.Count == 0)
        {
            throw new MlopsException($"No runs to chart '{key}' for.", "Name one or more runs.");
        }
        RequireLogged(series.Select(s => s.Run).ToList(), key);
        var traces = series.Select(s => Trace("scatter", new Dictionary<string, object>
        {
            ["x"] = s.Points.Select(p => p.Step).ToArray(),
            ["y"] = s.Points.Select(p => p.Value).ToArray(),
            ["mode"] = "lines+markers",
            ["name"] = Label(s.Run.DisplayName),
        }));
        return WithLayout(GenericChart.combine(traces), key, "step", key);
    }

    /// <summary>
    /// One line per run through an axis per param that differs and a last axis for the metric, coloured by the metric.
    /// Numeric params are placed by value; others get one tick per distinct value.
    /// </summary>
    public static GenericChart ParallelCoordinates(IReadOnlyList<Run> runs, string metric)
    {
        RequireLogged(runs, metric);
        var withMetric = runs.Where(r => r.Metrics.ContainsKey(metric)).ToList();
        var comparison = RunComparison.Of(withMetric);
        var dimensions = new List<Dictionary<string, object>>();
        foreach (var key in comparison.DifferingParams)
        {
            var values = withMetric.Select(r => r.Params.GetValueOrDefault(key) ?? "").ToList();
            var numbers = values.Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : (double?)null).ToList();
            if (numbers.All(n => n is not null))
            {
                dimensions.Add(new() { ["label"] = Label(key), ["values"] = numbers.Select(n => n!.Value).ToArray() });
                continue;
            }
            var labels = values.Distinct().Order(StringComparer.Ordinal).ToList();
            dimensions.Add(new()
            {
                ["label"] = Label(key),
                ["values"] = values.Select(v => (double)labels.IndexOf(v)).ToArray(),
                ["tickvals"] = Enumerable.Range(0, labels.Count).Select(i => (double)i).ToArray(),
                ["ticktext"] = labels.Select(Label).ToArray(),
            });
        }
        var metricValues = withMetric.Select(r => r.Metrics[metric].Value).ToArray();
        dimensions.Add(new() { ["label"] = Label(metric), ["values"] = metricValues });
        var chart = GenericChart.combine([Trace("parcoords", new Dictionary<string, object>
        {
            ["dimensions"] = dimensions,
            ["line"] = new Dictionary<string, object> { ["color"] = metricValues, ["showscale"] = true },
        })]);
        return WithLayout(chart, $"params against {metric}", null, null);
    }

    /// <summary>Grouped bars: one group per metric, one bar per run.</summary>
    public static GenericChart Comparison(RunComparison comparison, IReadOnlyList<string>? metrics = null)
    {
        var keys = metrics ?? comparison.MetricKeys;
        foreach (var key in metrics ?? [])
        {
            RequireLogged(comparison.Runs, key);
        }
        var traces = comparison.Runs.Select(run => Trace("bar", new Dictionary<string, object>
        {
            ["x"] = keys.Select(Label).ToArray(),
            ["y"] = keys.Select(k => run.Metrics.TryGetValue(k, out var m) ? (object)m.Value : null!).ToArray(),
            ["name"] = Label(run.DisplayName),
        }));
        var chart = GenericChart.combine(traces);
        return WithLayout(chart, "metrics by run", "metric", "value", barmode: "group");
    }

    /// <summary>A chart of a metric none of the runs logged would be empty: say which metrics they did log instead.</summary>
    private static void RequireLogged(IReadOnlyList<Run> runs, string metric)
    {
        if (runs.Any(r => r.Metrics.ContainsKey(metric)))
        {
            return;
        }
        var logged = runs.SelectMany(r => r.Metrics.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        throw new NotFoundException($"None of the {runs.Count} runs to chart logged the metric '{metric}'.",
            logged.Count > 0 ? $"They logged: {string.Join(", ", logged)}." : "They have logged no metric yet.");
    }

    /// <summary>A standalone HTML page of a chart, for reports and artifacts; plotly.js as <paramref name="plotlyJs"/> (default <see cref="PlotlyJs.Current"/>) says.</summary>
    public static string ToHtml(GenericChart chart, PlotlyJs? plotlyJs = null)
    {
        var page = new ChartPage(plotlyJs ?? PlotlyJs.Current);
        return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Chart</title>\n"
            + page.HeadScript() + "</head><body>\n" + ToHtmlFragment(chart, page) + "\n</body></html>\n";
    }

    /// <summary>The chart as an HTML fragment in the notebook of the current session (see <see cref="ChartPage.Of"/>).</summary>
    public static string ToHtmlFragment(GenericChart chart) => ToHtmlFragment(chart, ChartPage.Of(MlopsSession.Current));

    /// <summary>
    /// The chart as an HTML fragment (a div and its script) to embed in a notebook output or a page, which loads
    /// plotly.js as <paramref name="page"/> does. Every chart's HTML is made here, not by Plotly.NET, whose script block
    /// holds names as written: a run named <c>&lt;/script&gt;</c> would end it.
    /// </summary>
    public static string ToHtmlFragment(GenericChart chart, ChartPage page)
    {
        var figure = JsonNode.Parse(ToJson(chart))!;
        var id = Guid.NewGuid().ToString();
        return $"<div><div id=\"{id}\"></div>{page.TakeCopy()}<script type=\"text/javascript\">(function () {{\n"
            + $"    var data = {ScriptJson(figure["data"])};\n"
            + $"    var layout = {ScriptJson(figure["layout"])};\n"
            + $"    var draw = function (Plotly) {{ Plotly.newPlot('{id}', data, layout, {{\"responsive\":true}}); }};\n"
            + "    " + page.Loader(id, "draw")
            + "})();\n</script></div>";
    }

    /// <summary>
    /// JSON that is safe inside a script element: <c>&lt;</c>, <c>&gt;</c> and <c>&amp;</c> (which could end the element or
    /// open a comment in it) and U+2028/U+2029 (line ends to older JavaScript) become \u escapes, which decode to the same value.
    /// </summary>
    public static string ScriptJson(JsonNode? value)
    {
        var json = value?.ToJsonString(RelaxedJson) ?? "null";
        var safe = new StringBuilder(json.Length);
        foreach (var c in json)
        {
            _ = c switch
            {
                '<' or '>' or '&' or '\u2028' or '\u2029' => safe.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => safe.Append(c),
            };
        }
        return safe.ToString();
    }

    // Written as is (non-ASCII kept), so that ScriptJson is the one place that decides what a script may hold.
    private static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The chart as plotly.js figure JSON (data and layout).</summary>
    public static string ToJson(GenericChart chart) => GenericChart.toFigureJson(chart);

    /// <summary>
    /// Text from runs as plotly.js shows it: plotly reads a subset of HTML in names, labels and titles (<c>&lt;b&gt;</c>,
    /// <c>&lt;br&gt;</c>, links), and decodes entities. Every string from data that a chart shows passes here, so a name
    /// such as <c>&lt;a href=...&gt;</c> reads as written and makes no markup or link.
    /// </summary>
    public static string Label(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    internal static GenericChart Trace(string type, Dictionary<string, object> properties)
    {
        var trace = new Trace(type);
        foreach (var (name, value) in properties)
        {
            trace.SetProperty(name, value);
        }
        return GenericChart.ofTraceObject(true, trace);
    }

    internal static GenericChart WithLayout(GenericChart chart, string title, string? xTitle, string? yTitle, string? barmode = null)
    {
        var layout = new Layout();
        layout.SetProperty("title", new Dictionary<string, object> { ["text"] = Label(title) });
        if (xTitle is not null)
        {
            layout.SetProperty("xaxis", new Dictionary<string, object> { ["title"] = new Dictionary<string, object> { ["text"] = Label(xTitle) } });
        }
        if (yTitle is not null)
        {
            layout.SetProperty("yaxis", new Dictionary<string, object> { ["title"] = new Dictionary<string, object> { ["text"] = Label(yTitle) } });
        }
        if (barmode is not null)
        {
            layout.SetProperty("barmode", barmode);
        }
        return GenericChart.addLayout(layout, chart);
    }
}
