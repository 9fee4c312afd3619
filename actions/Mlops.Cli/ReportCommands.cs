using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using MlopsNotebooks.GitHub.Reporting;
using MlopsNotebooks.GitHub.Toolkit;

namespace MlopsNotebooks.Cli;

/// <summary>
/// <c>mlops action report</c>: the report action. It reads the report data the validate step wrote (on a fork's pull
/// request, downloaded from its artifact by a workflow_run job that never runs the pull request's code) and posts it.
/// </summary>
internal static class ReportCommands
{
    public static Command ActionReport()
    {
        var command = new Command("report", "The report action: post the report data on the pull request as one sticky comment and a check run.");
        command.SetAction(async (parse, _) =>
        {
            var actions = ActionRunner.FromProcess();
            var token = actions.Input("github-token") ?? throw new MlopsException("Input 'github-token' is missing.",
                "Pass github-token: ${{ secrets.GITHUB_TOKEN }}, with permissions pull-requests: write and checks: write.");
            actions.Mask(token);
            if (token.Any(char.IsControl))
            {
                throw new MlopsException("Input 'github-token' holds a line break or another control character, which no GitHub token has.",
                    "Pass the token alone: github-token: ${{ secrets.GITHUB_TOKEN }}.");
            }
            var workspace = actions.Variable("GITHUB_WORKSPACE") ?? Directory.GetCurrentDirectory();
            var reportPath = Path.GetFullPath(actions.Input("report-path") ?? Path.Combine(".mlops", "report", "report.json"), workspace);
            if (Directory.Exists(reportPath))
            {
                reportPath = Path.Combine(reportPath, "report.json");
            }
            if (!File.Exists(reportPath))
            {
                throw new MlopsException($"There is no report data at {reportPath}.", "Run the validate step first (in the workflow_run job, download its mlops-report artifact) and pass report-path.");
            }
            var report = ReportData.Read(File.ReadAllText(reportPath), reportPath);

            var (owner, repository) = actions.Variable("GITHUB_REPOSITORY")?.Split('/') is [var o, var r] ? (o, r)
                : throw new MlopsException("GITHUB_REPOSITORY is not owner/name.", "Run the report step in a GitHub Actions workflow.");
            var github = PullRequestReporter.Client(actions.Variable("GITHUB_API_URL") ?? "https://api.github.com", token);
            var reporter = new PullRequestReporter(actions, github);
            var target = await Target(actions, report, owner, repository, reporter);
            var outcome = await reporter.PostAsync(report, target, actions.Input("bot-login") ?? "github-actions[bot]", actions.BooleanInput("check-run", true));
            actions.SetOutput("comment-id", outcome.CommentId.ToString(CultureInfo.InvariantCulture));
            actions.SetOutput("comment-url", outcome.CommentUrl ?? "");
            actions.SetOutput("check-run-id", outcome.CheckRunId?.ToString(CultureInfo.InvariantCulture) ?? "");
            actions.SetOutput("passed", report.Passed ? "true" : "false");
            actions.Log($"{(outcome.Updated ? "Updated" : "Posted")} the report on pull request #{target.PullRequest}: {outcome.CommentUrl}");
            return MlopsCli.Ok;
        });
        return command;
    }

    // Which pull request and commit: from the pull_request payload, or for workflow_run from the run that validated
    // (its pull_requests list, empty for forks, else the report data's claim, checked against the head commit).
    private static async Task<ReportTarget> Target(ActionRunner actions, ReportData report, string owner, string repository, PullRequestReporter reporter)
    {
        var payload = GitHubEvent.Read(actions) ?? throw new MlopsException("There is no event payload (GITHUB_EVENT_PATH).", "Run the report step in a GitHub Actions workflow.");
        var server = actions.Variable("GITHUB_SERVER_URL") ?? "https://github.com";
        var eventName = actions.Variable("GITHUB_EVENT_NAME");
        int? Number(JsonNode? node) => node is JsonValue v && v.TryGetValue<int>(out var n) ? n : int.TryParse(node?.ToString(), out var parsed) ? parsed : null;
        // GitHub's own word (the payload), not the artifact's: the head repository differs from the base one.
        string? Fork(JsonNode? head, JsonNode? baseRepository) =>
            (string?)head?["full_name"] is { } name && !string.Equals(name, (string?)baseRepository?["full_name"] ?? $"{owner}/{repository}", StringComparison.OrdinalIgnoreCase) ? name : null;
        if (eventName == "pull_request")
        {
            var pull = payload["pull_request"];
            return new ReportTarget(owner, repository, Number(pull?["number"]) ?? throw new MlopsException("The pull_request payload has no number.", "Check GITHUB_EVENT_PATH."),
                (string?)pull?["head"]?["sha"] ?? actions.Variable("GITHUB_SHA") ?? "", actions.Variable("GITHUB_WORKFLOW") ?? "mlops", server,
                $"{server}/{owner}/{repository}/actions/runs/{actions.Variable("GITHUB_RUN_ID")}", Fork(pull?["head"]?["repo"], pull?["base"]?["repo"]));
        }
        if (eventName == "workflow_run")
        {
            var run = payload["workflow_run"] ?? throw new MlopsException("The workflow_run payload has no workflow_run.", "Check GITHUB_EVENT_PATH.");
            var headSha = (string?)run["head_sha"] ?? throw new MlopsException("The workflow_run payload has no head_sha.", "Check GITHUB_EVENT_PATH.");
            var listed = Number(run["pull_requests"]?.AsArray().FirstOrDefault()?["number"]);
            var number = actions.Input("pull-request") is { } input ? int.TryParse(input, out var n) ? n
                    : throw new MlopsException($"Input 'pull-request' is '{input}', not a number.", "Leave it out; the report data names the pull request.")
                : listed ?? report.PullRequest ?? throw new MlopsException("Cannot tell which pull request the validate run was for.",
                    "The report data has no pull_request: run the validate step on pull_request events.");
            if (listed != number)
            {
                // Not GitHub's own list: the artifact (written by the pull request's code) says it; believe it only for its head commit.
                await reporter.VerifyPullRequestAsync(owner, repository, number, headSha);
            }
            return new ReportTarget(owner, repository, number, headSha, (string?)run["name"] ?? "mlops", server, (string?)run["html_url"],
                Fork(run["head_repository"], run["repository"] ?? payload["repository"]));
        }
        throw new MlopsException($"The report step runs on pull_request or workflow_run events, not {eventName ?? "none"}.",
            "Use the templates: validate on pull_request, report on workflow_run.");
    }
}
