using System.Text.Json.Nodes;
using MlopsNotebooks.GitHub.Reporting;
using MlopsNotebooks.GitHub.Toolkit;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Actions;

/// <summary>Which pull request the report step posts on, from the event GitHub sent (@octokit/webhooks-examples payloads).</summary>
public sealed class ReportTargetTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static JsonObject Payload(string name, string action)
    {
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(Programs.RepositoryRoot, "tests", "tools", "node_modules", "@octokit", "webhooks-examples", "api.github.com", "index.json")))!.AsArray();
        return (JsonObject)index.Single(e => (string?)e!["name"] == name)!["examples"]!.AsArray().First(e => (string?)e!["action"] == action)!.DeepClone();
    }

    private TargetChoice Choose(string eventName, JsonObject payload, int? claimed, Dictionary<string, string>? extra = null)
    {
        File.WriteAllText(_dir.File("event.json"), payload.ToJsonString());
        var environment = new Dictionary<string, string>
        {
            ["GITHUB_EVENT_NAME"] = eventName, ["GITHUB_EVENT_PATH"] = _dir.File("event.json"), ["GITHUB_REPOSITORY"] = "Codertocat/Hello-World",
            ["GITHUB_WORKFLOW"] = "MLOps validate", ["GITHUB_RUN_ID"] = "42",
        };
        foreach (var (k, v) in extra ?? [])
        {
            environment[k] = v;
        }
        return ReportTargets.Choose(new ActionRunner(environment, new StringWriter()), claimed);
    }

    [Fact]
    public void A_pull_request_event_posts_on_its_own_pull_request_at_its_head_and_believes_it()
    {
        var payload = Payload("pull_request", "opened");
        var (target, claimed) = Choose("pull_request", payload, claimed: 99);
        Assert.False(claimed);
        Assert.Equal(new ReportTarget("Codertocat", "Hello-World", payload["number"]!.GetValue<int>(), (string)payload["pull_request"]!["head"]!["sha"]!,
            "MLOps validate", "https://github.com", "https://github.com/Codertocat/Hello-World/actions/runs/42"), target);
    }

    [Fact]
    public void A_forks_workflow_run_posts_on_the_claimed_pull_request_only_after_checking_and_names_the_fork()
    {
        var payload = Payload("workflow_run", "completed");
        Assert.Empty(payload["workflow_run"]!["pull_requests"]!.AsArray());
        payload["workflow_run"]!["head_repository"]!["full_name"] = "someone/octo-repo";
        var (target, claimed) = Choose("workflow_run", payload, claimed: 1347);
        Assert.True(claimed);
        Assert.Equal((1347, (string)payload["workflow_run"]!["head_sha"]!, "someone/octo-repo"), (target.PullRequest, target.HeadSha, target.Fork));

        // GitHub's own list is believed; the same repository is no fork, whatever the case of its name.
        payload["workflow_run"]!["pull_requests"] = new JsonArray(new JsonObject { ["number"] = 5 });
        payload["workflow_run"]!["head_repository"]!["full_name"] = ((string)payload["workflow_run"]!["repository"]!["full_name"]!).ToUpperInvariant();
        (target, claimed) = Choose("workflow_run", payload, claimed: 1347);
        Assert.False(claimed);
        Assert.Equal((5, (string?)null), (target.PullRequest, target.Fork));

        // The input overrides both, and is a claim unless GitHub listed the same number.
        (_, claimed) = Choose("workflow_run", payload, claimed: null, new() { ["INPUT_PULL-REQUEST"] = "6" });
        Assert.True(claimed);
    }

    [Theory]
    [InlineData("push", null, "runs on pull_request or workflow_run events, not push")]
    [InlineData("workflow_run", null, "Cannot tell which pull request the validate run was for")]
    [InlineData("workflow_run", "twelve", "Input 'pull-request' is 'twelve', not a number")]
    public void An_event_that_names_no_pull_request_is_a_message(string eventName, string? input, string message)
    {
        var extra = input is null ? null : new Dictionary<string, string> { ["INPUT_PULL-REQUEST"] = input };
        var error = Assert.ThrowsAny<MlopsException>(() => Choose(eventName, Payload("workflow_run", "completed"), claimed: null, extra));
        Assert.Contains(message, error.Message);
        Assert.NotNull(error.Hint);
    }

    [Fact]
    public void A_repository_that_is_not_owner_and_name_is_a_message()
    {
        var error = Assert.ThrowsAny<MlopsException>(() => Choose("pull_request", Payload("pull_request", "opened"), null, new() { ["GITHUB_REPOSITORY"] = "just-a-name" }));
        Assert.Equal("GITHUB_REPOSITORY is not owner/name.", error.Message);
    }
}
