using System.Globalization;
using System.Text;
using MlopsNotebooks.Sweeps;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Views;
using Plotly.NET;

namespace MlopsNotebooks.Display;

/// <summary>
/// A sweep in a notebook: the live table of its trials (redrawn in place while it runs) and, once it is done, the same
/// table with the parallel-coordinates chart of the trials and the best-so-far curve. Trial values and errors are the
/// user's input: every one is encoded.
/// </summary>
public static class SweepHtml
{
    /// <summary>The trials so far, the best highlighted: what <c>#!mlops sweep</c> shows and updates after each trial.</summary>
    public static string Live(SweepStatus status)
    {
        var html = new StringBuilder("<div class=\"mlops-sweep\">");
        html.Append(CultureInfo.InvariantCulture, $"<h4>Sweep {RunHtml.E(status.Name)} <code>{RunHtml.E(status.RunId)}</code></h4>");
        html.Append("<p>").Append(RunHtml.E(Summary(status))).Append("</p>");
        if (status.Trials.Count == 0)
        {
            return html.Append("<p>No trial has started yet.</p></div>").ToString();
        }
        var best = status.Best;
        html.Append(CultureInfo.InvariantCulture, $"<table><thead><tr><th>trial</th><th>state</th><th>{RunHtml.E(status.Metric)}</th><th>values</th><th>duration</th><th>note</th></tr></thead><tbody>");
        foreach (var trial in status.Trials.OrderBy(t => t.Number))
        {
            // The best row stands out in any notebook front end: a class for style sheets and an inline style for the rest.
            html.Append(trial == best ? "<tr class=\"mlops-best\" style=\"font-weight:bold;background-color:#e6f4ea\">" : "<tr>");
            foreach (var cell in Cells(trial))
            {
                html.Append("<td>").Append(RunHtml.E(cell)).Append("</td>");
            }
            html.Append("</tr>");
        }
        return html.Append("</tbody></table></div>").ToString();
    }

    /// <summary>A sweep's result as a cell shows it, its trial runs read from the session's store (where <c>Mlops.Sweep</c> ran it).</summary>
    public static string Result(SweepResult result) =>
        Result(result.Status, result.Trials.Select(t => MlopsSession.Current.Client.GetRun(t.RunId)).ToList());

    /// <summary>The finished sweep: the table, then the trials' params against the metric and the best value so far by trial.</summary>
    public static string Result(SweepStatus status, IReadOnlyList<Run> trialRuns)
    {
        var html = new StringBuilder(Live(status));
        var scored = trialRuns.Where(r => r.Metrics.ContainsKey(status.Metric)).ToList();
        if (scored.Count > 0)
        {
            html.Append(RunCharts.ToHtmlFragment(RunCharts.ParallelCoordinates(scored, status.Metric)));
        }
        if (BestSoFar(status) is { Count: > 0 } curve)
        {
            var chart = RunCharts.Trace("scatter", new Dictionary<string, object>
            {
                ["x"] = curve.Select(p => p.Trial).ToArray(),
                ["y"] = curve.Select(p => p.Best).ToArray(),
                ["mode"] = "lines+markers",
                ["line"] = new Dictionary<string, object> { ["shape"] = "hv" },
                ["name"] = RunCharts.Label("best " + status.Metric),
            });
            html.Append(RunCharts.ToHtmlFragment(RunCharts.WithLayout(chart, $"best {status.Metric} so far", "trial", status.Metric)));
        }
        return html.ToString();
    }

    /// <summary>The best value among the complete trials up to each one, in trial order.</summary>
    public static IReadOnlyList<(int Trial, double Best)> BestSoFar(SweepStatus status)
    {
        var curve = new List<(int, double)>();
        double? best = null;
        foreach (var trial in status.Trials.Where(t => t.State == TrialState.Complete && t.Value is { } v && !double.IsNaN(v)).OrderBy(t => t.Number))
        {
            var value = trial.Value!.Value;
            best = best is not { } b ? value : status.Direction == Direction.Maximize ? Math.Max(b, value) : Math.Min(b, value);
            curve.Add((trial.Number, best.Value));
        }
        return curve;
    }

    /// <summary>One line on the sweep as a whole: trials done against the cap, the best so far.</summary>
    public static string Summary(SweepStatus status)
    {
        var done = status.Trials.Count(t => t.State is not (TrialState.Running or TrialState.Lost));
        var running = status.Trials.Count(t => t.State == TrialState.Running);
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{done}{(status.Cap is { } cap ? $"/{cap}" : "")} trials done");
        if (running > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $", {running} running");
        }
        text.Append(status.Best is { } best
            ? $"; best {status.Metric} {RunText.Number(best.Value!.Value)} (trial {best.Number.ToString(CultureInfo.InvariantCulture)}: {Values(best.Values)})"
            : "; no trial complete yet");
        return text.ToString();
    }

    /// <summary>A trial's row as every view shows it: number, state, metric, values, duration and note.</summary>
    public static string[] Cells(SweepTrial trial) =>
    [
        trial.Number.ToString(CultureInfo.InvariantCulture),
        State(trial.State),
        trial.Value is { } v ? RunText.Number(v) : "",
        Values(trial.Values),
        RunText.Duration(trial.Duration),
        trial.Note ?? "",
    ];

    /// <summary>A trial's state as the trial's tag writes it.</summary>
    public static string State(TrialState state) => state.ToString().ToLowerInvariant();

    /// <summary>The values by short name (the notebook's parameters), the trainer first: <c>trainer=FastTree, numberOfLeaves=16</c>.</summary>
    public static string Values(IReadOnlyDictionary<string, object> values) => string.Join(", ", values
        .OrderBy(v => v.Key == SearchSpace.TrainerParameter ? 0 : 1)
        .Select(v => $"{v.Key[(v.Key.LastIndexOf('.') + 1)..]}={Value(v.Value)}"));

    private static string Value(object value) => value switch
    {
        double d => RunText.Number(d),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
