using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MlopsNotebooks.GitHub.Reporting;
using MlopsNotebooks.GitHub.Toolkit;
using MlopsNotebooks.Storage;
using MlopsNotebooks.Validation;
using MlopsNotebooks.Versioning;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.Cli.Validate;

/// <summary>
/// <c>mlops validate</c> (from options, on a laptop or in any CI) and <c>mlops action validate</c> (from the validate
/// action's <c>INPUT_*</c> variables): two ways to parse, one handler.
/// </summary>
internal static class ValidateCommands
{
    public static Command Validate()
    {
        var notebooks = new Option<string[]>("--notebooks") { Description = "Glob of notebooks (.ipynb, .dib) and file-based apps (.cs, run with dotnet run) to run, relative to the repository root (repeat; !glob excludes)." };
        var parameters = new Option<string[]>("--parameter", "-p") { Description = "name=value for every notebook's parameters cell, and an argument name=value of every file-based app (repeat)." };
        var data = new Option<string[]>("--data") { Description = "data.csv=schema.yaml: check the data against the schema (repeat)." };
        var gates = new Option<string?>("--gates") { Description = "The gates file; default mlops-gates.yaml if there is one." };
        var baseline = new Option<string?>("--baseline") { Description = "The baseline: a metrics file, or store:<branch> for the tracking store; default the gates file's." };
        var baselineRef = new Option<string?>("--baseline-ref") { Description = "Read the baseline file at this git ref (e.g. origin/main)." };
        var report = new Option<string?>("--report") { Description = "Write the report data (JSON) here, and report.html beside it; the report step posts it." };
        var metricsOut = new Option<string?>("--metrics-out") { Description = "Write the candidate's metrics, params and data versions here: the next baseline." };
        var cellTimeout = new Option<double?>("--cell-timeout") { Description = "Seconds one cell may take, and a file-based app its whole run (build included)." };
        var command = new Command("validate", "Run notebooks, check data against its schema and the model against its gates; exit 1 if anything fails.")
        {
            notebooks, parameters, data, gates, baseline, baselineRef, report, metricsOut, cellTimeout, GlobalOptions.PlotlyJs, GlobalOptions.Json,
        };
        command.SetAction(async (parse, _) =>
        {
            GlobalOptions.UsePlotlyJs(parse.GetValue(GlobalOptions.PlotlyJs));
            var request = new ValidateRequest
            {
                Root = TrackingStores.FindWorkTreeRoot(Directory.GetCurrentDirectory()),
                Notebooks = parse.GetValue(notebooks) ?? [],
                Parameters = Arguments.NameValues(parse.GetValue(parameters) ?? [], "-p"),
                Data = (parse.GetValue(data) ?? []).Select(DataPair).ToList(),
                Gates = parse.GetValue(gates),
                Baseline = parse.GetValue(baseline),
                BaselineRef = parse.GetValue(baselineRef),
                CellTimeout = Arguments.Seconds(parse.GetValue(cellTimeout), "--cell-timeout"),
            };
            return await InvokeAsync(parse, new ValidateSettings(request, parse.GetValue(report), parse.GetValue(metricsOut)), ActionRunner.FromProcess());
        });
        return command;
    }

    /// <summary><c>mlops action validate</c>: the validate action's step, configured by its inputs.</summary>
    public static Command ActionValidate()
    {
        var command = new Command("validate", "The validate action: read INPUT_* as the runner sets them, annotate, summarize, set outputs.") { GlobalOptions.Json };
        command.SetAction(async (parse, _) =>
        {
            GlobalOptions.UsePlotlyJs(null);
            var actions = ActionRunner.FromProcess();
            var root = actions.Variable("GITHUB_WORKSPACE") ?? TrackingStores.FindWorkTreeRoot(Directory.GetCurrentDirectory());
            var request = new ValidateRequest
            {
                Root = root,
                Notebooks = actions.ListInput("notebooks"),
                Parameters = Arguments.NameValues(actions.ListInput("parameters"), "parameters:"),
                Data = actions.ListInput("data").Select(DataPair).ToList(),
                Gates = actions.Input("gates"),
                Baseline = actions.Input("baseline"),
                BaselineRef = actions.Input("baseline-ref") ?? (actions.Variable("GITHUB_BASE_REF") is { } baseRef ? "origin/" + baseRef : null),
                CellTimeout = actions.Input("cell-timeout") is { } s
                    ? Arguments.Seconds(double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) ? seconds
                        : throw new MlopsException($"Input 'cell-timeout' is '{s}', not a number of seconds.", "Write e.g. cell-timeout: 600."), "Input 'cell-timeout'")
                    : null,
            };
            var reportPath = actions.Input("report-path") ?? Path.Combine(root, ".mlops", "report", "report.json");
            return await InvokeAsync(parse, new ValidateSettings(request, reportPath, actions.Input("metrics-path")), actions);
        });
        return command;
    }

    /// <summary>Both validate commands: validate, annotate the findings, write the report files, outputs and summary.</summary>
    private static async Task<int> InvokeAsync(ParseResult parse, ValidateSettings settings, ActionRunner actions)
    {
        var (reportPath, metricsPath) = (settings.ReportPath, settings.MetricsPath);
        NotebookRunnerExecutor.CheckApps(settings.Request.Root, settings.Request.Notebooks);
        using var client = GlobalOptions.OpenClient(parse);
        var validator = new Validator(new NotebookRunnerExecutor(), client);
        var report = await validator.ValidateAsync(settings.Request);
        foreach (var finding in report.Findings)
        {
            var place = finding.File is null ? null : new AnnotationPlace(finding.File, finding.Line);
            if (finding.Severity == Severity.Error)
            {
                actions.Error(finding.Message, place, finding.Title);
            }
            else
            {
                actions.Warning(finding.Message, place, finding.Title);
            }
        }
        // The pull request this ran for, so that the workflow_run step can post on it (it checks the head commit).
        if (actions.Variable("GITHUB_EVENT_NAME") == "pull_request" && GitHubEvent.Read(actions) is { } payload)
        {
            report = report with
            {
                PullRequest = payload["pull_request"]?["number"] is JsonValue number && number.TryGetValue<int>(out var n) ? n : null,
                HeadSha = payload["pull_request"]?["head"]?["sha"] is JsonValue sha && sha.TryGetValue<string>(out var s) ? s : null,
            };
        }
        if (reportPath is not null)
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(reportPath))!;
            Directory.CreateDirectory(folder);
            AtomicFile.WriteAllText(reportPath, report.ToJson() + "\n");
            AtomicFile.WriteAllText(Path.Combine(folder, "report.html"), ReportHtml.Build(report));
        }
        if (metricsPath is not null && validator.Snapshot is { } snapshot)
        {
            AtomicFile.WriteAllText(metricsPath, RunJson.Write(snapshot.ToJson()) + "\n");
        }
        actions.SetOutput("passed", report.Passed ? "true" : "false");
        actions.SetOutput("run-ids", string.Join(',', report.Runs.Select(r => r.RunId)));
        actions.SetOutput("metrics", JsonSerializer.Serialize(report.Candidate ?? new Dictionary<string, double>(), MetricsOutput));
        if (reportPath is not null)
        {
            actions.SetOutput("report-path", reportPath);
        }
        var summary = Summary(report, actions);
        actions.AppendSummary(summary);
        GlobalOptions.Write(parse, report.ToJsonNode(), summary);
        return report.Passed ? MlopsCli.Ok : MlopsCli.UserError;
    }

    // The metrics output as JsonNode.ToJsonString wrote it: compact, a metric that is not a number as "NaN".
    private static readonly JsonSerializerOptions MetricsOutput = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The job summary: the report the pull request gets, linked to this commit.</summary>
    private static string Summary(ValidationReport report, ActionRunner actions)
    {
        var links = new ReportLinks(actions.Variable("GITHUB_SERVER_URL") ?? "https://github.com", actions.Variable("GITHUB_REPOSITORY") ?? "",
            report.HeadSha ?? actions.Variable("GITHUB_SHA") ?? "");
        return ReportMarkdown.Build(report, actions.Variable("GITHUB_WORKFLOW") ?? "mlops", links);
    }

    private static (string Data, string Schema) DataPair(string text)
    {
        var equals = text.IndexOf('=');
        return equals > 0 && equals < text.Length - 1
            ? (text[..equals].Trim(), text[(equals + 1)..].Trim())
            : throw new MlopsException($"Data check '{text}' is not data=schema.", "Write e.g. data/churn.csv=data/churn.schema.yaml.");
    }
}
