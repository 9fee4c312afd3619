using System.Globalization;
using System.Text;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Views;

/// <summary>Plain-text views of tracking results, for terminals and logs.</summary>
public static class RunText
{
    private const int MaxMetricColumns = 6;

    public static string Number(double value) => value switch
    {
        double.NaN => "NaN",
        double.PositiveInfinity => "inf",
        double.NegativeInfinity => "-inf",
        _ => value.ToString("G6", CultureInfo.InvariantCulture),
    };

    public static string Time(DateTimeOffset? time) => time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "";

    public static string Duration(TimeSpan? duration) => duration switch
    {
        null => "",
        { TotalSeconds: < 60 } d => d.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s",
        { TotalHours: < 1 } d => $"{(int)d.TotalMinutes}m{d.Seconds:00}s",
        var d => $"{(int)d.Value.TotalHours}h{d.Value.Minutes:00}m",
    };

    public static string Experiments(IReadOnlyList<Experiment> experiments)
    {
        var table = new TextTable("ID", "NAME", "STAGE", "CREATED");
        foreach (var e in experiments)
        {
            table.Add(e.ExperimentId, e.Name, e.Stage.ToString().ToLowerInvariant(), Time(e.CreationTime));
        }
        return table.ToString();
    }

    /// <summary>One line per run, with the latest value of the first few metrics the runs share.</summary>
    public static string RunList(IReadOnlyList<Run> runs)
    {
        if (runs.Count == 0)
        {
            return "No runs.\n";
        }
        var metricKeys = runs.SelectMany(r => r.Metrics.Keys).Distinct().Order(StringComparer.Ordinal).Take(MaxMetricColumns).ToList();
        var table = new TextTable(["RUN ID", "NAME", "STATUS", "STARTED", "DURATION", .. metricKeys]);
        foreach (var run in runs)
        {
            table.Add([run.RunId[..8], run.Name ?? "", run.DisplayStatus, Time(run.StartTime), Duration(run.Duration),
                .. metricKeys.Select(k => run.Metrics.TryGetValue(k, out var m) ? Number(m.Value) : "")]);
        }
        return table.ToString();
    }

    public static string RunDetail(Run run, Experiment? experiment = null)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Run {Names.Printable(run.RunId)}\n");
        var fields = new TextTable("FIELD", "VALUE")
            .Add("name", run.Name)
            .Add("experiment", experiment is null ? run.ExperimentId : $"{experiment.Name} ({experiment.ExperimentId})")
            .Add("status", run.DisplayStatus)
            .Add("started", Time(run.StartTime))
            .Add("ended", Time(run.EndTime))
            .Add("duration", Duration(run.Duration));
        if (run.ParentRunId is not null)
        {
            fields.Add("parent", run.ParentRunId);
        }
        if (run.Stage == LifecycleStage.Deleted)
        {
            fields.Add("stage", "deleted");
        }
        foreach (var key in new[] { RunContext.SourceName, RunContext.GitCommit, RunContext.GitDirty })
        {
            if (run.Tags.TryGetValue(key, out var value))
            {
                fields.Add(key["mlops.".Length..], value);
            }
        }
        text.Append(fields);
        if (run.IsStale)
        {
            text.Append("\nThe process that ran it is gone (killed or crashed) and never ended it; its points up to the last flush are kept.\n");
        }
        Section(text, "Parameters", run.Params.Select(p => new[] { p.Key, p.Value }), "KEY", "VALUE");
        Section(text, "Metrics (latest)", run.Metrics.Values.Select(m => new[] { m.Key, Number(m.Value), m.Step.ToString(CultureInfo.InvariantCulture) }),
            "KEY", "VALUE", "STEP");
        Section(text, "Tags", run.Tags.Where(t => !t.Key.StartsWith("mlops.", StringComparison.Ordinal)).Select(t => new[] { t.Key, t.Value }),
            "KEY", "VALUE");
        Section(text, "Data used", run.Inputs.Select(i => new[] { i.Path, i.Hash, i.Files.ToString(CultureInfo.InvariantCulture) }),
            "PATH", "HASH", "FILES");
        Section(text, "Artifacts", run.Artifacts.Select(a => new[] { a.Path, a.Size.ToString(CultureInfo.InvariantCulture), a.Hash }),
            "PATH", "SIZE", "HASH");
        return text.ToString();
    }

    public static string Comparison(RunComparison comparison)
    {
        var table = new TextTable(["", .. comparison.Runs.Select(r => r.DisplayName)]);
        table.Add(["run id", .. comparison.Runs.Select(r => r.RunId[..8])]);
        table.Add(["status", .. comparison.Runs.Select(r => r.DisplayStatus)]);
        foreach (var key in comparison.DifferingParams)
        {
            table.Add([$"params.{key}", .. comparison.Runs.Select(r => comparison.Param(r, key) ?? "-")]);
        }
        foreach (var key in comparison.MetricKeys)
        {
            table.Add([$"metrics.{key}", .. comparison.Runs.Select(r => r.Metrics.ContainsKey(key) ? Number(comparison.Metric(r, key)) : "-")]);
        }
        return table.ToString();
    }

    public static string MetricHistory(string key, IReadOnlyList<Metric> points)
    {
        var table = new TextTable("STEP", key, "TIME");
        foreach (var p in points)
        {
            table.Add(p.Step.ToString(CultureInfo.InvariantCulture), Number(p.Value), Time(p.Time));
        }
        return table.ToString();
    }

    private static void Section(StringBuilder text, string title, IEnumerable<string[]> rows, params string[] headers)
    {
        var table = new TextTable(headers);
        foreach (var row in rows)
        {
            table.Add(row);
        }
        if (table.Count > 0)
        {
            text.Append('\n').Append(title).Append('\n').Append(table);
        }
    }

    /// <summary>What <c>mlops runs gc</c> purged (or would) and the runs it kept with the reason.</summary>
    public static string Purge(Storage.RunPurge purge, TimeSpan olderThan)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"{(purge.DryRun ? "would purge" : "purged")} {purge.Purged.Count} runs deleted more than {Age(olderThan)} ago; kept {purge.Kept.Count}.\n");
        if (purge.Purged.Count > 0)
        {
            var purged = new TextTable("RUN ID", "NAME", "EXPERIMENT", "DELETED");
            foreach (var run in purge.Purged)
            {
                purged.Add(run.RunId, run.Name ?? "", run.ExperimentId, Time(run.DeletedTime));
            }
            text.Append(purged);
        }
        if (purge.Kept.Count > 0)
        {
            var kept = new TextTable("KEPT RUN ID", "NAME", "EXPERIMENT", "WHY");
            foreach (var run in purge.Kept)
            {
                kept.Add(run.RunId, run.Name ?? "", run.ExperimentId, run.Reason);
            }
            text.Append(kept);
        }
        return text.ToString();
    }

    /// <summary>A duration as the CLI takes it: 30d, 2h, 15m, 90s.</summary>
    public static string Age(TimeSpan age) => age switch
    {
        { Ticks: 0 } => "0s",
        _ when age.Ticks % TimeSpan.TicksPerDay == 0 => $"{(long)age.TotalDays}d",
        _ when age.Ticks % TimeSpan.TicksPerHour == 0 => $"{(long)age.TotalHours}h",
        _ when age.Ticks % TimeSpan.TicksPerMinute == 0 => $"{(long)age.TotalMinutes}m",
        _ => $"{(long)age.TotalSeconds}s",
    };
}
