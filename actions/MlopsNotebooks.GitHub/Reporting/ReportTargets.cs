using System.Text.Json.Nodes;
using MlopsNotebooks.GitHub.Toolkit;

namespace MlopsNotebooks.GitHub.Reporting;

/// <summary>
/// Where the report step posts, and whether the pull request's number is only a claim (the <c>pull-request</c> input or
/// the report data, which a fork's own code wrote): a claimed pull request is posted on only if its head is
/// <see cref="ReportTarget.HeadSha"/>, the commit that ran (<see cref="PullRequestReporter.VerifyPullRequestAsync"/>).
/// </summary>
public sealed record TargetChoice(ReportTarget Target, bool Claimed);

/// <summary>Which pull request and commit the report step posts on, from the event that started it.</summary>
public static class ReportTargets
{
    /// <summary>
    /// From the pull_request payload; or for workflow_run, from the run that validated: its pull_requests list (empty for
    /// forks), else the <c>pull-request</c> input, else <paramref name="claimed"/> (the report data's pull request). The
    /// fork is GitHub's word (the payload), not the artifact's: the head repository differs from the base one.
    /// </summary>
    public static TargetChoice Choose(ActionRunner actions, int? claimed)
    {
        var (owner, repository) = actions.Variable("GITHUB_REPOSITORY")?.Split('/') is [var o, var r] ? (o, r)
            : throw new MlopsException("GITHUB_REPOSITORY is not owner/name.", "Run the report step in a GitHub Actions workflow.");
        var payload = GitHubEvent.Read(actions) ?? throw new MlopsException("There is no event payload (GITHUB_EVENT_PATH).", "Run the report step in a GitHub Actions workflow.");
        var server = actions.Variable("GITHUB_SERVER_URL") ?? "https://github.com";
        var eventName = actions.Variable("GITHUB_EVENT_NAME");
        string? Fork(JsonNode? head, JsonNode? baseRepository) =>
            (string?)head?["full_name"] is { } name && !string.Equals(name, (string?)baseRepository?["full_name"] ?? $"{owner}/{repository}", StringComparison.OrdinalIgnoreCase) ? name : null;
        if (eventName == "pull_request")
        {
            var pull = payload["pull_request"];
            return new TargetChoice(new ReportTarget(owner, repository, Number(pull?["number"]) ?? throw new MlopsException("The pull_request payload has no number.", "Check GITHUB_EVENT_PATH."),
                (string?)pull?["head"]?["sha"] ?? actions.Variable("GITHUB_SHA") ?? "", actions.Variable("GITHUB_WORKFLOW") ?? "mlops", server,
                $"{server}/{owner}/{repository}/actions/runs/{actions.Variable("GITHUB_RUN_ID")}", Fork(pull?["head"]?["repo"], pull?["base"]?["repo"])), Claimed: false);
        }
        if (eventName == "workflow_run")
        {
            var run = payload["workflow_run"] ?? throw new MlopsException("The workflow_run payload has no workflow_run.", "Check GITHUB_EVENT_PATH.");
            var headSha = (string?)run["head_sha"] ?? throw new MlopsException("The workflow_run payload has no head_sha.", "Check GITHUB_EVENT_PATH.");
            var listed = Number(run["pull_requests"]?.AsArray().FirstOrDefault()?["number"]);
            var number = actions.Input("pull-request") is { } input ? int.TryParse(input, out var n) ? n
                    : throw new MlopsException($"Input 'pull-request' is '{input}', not a number.", "Leave it out; the report data names the pull request.")
                : listed ?? claimed ?? throw new MlopsException("Cannot tell which pull request the validate run was for.",
                    "The report data has no pull_request: run the validate step on pull_request events.");
            return new TargetChoice(new ReportTarget(owner, repository, number, headSha, (string?)run["name"] ?? "mlops", server, (string?)run["html_url"],
                Fork(run["head_repository"], run["repository"] ?? payload["repository"])), Claimed: listed != number);
        }
        throw new MlopsException($"The report step runs on pull_request or workflow_run events, not {eventName ?? "none"}.",
            "Use the templates: validate on pull_request, report on workflow_run.");
    }

    private static int? Number(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<int>(out var n) ? n : int.TryParse(node?.ToString(), out var parsed) ? parsed : null;
}
