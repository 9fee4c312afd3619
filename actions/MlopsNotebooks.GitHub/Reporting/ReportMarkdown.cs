using System.Globalization;
using System.Text;
using MlopsNotebooks.GitHub.Toolkit;
using MlopsNotebooks.Validation;

namespace MlopsNotebooks.GitHub.Reporting;

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
    public static string Comment(ValidationReport report, string workflow, ReportLinks links, out bool overflowed, string? fork = null)
    {
        var full = Build(report, workflow, links, fork: fork);
        overflowed = full.Length > CommentLimit;
        if (!overflowed)
        {
            return full;
        }
        var shorter = Build(report, workflow, links, charts: false, detail: false, shortened: true, fork: fork);
        return shorter.Length <= CommentLimit ? shorter : shorter[..(CommentLimit - 200)] + "\n\n*(cut: the full report is in the job summary)*\n";
    }

    /// <summary>
    /// The report; without <paramref name="charts"/> and <paramref name="detail"/> it is the short form (the check run's).
    /// <paramref name="fork"/> names the fork a pull request comes from: its results are its own workflow run's word.
    /// </summary>
    public static string Build(ValidationReport report, string workflow, ReportLinks links, bool charts = true, bool detail = true, bool shortened = false, string? fork = null)
    {
        var text = new StringBuilder();
        text.Append(Marker(workflow)).Append('\n');
        text.Append(report.Passed ? "## ✅ MLOps report: all checks passed\n\n" : "## ❌ MLOps report: checks failed\n\n");
        if (fork is not null)
        {
            text.Append($"> [!NOTE]\n> This pull request comes from the fork {Markdown.Code(fork)}. These results were produced by the pull request's own workflow run, with its code, and are shown as it reported them.\n\n");
        }
        var about = new List<string>();
        if (links.Sha.Length > 0)
        {
            about.Add($"Commit {Markdown.Code(links.Sha[..Math.Min(12, links.Sha.Length)])}");
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

    private static void Gates(StringBuilder text, ValidationReport report)
    {
        if (report.Gates is not { Count: > 0 } gates)
        {
            return;
        }
        text.Append("### Gates\n\n| gate | result | detail |\n|---|---|---|\n");
        foreach (var g in gates)
        {
            text.Append($"| {Markdown.Cell(g.Gate)} | {(g.Passed ? "✅ passed" : "❌ failed")} | {Markdown.Cell(g.Detail)} |\n");
        }
        text.Append('\n');
    }

    private static void Metrics(StringBuilder text, ValidationReport report, bool charts)
    {
        if (report.Candidate is not { Count: > 0 } candidate)
        {
            return;
        }
        var baseline = report.Baseline;
        text.Append("### Metrics\n\n| metric | this branch | base branch | change |\n|---|---:|---:|---:|\n");
        foreach (var (key, value) in candidate.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var now = Finite(value);
            var before = baseline?.GetValueOrDefault(key, double.NaN) is { } b ? Finite(b) : null;
            var delta = now is not null && before is not null ? now - before : null;
            text.Append($"| {Markdown.Cell(key)} | {F(now)} | {F(before)} | {(delta is { } d ? (d > 0 ? "+" : d < 0 ? "−" : "±") + F(Math.Abs(d)) : "")} |\n");
        }
        if (report.BaselineSource is { } source)
        {
            text.Append($"\nBase branch: {Markdown.Code(source)}.");
            if (report.BaselineStore is { } store && report.BaselineRuns is { Count: > 0 } runs)
            {
                // The runs, to be found again in the store the team shares (its location never holds a password).
                text.Append($" Its runs are {string.Join(", ", runs.Take(10).Select(Markdown.Code))}{(runs.Count > 10 ? ", …" : "")} in the tracking store {Markdown.Code(store)}: {Markdown.Code($"mlops runs show {runs[0]}")}.");
            }
            text.Append('\n');
        }
        text.Append('\n');
        if (charts && baseline is { Count: > 0 })
        {
            var shared = candidate.Where(p => Finite(p.Value) is not null && baseline.TryGetValue(p.Key, out var b) && Finite(b) is not null)
                .Select(p => p.Key).Order(StringComparer.Ordinal).Take(12).ToList();
            if (shared.Count > 0)
            {
                var values = shared.SelectMany(k => new[] { candidate[k], baseline[k] }).ToList();
                text.Append("```mermaid\nxychart-beta\n    title \"This branch (second bar) against the base branch (first bar)\"\n");
                text.Append($"    x-axis [{string.Join(", ", shared.Select(Label))}]\n");
                text.Append($"    y-axis \"value\" {F(Math.Min(0, values.Min()))} --> {F(values.Max() * 1.1)}\n");
                text.Append($"    bar [{string.Join(", ", shared.Select(k => F(baseline[k])))}]\n");
                text.Append($"    bar [{string.Join(", ", shared.Select(k => F(candidate[k])))}]\n```\n\n");
            }
        }
    }

    private static void Params(StringBuilder text, ValidationReport report)
    {
        if (report.BaselineParams is { Count: > 0 } before && report.CandidateParams is { } now)
        {
            Changes(text, "Params that changed against the base branch", "param", before, now);
            return;
        }
        var runs = report.Runs;
        if (runs.Count < 2)
        {
            return;
        }
        var keys = runs.SelectMany(r => r.Params.Keys).Distinct().Order(StringComparer.Ordinal)
            .Where(k => runs.Select(r => r.Params.GetValueOrDefault(k) ?? "").Distinct().Count() > 1).ToList();
        if (keys.Count == 0)
        {
            return;
        }
        text.Append("### Params that differ between the runs\n\n| run | ").Append(string.Join(" | ", keys.Select(Markdown.Cell))).Append(" |\n|---|")
            .Append(string.Concat(keys.Select(_ => "---|"))).Append('\n');
        foreach (var r in runs)
        {
            text.Append($"| {Markdown.Cell(r.DisplayName)} | ")
                .Append(string.Join(" | ", keys.Select(k => Markdown.Cell(r.Params.GetValueOrDefault(k) ?? "")))).Append(" |\n");
        }
        text.Append('\n');
    }

    private static void Data(StringBuilder text, ValidationReport report, bool detail)
    {
        if (report.Data is not { Count: > 0 } data)
        {
            return;
        }
        text.Append("### Data\n\n");
        foreach (var d in data)
        {
            var violations = d.Violations;
            text.Append($"- {Markdown.Code(d.Data)} against {Markdown.Code(d.Schema)}: {(violations.Count == 0 ? "meets it" : $"**{violations.Count} problem(s)**")}\n");
            foreach (var v in violations.Take(detail ? violations.Count : 3))
            {
                // A bullet with nothing after it would make the line above a heading.
                text.Append($"  - {(Markdown.Text(v.Message) is { } m && m.Trim().Length > 0 ? m : "(no message)")}\n");
            }
        }
        if (report.BaselineData is { Count: > 0 } before && report.CandidateData is { } now)
        {
            text.Append('\n');
            Changes(text, "Data versions that changed against the base branch", "data", before, now, Short);
            return;
        }
        var versions = report.Runs.SelectMany(r => r.Inputs).Select(i => (i.Path, i.Hash)).Where(i => i.Path.Length > 0).Distinct().ToList();
        if (versions.Count > 0)
        {
            text.Append("\nData the runs used: ").Append(string.Join(", ", versions.Select(v => $"{Markdown.Code(v.Path)} ({Markdown.Text(Short(v.Hash))})"))).Append('\n');
        }
        text.Append('\n');
    }

    // Keys whose value differs between the base branch and this branch (added or removed ones too); nothing if none.
    private static void Changes(StringBuilder text, string title, string what, IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> now, Func<string, string>? shorten = null)
    {
        shorten ??= v => v;
        var keys = before.Keys.Union(now.Keys).Order(StringComparer.Ordinal)
            .Where(k => before.GetValueOrDefault(k) != now.GetValueOrDefault(k)).ToList();
        if (keys.Count == 0)
        {
            return;
        }
        text.Append($"### {title}\n\n| {what} | base branch | this branch |\n|---|---|---|\n");
        foreach (var key in keys)
        {
            text.Append($"| {Markdown.Cell(key)} | {Markdown.Cell(before.TryGetValue(key, out var b) ? shorten(b) : "(none)")} | {Markdown.Cell(now.TryGetValue(key, out var n) ? shorten(n) : "(none)")} |\n");
        }
        text.Append('\n');
    }

    private static void Notebooks(StringBuilder text, ValidationReport report, ReportLinks links)
    {
        if (report.Notebooks is not { Count: > 0 } notebooks)
        {
            return;
        }
        text.Append("### Notebooks\n\n");
        foreach (var nb in notebooks)
        {
            if (nb.Failure is { } failure)
            {
                var cell = failure.SourceCell ?? failure.Cell;
                var where = RepositoryPath(nb.Notebook) is { } path ? $"[{Markdown.Code(nb.Notebook)}]({links.Blob(path, failure.FileLine)})" : Markdown.Code(nb.Notebook);
                text.Append($"- ❌ {where} failed in cell {cell.ToString(CultureInfo.InvariantCulture)}: {Markdown.Text(failure.Message)}\n");
            }
            else
            {
                text.Append($"- ✅ {Markdown.Code(nb.Notebook)}: {nb.CellsRun.ToString(CultureInfo.InvariantCulture)} cells, {nb.Runs.Count.ToString(CultureInfo.InvariantCulture)} run(s)\n");
            }
        }
        text.Append('\n');
    }

    // A notebook path as a link into the repository, percent-encoded; none for a path that could lead out of it.
    private static string? RepositoryPath(string path)
    {
        var parts = path.Split('/');
        return parts.Any(p => p is "" or "." or ".." || p.Contains('\\')) ? null
            : string.Join('/', parts.Select(Uri.EscapeDataString));
    }

    // Each metric that has steps: one line per run (Mermaid's xychart has no legend, so the runs are listed under it).
    private static void History(StringBuilder text, ValidationReport report)
    {
        var runs = report.Runs.Where(r => r.History.Count > 0).ToList();
        var keys = runs.SelectMany(r => r.History.Keys).Distinct().Order(StringComparer.Ordinal).Take(4).ToList();
        foreach (var key in keys)
        {
            var series = runs.Where(r => r.History.TryGetValue(key, out var points) && points.Count > 0).Take(8)
                .Select(r => (Name: r.DisplayName, Points: r.History[key].Select(p => (Step: (long)p[0], Value: p[1])).ToList())).ToList();
            var steps = series.SelectMany(s => s.Points.Select(p => p.Step)).Distinct().Order().Take(50).ToList();
            var values = series.SelectMany(s => s.Points.Select(p => p.Value)).Where(double.IsFinite).ToList();
            if (values.Count == 0)
            {
                continue;
            }
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
                text.Append($"    line [{string.Join(", ", line.Select(v => F(Finite(v)) is { Length: > 0 } f ? f : "0"))}]\n");
            }
            text.Append("```\n\n").Append($"Lines, in order: {string.Join(", ", series.Select(s => Markdown.Code(s.Name)))}.\n\n");
        }
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static string F(double? value) => value?.ToString("0.####", CultureInfo.InvariantCulture) ?? "";

    private static string Short(string hash) => hash.Length > 19 ? hash[..19] : hash;

    // A Mermaid label: quoted, with nothing that closes the quote or the code block, or that Mermaid reads as markup.
    private static string Label(string text) => "\"" + new string(text.Where(c => !char.IsControl(c) && c is not ('"' or '`' or '[' or ']' or '<' or '>' or '&' or '\\' or '#' or ';')).Take(40).ToArray()) + "\"";

    private static string Slug(string text) => new(text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-').Take(80).ToArray());
}
