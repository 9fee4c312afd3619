using System.Text.Json.Nodes;
using MlopsNotebooks.GitHub.Monitoring;
using MlopsNotebooks.GitHub.Toolkit;
using MlopsNotebooks.Monitoring;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Monitoring;

/// <summary>
/// The model's drift issue and the retraining dispatch against Prism serving GitHub's OpenAPI description: every call
/// checked against the description, the issue found again by its marker, GitHub's refusals turned into clear errors.
/// </summary>
public sealed class MonitorIssueTests
{
    private const string Owner = "Codertocat";
    private const string Repo = "Hello-World";
    private const string IssuesPath = "/repos/Codertocat/Hello-World/issues";

    private static readonly DriftReport Unhealthy = DriftViewTests.Report("plan");

    private static readonly DriftReport Healthy = DriftViewTests.Report("plan") with
    {
        Columns = [DriftViewTests.Drift("tenure", DriftTests.KolmogorovSmirnov, 0.04, 0.31, drifted: false)],
        Prediction = null,
        Metric = null,
    };

    private static DriftIssue Issue(GitHubApi github) =>
        new(new ActionRunner(new Dictionary<string, string>(), new StringWriter()), GitHubCalls.Client(github.Address.ToString(), "ghs_test"));

    /// <summary>The open issues GitHub lists: one per (number, body).</summary>
    private static string Listed(params (int Number, string Body)[] issues) => new JsonArray(issues.Select(i => (JsonNode)new JsonObject
    {
        ["id"] = 1000 + i.Number,
        ["number"] = i.Number,
        ["title"] = "Drift",
        ["body"] = i.Body,
        ["state"] = "open",
        ["html_url"] = $"https://github.com/{Owner}/{Repo}/issues/{i.Number}",
        ["labels"] = new JsonArray(new JsonObject { ["name"] = DriftIssue.Label }),
    }).ToArray()).ToJsonString();

    private static List<GitHubRequest> Calls(GitHubApi github)
    {
        var calls = github.Requests.ToList();
        Assert.All(calls, c => Assert.NotEqual(422, c.PrismStatus)); // every request as GitHub's description has it
        return calls;
    }

    [Fact]
    public async Task An_unhealthy_model_without_an_issue_gets_one_labelled_with_the_report_and_the_marker()
    {
        using var github = await GitHubApi.StartAsync();
        github.Answer("GET", IssuesPath, _ => (200, Listed((3, "Another issue, not ours."), (4, "Drift of " + DriftIssue.Marker("fraud")))));

        var outcome = await Issue(github).SyncAsync(Owner, Repo, "churn", Unhealthy, "https://github.com/o/r/actions/runs/1");

        Assert.Equal("opened", outcome.Action);
        var calls = Calls(github);
        Assert.Equal(["GET", "POST"], calls.Select(c => c.Method));
        Assert.Contains("labels=mlops-drift", calls[0].Path);
        Assert.Contains("state=open", calls[0].Path);
        var created = JsonNode.Parse(calls[1].Body)!;
        Assert.Equal(IssuesPath, calls[1].Path);
        Assert.Equal("mlops-drift", (string)created["labels"]![0]!);
        Assert.Contains(DriftIssue.Marker("churn"), (string)created["body"]!);
        Assert.Contains("```mermaid", (string)created["body"]!);
    }

    [Fact]
    public async Task An_unhealthy_model_with_its_issue_open_gets_the_issue_body_replaced_not_a_second_issue()
    {
        using var github = await GitHubApi.StartAsync();
        github.Answer("GET", IssuesPath, _ => (200, Listed((7, "old report\n" + DriftIssue.Marker("churn")))));

        var outcome = await Issue(github).SyncAsync(Owner, Repo, "churn", Unhealthy, null);

        Assert.Equal("updated", outcome.Action);
        var calls = Calls(github);
        Assert.Equal(["GET", "PATCH"], calls.Select(c => c.Method));
        Assert.Equal(IssuesPath + "/7", calls[1].Path);
        Assert.Contains("NOT healthy", (string)JsonNode.Parse(calls[1].Body)!["body"]!);
    }

    [Fact]
    public async Task A_healthy_model_with_its_issue_open_gets_a_comment_and_the_issue_closed()
    {
        using var github = await GitHubApi.StartAsync();
        github.Answer("GET", IssuesPath, _ => (200, Listed((7, DriftIssue.Marker("churn")))));

        var outcome = await Issue(github).SyncAsync(Owner, Repo, "churn", Healthy, null);

        Assert.Equal("closed", outcome.Action);
        var calls = Calls(github);
        Assert.Equal(["GET", "POST", "PATCH"], calls.Select(c => c.Method));
        Assert.Equal(IssuesPath + "/7/comments", calls[1].Path);
        Assert.Contains("healthy again", (string)JsonNode.Parse(calls[1].Body)!["body"]!);
        Assert.Equal("closed", (string)JsonNode.Parse(calls[2].Body)!["state"]!);
    }

    [Fact]
    public async Task A_healthy_model_without_an_issue_makes_no_change_on_github()
    {
        using var github = await GitHubApi.StartAsync();
        github.Answer("GET", IssuesPath, _ => (200, "[]"));

        var outcome = await Issue(github).SyncAsync(Owner, Repo, "churn", Healthy, null);

        Assert.Equal("none", outcome.Action);
        Assert.Equal(["GET"], Calls(github).Select(c => c.Method));
    }

    [Fact]
    public async Task Retraining_is_a_workflow_dispatch_with_the_model_and_the_reason()
    {
        using var github = await GitHubApi.StartAsync();

        await Issue(github).DispatchRetrainingAsync(Owner, Repo, "retrain.yml", "main", "churn", "churn v3: NOT healthy");

        var call = Assert.Single(Calls(github));
        Assert.Equal("POST", call.Method);
        Assert.Equal("/repos/Codertocat/Hello-World/actions/workflows/retrain.yml/dispatches", call.Path);
        var body = JsonNode.Parse(call.Body)!;
        Assert.Equal("main", (string)body["ref"]!);
        Assert.Equal("churn", (string)body["inputs"]!["model"]!);
        Assert.Equal("churn v3: NOT healthy", (string)body["inputs"]!["reason"]!);
    }

    [Fact]
    public async Task A_token_without_permission_or_a_missing_workflow_is_a_clear_error_naming_what_to_change()
    {
        using var github = await GitHubApi.StartAsync();
        github.Answer("GET", IssuesPath, _ => (403, "{\"message\":\"Resource not accessible by integration\"}"));
        github.Answer("POST", "/repos/Codertocat/Hello-World/actions/workflows/", _ => (404, "{\"message\":\"Not Found\"}"));

        var forbidden = await Assert.ThrowsAnyAsync<MlopsException>(() => Issue(github).SyncAsync(Owner, Repo, "churn", Unhealthy, null));
        var missing = await Assert.ThrowsAnyAsync<MlopsException>(() => Issue(github).DispatchRetrainingAsync(Owner, Repo, "nope.yml", "main", "churn", "r"));

        Assert.Contains("did not allow the token to read the repository's drift issues (403)", forbidden.Message);
        Assert.Contains("issues: write", forbidden.Hint);
        Assert.Equal(ErrorKind.NotFound, missing.Kind);
        Assert.Contains("start the retraining workflow nope.yml", missing.Message);
        Assert.Contains("workflow file", missing.Hint);
        Assert.DoesNotContain("ghs_test", forbidden.Message + forbidden.Hint + missing.Message + missing.Hint);
    }

    [Fact]
    public void A_model_name_cannot_end_the_hidden_marker_or_pass_for_another_models()
    {
        var marker = DriftIssue.Marker("a-->b <script>");

        Assert.StartsWith("<!-- mlops-drift model=", marker);
        Assert.Equal(marker.Length - 3, marker.IndexOf("-->", StringComparison.Ordinal));
        Assert.DoesNotContain(DriftIssue.Marker("churn"), DriftIssue.Marker("churn2"));
    }
}
