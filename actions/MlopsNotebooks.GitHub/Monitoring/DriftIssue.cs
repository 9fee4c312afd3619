using MlopsNotebooks.GitHub.Toolkit;
using MlopsNotebooks.Monitoring;
using Octokit;

namespace MlopsNotebooks.GitHub.Monitoring;

/// <summary>What the monitor did on GitHub: the drift issue's fate ("opened", "updated", "closed" or "none"), and the retraining it started.</summary>
public sealed record DriftIssueOutcome(string Action, int? Number, string? Url);

/// <summary>
/// One open issue per model while its monitor finds it unhealthy: found again by its label and the hidden marker in its
/// body (never a second one), opened when the report is not healthy, its body replaced while it stays so, closed with
/// a comment when the model is healthy again; nothing when healthy and no issue is open. Retraining is a
/// workflow_dispatch of a named workflow with the model and the reason as inputs.
/// </summary>
public sealed class DriftIssue(ActionRunner actions, IGitHubClient github)
{
    public const string Label = "mlops-drift";

    /// <summary>GitHub refuses issue bodies over 65,536 characters.</summary>
    public const int BodyLimit = 65_000;

    private readonly GitHubCalls _calls = new(actions,
        "Give the job permissions: issues: write (and actions: write to start retraining).",
        "Check GITHUB_REPOSITORY and the workflow file's name; a token without access to the repository also gets 404.",
        "monitor step");

    /// <summary>The hidden marker that names the model's issue; the name is URL-escaped, so no name can end the comment.</summary>
    public static string Marker(string model) => $"<!-- mlops-drift model={Uri.EscapeDataString(model)} -->";

    public static string Body(string model, DriftReport report, string? runUrl)
    {
        var markdown = DriftMarkdown.Build(report);
        var footer = (runUrl is null ? "" : $"\n[The monitor's run]({runUrl}), with the HTML report as an artifact.\n") + "\n" + Marker(model) + "\n";
        if (markdown.Length + footer.Length > BodyLimit)
        {
            markdown = markdown[..(BodyLimit - footer.Length - 80)] + "\n\n(shortened: the whole report is drift.md in the run's artifact)\n";
        }
        return markdown + footer;
    }

    public async Task<DriftIssueOutcome> SyncAsync(string owner, string repository, string model, DriftReport report, string? runUrl)
    {
        var marker = Marker(model);
        var request = new RepositoryIssueRequest { State = ItemStateFilter.Open, Filter = IssueFilter.All };
        request.Labels.Add(Label);
        var issues = await _calls.Call("read the repository's drift issues", () => github.Issue.GetAllForRepository(owner, repository, request));
        var open = issues.FirstOrDefault(i => i.PullRequest is null && (i.Body?.Contains(marker, StringComparison.Ordinal) ?? false));
        if (report.Healthy)
        {
            if (open is null)
            {
                return new DriftIssueOutcome("none", null, null);
            }
            await _calls.Call("comment on the drift issue", () => github.Issue.Comment.Create(owner, repository, open.Number,
                $"{Markdown.Text(Views.DriftText.Verdict(report))}\n\nClosing: the model is healthy again."));
            var closed = await _calls.Call("close the drift issue", () => github.Issue.Update(owner, repository, open.Number,
                new IssueUpdate { State = ItemState.Closed, StateReason = ItemStateReason.Completed }));
            return new DriftIssueOutcome("closed", closed.Number, closed.HtmlUrl);
        }
        var body = Body(model, report, runUrl);
        if (open is not null)
        {
            var updated = await _calls.Call("update the drift issue", () => github.Issue.Update(owner, repository, open.Number, new IssueUpdate { Body = body }));
            return new DriftIssueOutcome("updated", updated.Number, updated.HtmlUrl);
        }
        var issue = new NewIssue($"Drift: {Tracking.Names.Printable(model)} is not healthy") { Body = body };
        issue.Labels.Add(Label);
        var created = await _calls.Call("open the drift issue", () => github.Issue.Create(owner, repository, issue));
        return new DriftIssueOutcome("opened", created.Number, created.HtmlUrl);
    }

    /// <summary>Starts the retraining workflow (its file name, e.g. retrain.yml) on <paramref name="reference"/> with inputs model and reason.</summary>
    public async Task DispatchRetrainingAsync(string owner, string repository, string workflow, string reference, string model, string reason)
    {
        var dispatch = new CreateWorkflowDispatch(reference)
        {
            // GitHub caps an input's value; the reason is the verdict, one line.
            Inputs = new Dictionary<string, object> { ["model"] = model, ["reason"] = reason.Length <= 1000 ? reason : reason[..1000] },
        };
        await _calls.Call($"start the retraining workflow {workflow}", async () =>
        {
            await github.Actions.Workflows.CreateDispatch(owner, repository, workflow, dispatch);
            return true;
        });
    }
}
