using MlopsNotebooks.GitHub.Toolkit;
using MlopsNotebooks.Validation;
using Octokit;

namespace MlopsNotebooks.GitHub.Reporting;

/// <summary>What the report step knows of where it runs: from the event payload and the runner's variables.
/// <see cref="Fork"/> names the fork the pull request comes from, if it does.</summary>
public sealed record ReportTarget(string Owner, string Repository, int PullRequest, string HeadSha, string Workflow, string ServerUrl, string? RunUrl, string? Fork = null);

/// <summary>What the report step did: the comment (updated or created) and the check run, if any.</summary>
public sealed record ReportOutcome(long CommentId, string CommentUrl, bool Updated, long? CheckRunId, bool Overflowed);

/// <summary>
/// Posts the report on the pull request: one comment per workflow, found again by its hidden marker and the bot's login
/// and updated in place (never a second one), plus a check run on the head commit. GitHub's refusals become messages
/// that say what to change; server errors are retried twice.
/// </summary>
public sealed class PullRequestReporter(ActionRunner actions, IGitHubClient github)
{
    private readonly GitHubCalls _calls = new(actions,
        "Give the job permissions: pull-requests: write and checks: write. On pull requests from forks the token is read-only: post from the workflow_run template instead.",
        "Check the repository and pull request number; a token without access to the repository also gets 404.",
        "report step");

    public static IGitHubClient Client(string apiUrl, string token) => GitHubCalls.Client(apiUrl, token);

    public async Task<ReportOutcome> PostAsync(ValidationReport report, ReportTarget target, string botLogin, bool checkRun)
    {
        var links = new ReportLinks(target.ServerUrl, $"{target.Owner}/{target.Repository}", target.HeadSha, target.RunUrl);
        var body = ReportMarkdown.Comment(report, target.Workflow, links, out var overflowed, target.Fork);
        if (overflowed)
        {
            actions.AppendSummary(ReportMarkdown.Build(report, target.Workflow, links, fork: target.Fork));
            actions.Warning($"The report is over GitHub's {ReportMarkdown.CommentLimit:N0}-character comment limit: the comment is shortened and the whole report is in the job summary.");
        }
        var marker = ReportMarkdown.Marker(target.Workflow);
        var comments = await Call("read the pull request's comments", () => github.Issue.Comment.GetAllForIssue(target.Owner, target.Repository, target.PullRequest));
        var mine = comments.FirstOrDefault(c => c.User?.Login == botLogin && (c.Body?.Contains(marker, StringComparison.Ordinal) ?? false));
        var comment = mine is null
            ? await Call("comment on the pull request", () => github.Issue.Comment.Create(target.Owner, target.Repository, target.PullRequest, body))
            : await Call("update the report comment", () => github.Issue.Comment.Update(target.Owner, target.Repository, mine.Id, body));
        long? checkRunId = null;
        if (checkRun)
        {
            var passed = report.Passed;
            var summary = ReportMarkdown.Build(report, target.Workflow, links, charts: false, detail: false, fork: target.Fork);
            var title = (passed ? "All checks passed" : "Checks failed") + (target.Fork is null ? "" : ", as the fork's own workflow run reported");
            var run = await Call("create the check run", () => github.Check.Run.Create(target.Owner, target.Repository, new NewCheckRun($"MLOps: {target.Workflow}", target.HeadSha)
            {
                Status = CheckStatus.Completed,
                Conclusion = passed ? CheckConclusion.Success : CheckConclusion.Failure,
                Output = new NewCheckRunOutput(title, summary.Length > 65_535 ? summary[..65_000] : summary),
            }));
            checkRunId = run.Id;
        }
        return new ReportOutcome(comment.Id, comment.HtmlUrl, mine is not null, checkRunId, overflowed);
    }

    /// <summary>The pull request a workflow_run's artifact claims, accepted only if its head is the commit that ran.</summary>
    public async Task<int> VerifyPullRequestAsync(string owner, string repository, int number, string headSha)
    {
        var pull = await Call("read the pull request", () => github.PullRequest.Get(owner, repository, number));
        return pull.Head?.Sha == headSha ? number : throw new ConflictException(
            $"Pull request #{number} is at {pull.Head?.Sha ?? "an unknown commit"}, not at {headSha}, the commit the validate workflow ran on.",
            "The report data names another pull request (or the pull request moved on); nothing was posted.");
    }

    private Task<T> Call<T>(string what, Func<Task<T>> call) => _calls.Call(what, call);
}
