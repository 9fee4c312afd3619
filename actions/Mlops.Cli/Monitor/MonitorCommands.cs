using System.CommandLine;
using System.Globalization;
using MlopsNotebooks.Cli.Serve;
using MlopsNotebooks.Display;
using MlopsNotebooks.GitHub.Monitoring;
using MlopsNotebooks.GitHub.Toolkit;
using MlopsNotebooks.Monitoring;
using MlopsNotebooks.Views;

namespace MlopsNotebooks.Cli.Monitor;

/// <summary>
/// <c>mlops monitor</c> and the action's <c>command: monitor</c>: reads a window of the prediction log, compares it with the
/// bundle's reference, reads the service's health, writes the report (drift.json, drift.md, drift.html), and on GitHub
/// keeps the model's drift issue and starts retraining when asked. Drift is a finding, not an error: exit 0 unless
/// --fail-on-drift.
/// </summary>
internal static class MonitorCommands
{
    public static Command Create()
    {
        var bundle = new Option<string?>("--bundle") { Description = "The model's export bundle folder (its reference profile is the reference)." };
        var model = new Option<string?>("--model") { Description = "name@alias or name/3: a registered version, exported from the registry for the run." };
        var log = new Option<string>("--log") { Description = "The prediction log's folder (what the server's --prediction-log writes).", Required = true };
        var window = new Option<string?>("--window") { Description = "The log's last stretch to compare: 30m, 24h, 7d (default 24h; or --since/--until)." };
        var since = new Option<string?>("--since") { Description = "The window's start, ISO 8601 (e.g. 2026-05-01T00:00:00Z)." };
        var until = new Option<string?>("--until") { Description = "The window's end, ISO 8601 (default: now)." };
        var prometheus = new Option<string?>("--prometheus") { Description = "Read error rate and p99 latency from this Prometheus (its HTTP API)." };
        var metrics = new Option<string?>("--metrics") { Description = "Without Prometheus: the server's /metrics URL." };
        var interval = new Option<string?>("--metrics-interval") { Description = "With --metrics: scrape twice this far apart (30s); default one scrape, the counts since the server started." };
        var judged = new Drift.DriftArguments();
        var (mode, test, threshold, share) = (judged.Mode, judged.Test, judged.Threshold, judged.Share);
        var maxErrorRate = new Option<double>("--max-error-rate") { Description = "The most 5xx answers per prediction request.", DefaultValueFactory = _ => 0.01 };
        var maxP99 = new Option<double>("--max-p99-ms") { Description = "The slowest p99 latency in milliseconds.", DefaultValueFactory = _ => 500 };
        var report = new Option<string?>("--report") { Description = "A folder to write drift.json, drift.md and drift.html to." };
        var issue = new Option<bool>("--github-issue") { Description = "Open, update or close the model's drift issue (GITHUB_REPOSITORY, GITHUB_TOKEN)." };
        var retrain = new Option<string?>("--retrain-workflow") { Description = "When not healthy, start this workflow (its file name, e.g. retrain.yml) with inputs model and reason." };
        var retrainRef = new Option<string>("--retrain-ref") { Description = "The branch or tag the retraining workflow runs on.", DefaultValueFactory = _ => "main" };
        var failOnDrift = new Option<bool>("--fail-on-drift") { Description = "Exit 1 when the model is not healthy." };
        var command = new Command("monitor", "Compare a window of the prediction log with the model's reference, read the service's health, and report drift.")
        {
            bundle, model, log, window, since, until, prometheus, metrics, interval, mode, test, threshold, share, maxErrorRate, maxP99,
            report, issue, retrain, retrainRef, failOnDrift, GlobalOptions.Json, GlobalOptions.PlotlyJs,
        };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(bundle) is null) == (result.GetValue(model) is null))
            {
                result.AddError("Give the model as --bundle DIR or as --model name@alias (one of them).");
            }
            if (result.GetValue(prometheus) is not null && result.GetValue(metrics) is not null)
            {
                result.AddError("Read the service's health from --prometheus or from --metrics, not both.");
            }
            if (result.GetValue(window) is not null && result.GetValue(since) is not null)
            {
                result.AddError("Give the window as --window 24h or as --since (and --until), not both.");
            }
        });
        return command.Handles(parse =>
        {
            GlobalOptions.UsePlotlyJs(parse.GetValue(GlobalOptions.PlotlyJs));
            return new MonitorSettings(parse.GetValue(bundle), parse.GetValue(model), parse.GetValue(log)!, parse.GetValue(window), parse.GetValue(since),
                parse.GetValue(until), parse.GetValue(prometheus), parse.GetValue(metrics), parse.GetValue(interval), parse.GetValue(mode)!, parse.GetValue(test)!,
                parse.GetValue(threshold), parse.GetValue(share), parse.GetValue(maxErrorRate), parse.GetValue(maxP99), parse.GetValue(report),
                parse.GetValue(issue), parse.GetValue(retrain), parse.GetValue(retrainRef)!, parse.GetValue(failOnDrift));
        }, Monitor);
    }

    public static async Task<int> Monitor(MonitorSettings settings, CliContext cli, CancellationToken cancellationToken)
    {
        var actions = ActionRunner.FromProcess(cli.Json ? cli.Error : cli.Output);
        var monitored = await RunAsync(settings, cli, actions, cancellationToken);
        cli.Write(DriftJson.Report(monitored.Report), DriftText.Report(monitored.Report) + monitored.Said);
        return Exit(settings, monitored, actions);
    }

    /// <summary>The action: INPUT_* as the runner sets them; outputs drifted, healthy and report; the Markdown in the job summary.</summary>
    public static Command ActionMonitor()
    {
        var command = new Command("monitor", "The monitor action: read INPUT_* as the runner sets them, report drift, set outputs.");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var actions = ActionRunner.FromProcess();
            GlobalOptions.UsePlotlyJs(actions.Input("plotly-js"));
            var workspace = actions.Variable("GITHUB_WORKSPACE") ?? Directory.GetCurrentDirectory();
            var settings = new MonitorSettings(Path(actions.Input("bundle"), workspace), actions.Input("model"), Path(actions.RequiredInput("log"), workspace)!,
                actions.Input("window"), actions.Input("since"), actions.Input("until"), actions.Input("prometheus-url"), actions.Input("metrics-url"),
                actions.Input("metrics-interval"), actions.Input("mode") ?? "exact", actions.Input("test") ?? DriftTests.Auto,
                actions.Input("threshold") is null ? null : Arguments.Number(actions, "threshold", 0), Arguments.Number(actions, "drift-share", 0.5),
                Arguments.Number(actions, "max-error-rate", 0.01), Arguments.Number(actions, "max-p99-ms", 500),
                Path(actions.Input("report-folder") ?? System.IO.Path.Combine(".mlops", "monitor"), workspace), actions.BooleanInput("github-issue"),
                actions.Input("retrain-workflow"), actions.Input("retrain-ref") ?? "main", actions.BooleanInput("fail-on-drift"));
            if ((settings.Bundle is null) == (settings.Model is null))
            {
                throw new MlopsException("Give the monitor action one of the inputs bundle and model.", "E.g. model: churn@production.");
            }
            var monitored = await RunAsync(settings, new CliContext(parse), actions, cancellationToken);
            actions.SetOutput("drifted", monitored.Report.DatasetDrifted || monitored.Report.Prediction?.Drifted == true ? "true" : "false");
            actions.SetOutput("healthy", monitored.Report.Healthy ? "true" : "false");
            actions.SetOutput("report", settings.ReportFolder!);
            actions.AppendSummary(DriftMarkdown.Build(monitored.Report));
            actions.Log(DriftText.Verdict(monitored.Report) + monitored.Said.TrimEnd());
            return Exit(settings, monitored, actions);
        });
        return command;
    }

    private sealed record Monitored(DriftReport Report, string Said);

    private static int Exit(MonitorSettings settings, Monitored monitored, ActionRunner actions)
    {
        if (settings.FailOnDrift && !monitored.Report.Healthy)
        {
            actions.Error(DriftText.Verdict(monitored.Report), title: "The model is not healthy");
            return MlopsCli.UserError;
        }
        return MlopsCli.Ok;
    }

    /// <summary>Checks every input before anything is read, then compares, reports, and acts on GitHub.</summary>
    private static async Task<Monitored> RunAsync(MonitorSettings settings, CliContext cli, ActionRunner actions, CancellationToken cancellationToken)
    {
        var options = Options(settings);
        var (from, to) = Window(settings);
        var thresholds = new ServiceThresholds(Share(settings.MaxErrorRate, "--max-error-rate"),
            settings.MaxP99Milliseconds is > 0 and < 3_600_000 ? settings.MaxP99Milliseconds / 1000 : throw new MlopsException(
                $"--max-p99-ms {settings.MaxP99Milliseconds.ToString(CultureInfo.InvariantCulture)} is not a latency.", "Give milliseconds above 0, e.g. 500."));
        var health = HealthSource(settings);
        var interval = MetricsInterval(settings);
        var github = settings.GitHubIssue || settings.RetrainWorkflow is not null ? GitHubTarget.From(actions) : null;
        if (!Directory.Exists(settings.Log))
        {
            throw new NotFoundException($"The prediction log folder {settings.Log} does not exist.", "Give the folder the model server writes its prediction log to (--log DIR).");
        }
        if (settings.Bundle is { } folder && !Directory.Exists(folder))
        {
            throw new NotFoundException($"The bundle folder {folder} does not exist.", "Give an export bundle's folder (mlops models export), or --model name@alias.");
        }
        return await RegisteredBundle.UseAsync(settings.Bundle ?? settings.Model!, cli, async bundleFolder =>
        {
            var reference = Reference.Load(bundleFolder);
            var window = PredictionLog.Read(settings.Log, from, to);
            CheckSameModel(reference.Profile, window);
            var compared = WindowDrift.Compare(reference, window, options);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var service = health switch
            {
                (Uri url, true) => await ServiceHealthReader.FromPrometheusAsync(http, url, from ?? (to ?? DateTimeOffset.UtcNow) - TimeSpan.FromHours(24), to ?? DateTimeOffset.UtcNow, thresholds, cancellationToken),
                (Uri url, false) => await ServiceHealthReader.FromMetricsAsync(http, url, interval, thresholds, cancellationToken),
                _ => null,
            };
            var report = compared with
            {
                Model = compared.Model ?? reference.Profile.Model,
                Version = compared.Version ?? reference.Profile.Version,
                WindowStart = from,
                WindowEnd = to,
                Service = service ?? compared.Service,
            };
            if (settings.ReportFolder is { } reportFolder)
            {
                Directory.CreateDirectory(reportFolder);
                AtomicFile.WriteAllText(System.IO.Path.Combine(reportFolder, "drift.json"), RunJson.Write(DriftJson.Report(report)) + "\n");
                AtomicFile.WriteAllText(System.IO.Path.Combine(reportFolder, "drift.md"), DriftMarkdown.Build(report));
                AtomicFile.WriteAllText(System.IO.Path.Combine(reportFolder, "drift.html"), DriftHtml.Page(report));
            }
            var said = github is null ? "" : await OnGitHubAsync(github, settings, report, actions);
            return new Monitored(report, said);
        });
    }

    /// <summary>The drift issue and the retraining dispatch; what was done, in words.</summary>
    private static async Task<string> OnGitHubAsync(GitHubTarget target, MonitorSettings settings, DriftReport report, ActionRunner actions)
    {
        var model = report.Model ?? settings.Model ?? "model";
        var issues = new DriftIssue(actions, GitHubCalls.Client(target.ApiUrl, target.Token));
        var said = new System.Text.StringBuilder();
        if (settings.GitHubIssue)
        {
            var outcome = await issues.SyncAsync(target.Owner, target.Repository, model, report, target.RunUrl);
            said.Append(outcome.Action == "none" ? "No drift issue to open or close.\n" : $"Drift issue #{outcome.Number} {outcome.Action}: {outcome.Url}\n");
        }
        if (settings.RetrainWorkflow is { } workflow)
        {
            if (report.Healthy)
            {
                said.Append(CultureInfo.InvariantCulture, $"Healthy: {workflow} not started.\n");
            }
            else
            {
                await issues.DispatchRetrainingAsync(target.Owner, target.Repository, workflow, settings.RetrainRef, model, DriftText.Verdict(report));
                said.Append(CultureInfo.InvariantCulture, $"Started {workflow} on {settings.RetrainRef} to retrain {model}.\n");
            }
        }
        return said.Length == 0 ? "" : "\n" + said;
    }

    private static DriftOptions Options(MonitorSettings settings) =>
        Drift.DriftArguments.Build(settings.Mode, settings.Test, settings.Threshold, settings.DriftShare);

    private static double Share(double value, string what) => value is >= 0 and <= 1 ? value
        : throw new MlopsException($"{what} {value.ToString(CultureInfo.InvariantCulture)} is not a share.", "Give a number from 0 to 1, e.g. 0.01 for 1%.");

    /// <summary>The window: --since/--until as given, else the last --window (24h) before now.</summary>
    private static (DateTimeOffset? From, DateTimeOffset? To) Window(MonitorSettings settings)
    {
        var to = settings.Until is { } until ? Time(until, "--until") : DateTimeOffset.UtcNow;
        var from = settings.Since is { } since ? Time(since, "--since") : to - Arguments.Duration(settings.Window ?? "24h", "--window");
        return from < to ? (from, to) : throw new MlopsException($"The window starts at {from:O}, not before its end at {to:O}.", "Give --since before --until, or a --window above 0.");
    }

    private static DateTimeOffset Time(string text, string what) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time
        : throw new MlopsException($"{what} '{text}' is not a time.", "Write ISO 8601, e.g. 2026-05-01T00:00:00Z.");

    private static (Uri Url, bool Prometheus)? HealthSource(MonitorSettings settings) =>
        settings.PrometheusUrl is { } p ? (HttpUrl(p, "--prometheus"), true)
        : settings.MetricsUrl is { } m ? (HttpUrl(m, "--metrics"), false)
        : null;

    private static TimeSpan? MetricsInterval(MonitorSettings settings) =>
        settings.MetricsInterval is { } text ? Arguments.Duration(text, "--metrics-interval") : null;

    private static Uri HttpUrl(string text, string what) =>
        Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" ? url
        : throw new MlopsException($"{what} '{text}' is not an http(s) URL.", "E.g. http://prometheus:9090 or http://model:8080/metrics.");

    /// <summary>Rows of another model than the reference's are not its traffic: comparing them would report drift that is not there.</summary>
    private static void CheckSameModel(ReferenceProfile profile, PredictionWindow window)
    {
        if (profile.Model is not { } model)
        {
            return;
        }
        var others = window.Predictions.Select(p => p.Model).Where(m => m != model).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (others.Count > 0)
        {
            throw new MlopsException($"The prediction log holds rows of {string.Join(", ", others.Take(3))}, and the reference is {model}'s.",
                $"Give the log folder of {model}'s server, or the bundle of the model that wrote this log.");
        }
    }

    private static string? Path(string? path, string workspace) => path is null ? null : System.IO.Path.GetFullPath(path, workspace);
}

/// <summary>The repository the monitor acts on and the token it acts with, from the environment; the token is masked when read.</summary>
internal sealed record GitHubTarget(string Owner, string Repository, string Token, string ApiUrl, string? RunUrl)
{
    public static GitHubTarget From(ActionRunner actions)
    {
        var repository = actions.Variable("GITHUB_REPOSITORY") ?? throw new MlopsException("GITHUB_REPOSITORY is not set, so the monitor does not know which repository's issues to keep.",
            "Set GITHUB_REPOSITORY=owner/name (a workflow sets it).");
        var parts = repository.Split('/');
        if (parts.Length != 2 || parts.Any(p => p.Length == 0))
        {
            throw new MlopsException($"GITHUB_REPOSITORY is '{repository}', not owner/name.", "Set GITHUB_REPOSITORY=owner/name.");
        }
        var token = actions.Variable("GITHUB_TOKEN") ?? throw new MlopsException("GITHUB_TOKEN is not set.",
            "Set GITHUB_TOKEN (in a workflow: env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}, with issues: write and actions: write).");
        actions.Mask(token);
        if (token.Any(char.IsControl))
        {
            throw new MlopsException("GITHUB_TOKEN holds a line break or another control character, which no GitHub token has.", "Set the token alone.");
        }
        var server = actions.Variable("GITHUB_SERVER_URL") ?? "https://github.com";
        var run = actions.Variable("GITHUB_RUN_ID") is { } id ? $"{server}/{repository}/actions/runs/{id}" : null;
        return new GitHubTarget(parts[0], parts[1], token, actions.Variable("GITHUB_API_URL") ?? "https://api.github.com", run);
    }
}
