using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using MlopsNotebooks.Display;
using MlopsNotebooks.Sweeps;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.Cli.Sweep;

/// <summary>A sweep on a terminal (the trials table and the best) and as JSON for machines.</summary>
internal static class SweepViews
{
    public static string Text(SweepStatus status)
    {
        var table = new TextTable("TRIAL", "STATE", status.Metric.ToUpperInvariant(), "VALUES", "DURATION", "NOTE");
        foreach (var trial in status.Trials.OrderBy(t => t.Number))
        {
            table.Add(SweepHtml.Cells(trial));
        }
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"Sweep {Tracking.Names.Printable(status.Name)} ({status.RunId}): {Tracking.Names.Printable(SweepHtml.Summary(status))}\n");
        text.Append(table.Count == 0 ? "No trials.\n" : table.ToString());
        if (status.Best is { } best)
        {
            text.Append(CultureInfo.InvariantCulture, $"Best: trial {best.Number}, {Tracking.Names.Printable(status.Metric)} {RunText.Number(best.Value!.Value)}, run {best.RunId}\n");
        }
        return text.ToString();
    }

    public static JsonObject Json(SweepStatus status) => new()
    {
        ["run_id"] = status.RunId,
        ["name"] = status.Name,
        ["metric"] = status.Metric,
        ["direction"] = status.Direction.ToString().ToLowerInvariant(),
        ["trials_cap"] = status.Cap,
        ["deadline"] = status.Deadline?.ToString("O", CultureInfo.InvariantCulture),
        ["best"] = status.Best is { } best ? Trial(best) : null,
        ["trials"] = new JsonArray(status.Trials.OrderBy(t => t.Number).Select(t => (JsonNode)Trial(t)).ToArray()),
    };

    private static JsonObject Trial(SweepTrial trial) => new()
    {
        ["number"] = trial.Number,
        ["run_id"] = trial.RunId,
        ["state"] = SweepHtml.State(trial.State),
        ["value"] = trial.Value is { } v && double.IsFinite(v) ? v : null,
        ["values"] = new JsonObject(trial.Values.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create<string, JsonNode?>(p.Key, p.Value switch
        {
            long l => l,
            double d when double.IsFinite(d) => d,
            var other => Convert.ToString(other, CultureInfo.InvariantCulture),
        }))),
        ["duration_ms"] = trial.Duration is { } d ? (long)d.TotalMilliseconds : null,
        ["note"] = trial.Note,
    };
}
