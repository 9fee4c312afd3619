using System.Net;
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
    public static IGitHubClient Client(string apiUrl, string token) => new GitHubClient(new Connection(
        new ProductHeaderValue("mlops-notebooks"), new Uri(apiUrl.TrimEnd('/') + "/"), new Octokit.Internal.InMemoryCredentialStore(new Credentials(token))));

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

    private async Task<T> Call<T>(string what, Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (ApiException e) when ((int)e.StatusCode >= 500 && attempt < 3)
            {
                actions.Log($"GitHub answered {(int)e.StatusCode} when trying to {what}; trying again.");
                await Task.Delay(TimeSpan.FromSeconds(attempt * 2));
            }
            catch (ApiException e)
            {
                throw Explain(what, e);
            }
            catch (HttpRequestException e) when (attempt < 3)
            {
                actions.Log($"GitHub could not be reached when trying to {what} ({e.Message}); trying again.");
                await Task.Delay(TimeSpan.FromSeconds(attempt * 2));
            }
            catch (HttpRequestException e)
            {
                throw new UnavailableException($"GitHub could not be reached when trying to {what}: {actions.Redact(e.Message)}",
                    "Check GITHUB_API_URL and the runner's network, then run the job again.");
            }
            catch (TaskCanceledException e)
            {
                throw new UnavailableException($"GitHub did not answer in time when trying to {what}: {actions.Redact(e.Message)}", "Run the job again.");
            }
            catch (System.Runtime.Serialization.SerializationException e)
            {
                // Octokit reads GitHub's answer as JSON of the documented shape; anything else (a proxy's HTML page) lands here.
                throw new UnavailableException($"GitHub's answer when trying to {what} is not what GitHub's API returns ({e.GetType().Name}: {actions.Redact(e.Message)}).",
                    "Check GITHUB_API_URL: it must be GitHub's REST API (https://api.github.com or https://<host>/api/v3).");
            }
        }
    }

    private MlopsException Explain(string what, ApiException e)
    {
        var detail = actions.Redact(e.ApiError?.Message ?? e.Message);
        var errors = e.ApiError?.Errors is { Count: > 0 } list ? " (" + string.Join("; ", list.Select(x => actions.Redact($"{x.Field} {x.Code} {x.Message}".Trim()))) + ")" : "";
        var status = (int)e.StatusCode;
        return e.StatusCode switch
        {
            HttpStatusCode.Unauthorized => new MlopsException($"GitHub refused the token ({status}) when trying to {what}: {detail}.",
                "Pass github-token: ${{ secrets.GITHUB_TOKEN }} (or a token that is still valid)."),
            HttpStatusCode.Forbidden => new MlopsException($"GitHub did not allow the token to {what} ({status}): {detail}.",
                "Give the job permissions: pull-requests: write and checks: write. On pull requests from forks the token is read-only: post from the workflow_run template instead."),
            HttpStatusCode.NotFound => new NotFoundException($"GitHub found nothing when trying to {what} ({status}): {detail}.",
                "Check the repository and pull request number; a token without access to the repository also gets 404."),
            HttpStatusCode.UnprocessableEntity => new MlopsException($"GitHub rejected the request to {what} ({status}): {detail}{errors}.",
                "This is a bug of the report step if the message names a field; report it."),
            _ => new UnavailableException($"GitHub answered {status} when trying to {what}: {detail}.", "GitHub may be having trouble; run the job again."),
        };
    }
}
