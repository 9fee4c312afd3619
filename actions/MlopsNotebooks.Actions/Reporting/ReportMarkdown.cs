using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using MlopsNotebooks.Actions.Toolkit;

namespace MlopsNotebooks.Actions.Reporting;

/// <summary>Where links in the report point: the server, the repository and the commit the report is about.</summary>
public sealed record ReportLinks(string ServerUrl, string Repository, string Sha, string? RunUrl = null)
{
    public string Blob(string path, int? line) => $"{ServerUrl}/{Repository}/blob/{Sha}/{path}{(line is { } l ? $"#L{l}" : "")}";
}

/// <summary>
/// The pull-request comment, built from the report data <c>mlops validate</c> wrote: gates, a metrics table of this
/// branch against the base branch with deltas, the params that differ between the runs, the data checks, notebook
/// failures with links, and charts GitHub draws itself (Mermaid <c>xychart-beta</c>, nothing uploaded). Every value that
/// came from the pull request is escaped: the report data is untrusted when a fork produced it.
/// </summary>
public static class ReportMarkdown
{
    /// <summary>GitHub refuses a comment body over 65,536 characters.</summary>
    public const int CommentLimit = 65_536;

    public static string Marker(string workflow) => $"<!-- mlops-report: {Slug(workflow)} -->";

    /// <summary>
    /// The comment, within <see cref="CommentLimit"/>: if the whole report does not fit, the charts and then the long
    /// sections are left out and the comment says the full report is in the job summary (<paramref name="overflowed"/>).
    /// </summary>
    public static string Comment(JsonObject report, string workflow, ReportLinks links, out bool overflowed)
    {
        var full = Build(report, workflow, links, charts: true, detail: true);
        overflowed = full.Length > CommentLimit;
        if (!overflowed)
        {
            return full;
        }
        var shorter = Build(report, workflow, links, charts: false, detail: false, shortened: true);
        return shorter.Length <= CommentLimit ? shorter : shorter[..(CommentLimit - 200)] + "\n\n*(cut: the full report is in the job summary)*\n";
    }

    /// <summary>The report; without <paramref name="charts"/> and <paramref name="detail"/> it is the short form (the check run's).</summary>
    public static string Build(JsonObject report, string workflow, ReportLinks links, bool charts = true, bool detail = true, bool shortened = false)
    {
        var text = new StringBuilder();
        text.Append(Marker(workflow)).Append('\n');
        var passed = report["passed"]?.GetValue<bool>() ?? false;
        text.Append(passed ? "## ✅ MLOps report: all checks passed\n\n" : "## ❌ MLOps report: checks failed\n\n");
        var about = new List<string>();
        if (links.Sha.Length > 0)
        {
            about.Add($"Commit `{Markdown.Inline(links.Sha[..Math.Min(12, links.Sha.Length)])}`");
        }
        if (links.RunUrl is not null)
        {
            about.Add($"[workflow run and HTML report]({links.RunUrl})");
        }
        if (about.Count > 0)
        {
            text.Append(string.Join(" · ", about)).Append("\n\n");
        }

        Gates(text, report);
        Metrics(text, report, charts);
        if (detail)
        {
            Params(text, report);
        }
        Data(text, report, detail);
        Notebooks(text, report, links);
        if (charts)
        {
            History(text, report);
        }
        if (shortened)
        {
            text.Append("\n*The report was over GitHub's comment limit: charts and details are in the job summary.*\n");
        }
        return text.ToString();
    }

    private static void Gates(StringBuilder text, JsonObject report)
    {
        if (report["gates"] is not JsonArray { Count: > 0 } gates)
        {
            return;
        }
        text.Append("### Gates\n\n| gate | result | detail |\n|---|---|---|\n");
        foreach (var g in gates)
        {
            text.Append($"| {Markdown.Cell(S(g!["gate"]))} | {(g["passed"]?.GetValue<bool>() is true ? "✅ passed" : "❌ failed")} | {Markdown.Cell(S(g["detail"]))} |\n");
        }
        text.Append('\n');
    }

    private static void Metrics(StringBuilder text, JsonObject report, bool charts)
    {
        if (report["candidate"] is not JsonObject { Count: > 0 } candidate)
        {
            return;
        }
        var baseline = report["baseline"] as JsonObject;
        text.Append("### Metrics\n\n| metric | this branch | base branch | change |\n|---|---:|---:|---:|\n");
        foreach (var (key, value) in candidate.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var now = Number(value);
            var before = baseline?[key] is { } b ? Number(b) : (double?)null;
            var delta = now is not null && before is not null ? now - before : null;
            text.Append($"| {Markdown.Cell(key)} | {F(now)} | {F(before)} | {(delta is { } d ? (d > 0 ? "+" : d < 0 ? "−" : "±") + F(Math.Abs(d)) : "")} |\n");
        }
        if (report["baseline_source"] is { } source)
        {
            text.Append($"\nBase branch: `{Markdown.Inline(S(source))}`.\n");
        }
        text.Append('\n');
        if (charts && baseline is { Count: > 0 })
        {
            var shared = candidate.Where(p => baseline.ContainsKey(p.Key) && Number(p.Value) is not null && Number(baseline[p.Key]) is not null)
                .Select(p => p.Key).Order(StringComparer.Ordinal).Take(12).ToList();
            if (shared.Count > 0)
            {
                var values = shared.SelectMany(k => new[] { Number(candidate[k])!.Value, Number(baseline[k])!.Value }).ToList();
                text.Append("```mermaid\nxychart-beta\n    title \"This branch (second bar) against the base branch (first bar)\"\n");
                text.Append($"    x-axis [{string.Join(", ", shared.Select(Label))}]\n");
                text.Append($"    y-axis \"value\" {F(Math.Min(0, values.Min()))} --> {F(values.Max() * 1.1)}\n");
                text.Append($"    bar [{string.Join(", ", shared.Select(k => F(Number(baseline[k]))))}]\n");
                text.Append($"    bar [{string.Join(", ", shared.Select(k => F(Number(candidate[k]))))}]\n```\n\n");
            }
        }
    }

    private static void Params(StringBuilder text, JsonObject report)
    {
        if (report["baseline_params"] is JsonObject { Count: > 0 } before && report["candidate_params"] is JsonObject now)
        {
            Changes(text, "Params that changed against the base branch", "param", before, now);
            return;
        }
        var runs = (report["runs"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (runs.Count < 2)
        {
            return;
        }
        var keys = runs.SelectMany(r => (r["params"] as JsonObject ?? []).Select(p => p.Key)).Distinct().Order(StringComparer.Ordinal)
            .Where(k => runs.Select(r => r["params"]?[k]?.ToString() ?? "").Distinct().Count() > 1).ToList();
        if (keys.Count == 0)
        {
            return;
        }
        text.Append("### Params that differ between the runs\n\n| run | ").Append(string.Join(" | ", keys.Select(Markdown.Cell))).Append(" |\n|---|")
            .Append(string.Concat(keys.Select(_ => "---|"))).Append('\n');
        foreach (var r in runs)
        {
            text.Append($"| {Markdown.Cell(S(r["run_name"]) is { Length: > 0 } name ? name : S(r["run_id"]))} | ")
                .Append(string.Join(" | ", keys.Select(k => Markdown.Cell(r["params"]?[k]?.ToString() ?? "")))).Append(" |\n");
        }
        text.Append('\n');
    }

    private static void Data(StringBuilder text, JsonObject report, bool detail)
    {
        if (report["data"] is not JsonArray { Count: > 0 } data)
        {
            return;
        }
        text.Append("### Data\n\n");
        foreach (var d in data)
        {
            var violations = d!["violations"] as JsonArray ?? [];
            text.Append($"- `{Markdown.Inline(S(d["data"]))}` against `{Markdown.Inline(S(d["schema"]))}`: {(violations.Count == 0 ? "meets it" : $"**{violations.Count} problem(s)**")}\n");
            foreach (var v in violations.Take(detail ? violations.Count : 3))
            {
                text.Append($"  - {Markdown.Inline(S(v!["message"]))}\n");
            }
        }
        if (report["baseline_data"] is JsonObject { Count: > 0 } before && report["candidate_data"] is JsonObject now)
        {
            text.Append('\n');
            Changes(text, "Data versions that changed against the base branch", "data", before, now, Short);
            return;
        }
        var versions = (report["runs"] as JsonArray ?? []).OfType<JsonObject>()
            .SelectMany(r => (r["inputs"] as JsonArray ?? []).OfType<JsonObject>())
            .Select(i => (Path: S(i["path"]), Hash: S(i["hash"]))).Where(i => i.Path.Length > 0).Distinct().ToList();
        if (versions.Count > 0)
        {
            text.Append("\nData the runs used: ").Append(string.Join(", ", versions.Select(v => $"`{Markdown.Inline(v.Path)}` ({Markdown.Inline(Short(v.Hash))})"))).Append('\n');
        }
        text.Append('\n');
    }

    // Keys whose value differs between the base branch and this branch (added or removed ones too); nothing if none.
    private static void Changes(StringBuilder text, string title, string what, JsonObject before, JsonObject now, Func<string, string>? shorten = null)
    {
        shorten ??= v => v;
        var keys = before.Select(p => p.Key).Union(now.Select(p => p.Key)).Order(StringComparer.Ordinal)
            .Where(k => S(before[k]) != S(now[k])).ToList();
        if (keys.Count == 0)
        {
            return;
        }
        text.Append($"### {title}\n\n| {what} | base branch | this branch |\n|---|---|---|\n");
        foreach (var key in keys)
        {
            text.Append($"| {Markdown.Cell(key)} | {Markdown.Cell(before[key] is null ? "(none)" : shorten(S(before[key])))} | {Markdown.Cell(now[key] is null ? "(none)" : shorten(S(now[key])))} |\n");
        }
        text.Append('\n');
    }

    private static void Notebooks(StringBuilder text, JsonObject report, ReportLinks links)
    {
        if (report["notebooks"] is not JsonArray { Count: > 0 } notebooks)
        {
            return;
        }
        text.Append("### Notebooks\n\n");
        foreach (var nb in notebooks)
        {
            var path = S(nb!["notebook"]);
            if (nb["failure"] is JsonObject failure)
            {
                var line = failure["file_line"]?.GetValue<int>();
                text.Append($"- ❌ [`{Markdown.Inline(path)}`]({links.Blob(Uri.EscapeDataString(path).Replace("%2F", "/", StringComparison.Ordinal), line)}) failed in cell {S(failure["source_cell"] ?? failure["cell"])}: {Markdown.Inline(S(failure["message"]))}\n");
            }
            else
            {
                text.Append($"- ✅ `{Markdown.Inline(path)}`: {S(nb["cells_run"])} cells, {(nb["runs"] as JsonArray)?.Count ?? 0} run(s)\n");
            }
        }
        text.Append('\n');
    }

    // Each metric that has steps: one line per run (Mermaid's xychart has no legend, so the runs are listed under it).
    private static void History(StringBuilder text, JsonObject report)
    {
        var runs = (report["runs"] as JsonArray ?? []).OfType<JsonObject>().Where(r => r["history"] is JsonObject).ToList();
        var keys = runs.SelectMany(r => ((JsonObject)r["history"]!).Select(p => p.Key)).Distinct().Order(StringComparer.Ordinal).Take(4).ToList();
        foreach (var key in keys)
        {
            var series = runs.Where(r => r["history"]![key] is JsonArray).Take(8)
                .Select(r => (Name: S(r["run_name"]) is { Length: > 0 } n ? n : S(r["run_id"]), Points: r["history"]![key]!.AsArray()
                    .Select(p => (Step: p![0]!.GetValue<long>(), Value: p[1]!.GetValue<double>())).ToList())).ToList();
            var steps = series.SelectMany(s => s.Points.Select(p => p.Step)).Distinct().Order().Take(50).ToList();
            var values = series.SelectMany(s => s.Points.Select(p => p.Value)).ToList();
            text.Append($"```mermaid\nxychart-beta\n    title \"{Label(key).Trim('"')} by step\"\n    x-axis [{string.Join(", ", steps)}]\n");
            text.Append($"    y-axis \"{Label(key).Trim('"')}\" {F(values.Min())} --> {F(values.Max())}\n");
            foreach (var s in series)
            {
                // A run without a point at a step repeats its previous value, so that the lines share the x axis.
                var line = new List<double>();
                foreach (var step in steps)
                {
                    var at = s.Points.FindIndex(p => p.Step == step);
                    line.Add(at >= 0 ? s.Points[at].Value : line.Count > 0 ? line[^1] : s.Points[0].Value);
                }
                text.Append($"    line [{string.Join(", ", line.Select(v => F(v)))}]\n");
            }
            text.Append("```\n\n").Append($"Lines, in order: {string.Join(", ", series.Select(s => $"`{Markdown.Inline(s.Name)}`"))}.\n\n");
        }
    }

    private static string S(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node?.ToJsonString() ?? "";

    private static double? Number(JsonNode? node) => node is JsonValue v && v.TryGetValue<double>(out var d) && double.IsFinite(d) ? d : null;

    private static string F(double? value) => value?.ToString("0.####", CultureInfo.InvariantCulture) ?? "";

    private static string Short(string hash) => hash.Length > 19 ? hash[..19] : hash;

    // A Mermaid label: quoted, with nothing that closes the quote or the code block.
    private static string Label(string text) => "\"" + new string(text.Where(c => c is not ('"' or '`' or '\n' or '\r' or '[' or ']')).Take(40).ToArray()) + "\"";

    private static string Slug(string text) => new(text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-').Take(80).ToArray());
}
