using System.Text.Json.Nodes;
using MlopsNotebooks.GitHub.Reporting;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Actions;

/// <summary>
/// The report action as a process in a runner-like environment, every GitHub call going to Prism (GitHub's OpenAPI
/// description), with event payloads from @octokit/webhooks-examples.
/// </summary>
public sealed class ReportTests : IDisposable
{
    private const string Token = "ghs_TESTTOKENdoNotPrint0123456789";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A recorded webhook payload GitHub sends for the event (the first example with that action).</summary>
    private static JsonObject Payload(string name, string action)
    {
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(Programs.RepositoryRoot, "tests", "tools", "node_modules", "@octokit", "webhooks-examples", "api.github.com", "index.json")))!.AsArray();
        var examples = index.Single(e => (string?)e!["name"] == name)!["examples"]!.AsArray();
        return (JsonObject)examples.First(e => (string?)e!["action"] == action)!.DeepClone();
    }

    internal static JsonObject Report(bool passed = true, int failures = 0) => new()
    {
        ["passed"] = passed,
        ["notebooks"] = new JsonArray(new JsonObject
        {
            ["notebook"] = "notebooks/churn.ipynb", ["cells_run"] = 8, ["runs"] = new JsonArray("a1", "b2"),
            ["failure"] = failures == 0 ? null : new JsonObject { ["cell"] = 3, ["source_cell"] = 3, ["line"] = 2, ["file_line"] = 40, ["kind"] = "Exception", ["message"] = "boom | <b>bold</b>" },
        }),
        ["runs"] = new JsonArray(
            new JsonObject { ["run_id"] = "a1", ["run_name"] = "fasttree", ["params"] = new JsonObject { ["trainer"] = "FastTree", ["seed"] = "42" },
                ["history"] = new JsonObject { ["auc"] = new JsonArray(new JsonArray(1, 0.7), new JsonArray(2, 0.8)) },
                ["inputs"] = new JsonArray(new JsonObject { ["path"] = "notebooks/data/churn.csv", ["hash"] = "sha256:ff90acb24889f92c63a9" }) },
            new JsonObject { ["run_id"] = "b2", ["run_name"] = "sdca", ["params"] = new JsonObject { ["trainer"] = "Sdca", ["seed"] = "42" },
                ["history"] = new JsonObject { ["auc"] = new JsonArray(new JsonArray(1, 0.75), new JsonArray(2, 0.82)) } }),
        ["data"] = new JsonArray(new JsonObject
        {
            ["data"] = "notebooks/data/churn.csv", ["schema"] = "notebooks/data/churn.schema.yaml", ["passed"] = failures == 0,
            ["violations"] = new JsonArray([.. Enumerable.Range(0, failures).Select(i => (JsonNode)new JsonObject { ["column"] = "plan", ["line"] = i + 2, ["message"] = $"column plan problem {i} " + new string('x', 200) })]),
        }),
        ["candidate"] = new JsonObject { ["auc"] = 0.82, ["accuracy"] = 0.77 },
        ["baseline"] = new JsonObject { ["auc"] = 0.8 },
        ["baseline_source"] = "origin/main:metrics/baseline.json",
        ["gates"] = new JsonArray(new JsonObject { ["gate"] = "auc >= 0.8", ["passed"] = passed, ["detail"] = "auc = 0.82" }),
        ["candidate_params"] = new JsonObject { ["trainer"] = "Sdca", ["seed"] = "42", ["l2"] = "0.1" },
        ["baseline_params"] = new JsonObject { ["trainer"] = "FastTree", ["seed"] = "42" },
        ["candidate_data"] = new JsonObject { ["notebooks/data/churn.csv"] = "sha256:ff90acb24889f92c63a9df3d" },
        ["baseline_data"] = new JsonObject { ["notebooks/data/churn.csv"] = "sha256:0123456789abcdef0123456789" },
        ["pull_request"] = 1347,
        ["head_sha"] = "6dcb09b5b57875f334f61aebed695e2e4193db5e",
    };

    private async Task<(int Code, string Stdout, string Stderr, string Summary, IReadOnlyList<GitHubRequest> Requests)> RunReport(
        GitHubApi github, JsonObject report, string eventName, JsonObject payload, Dictionary<string, string?>? inputs = null, string? apiUrl = null)
    {
        var reportPath = _dir.File("report/report.json");
        Directory.CreateDirectory(Path.GetDirectoryName(reportPath)!);
        File.WriteAllText(reportPath, report.ToJsonString());
        File.WriteAllText(_dir.File("event.json"), payload.ToJsonString());
        File.WriteAllText(_dir.File("output"), "");
        File.WriteAllText(_dir.File("summary"), "");
        var environment = new Dictionary<string, string?>
        {
            ["GITHUB_ACTIONS"] = "true",
            ["GITHUB_WORKSPACE"] = _dir.Path,
            ["GITHUB_OUTPUT"] = _dir.File("output"),
            ["GITHUB_STEP_SUMMARY"] = _dir.File("summary"),
            ["GITHUB_EVENT_NAME"] = eventName,
            ["GITHUB_EVENT_PATH"] = _dir.File("event.json"),
            ["GITHUB_REPOSITORY"] = "Codertocat/Hello-World",
            ["GITHUB_API_URL"] = apiUrl ?? github.Address.ToString().TrimEnd('/'),
            ["GITHUB_SERVER_URL"] = "https://github.com",
            ["GITHUB_WORKFLOW"] = "MLOps validate",
            ["GITHUB_RUN_ID"] = "42",
            ["INPUT_GITHUB-TOKEN"] = Token,
            ["INPUT_REPORT-PATH"] = "report",
        };
        foreach (var (k, v) in inputs ?? [])
        {
            environment["INPUT_" + k.ToUpperInvariant()] = v;
        }
        var (code, stdout, stderr) = await Task.Run(() => Programs.Run(Programs.Mlops, ["action", "report"], _dir.Path, environment, timeoutSeconds: 120));
        // The one place it may appear: the add-mask command, which the runner reads and never shows.
        Assert.DoesNotContain(Token, string.Join('\n', stdout.Split('\n').Where(l => !l.StartsWith($"::add-mask::{Token}", StringComparison.Ordinal))) + stderr);
        Assert.DoesNotContain(Token, File.ReadAllText(_dir.File("summary")) + File.ReadAllText(_dir.File("output")));
        Assert.DoesNotContain(github.Requests, r => r.PrismStatus == 422); // Prism found every request valid against GitHub's description
        return (code, stdout, stderr, File.ReadAllText(_dir.File("summary")), github.Requests);
    }

    [Fact]
    public async Task On_a_pull_request_it_posts_one_comment_and_a_check_run()
    {
        using var github = await GitHubApi.StartAsync();
        var payload = Payload("pull_request", "opened");
        var (code, stdout, stderr, _, requests) = await RunReport(github, Report(passed: false, failures: 1), "pull_request", payload);
        Assert.True(code == 0, stdout + stderr);
        var number = payload["number"]!.GetValue<int>();
        Assert.Equal(["GET", "POST", "POST"], requests.Select(r => r.Method));
        Assert.StartsWith($"/repos/Codertocat/Hello-World/issues/{number}/comments", requests[0].Path);
        var comment = (string)JsonNode.Parse(requests[1].Body)!["body"]!;
        Assert.StartsWith(ReportMarkdown.Marker("MLOps validate"), comment);
        Assert.Contains("❌ MLOps report: checks failed", comment);
        Assert.Contains("| auc | 0.82 | 0.8 | +0.02 |", comment);
        Assert.Contains("### Params that changed against the base branch", comment);
        Assert.Contains("| trainer | FastTree | Sdca |", comment);
        Assert.Contains("| l2 | (none) | 0.1 |", comment);
        Assert.DoesNotContain("| seed", comment); // unchanged
        Assert.Contains("| notebooks/data/churn.csv | sha256:0123456789ab | sha256:ff90acb24889 |", comment);
        Assert.Contains("```mermaid\nxychart-beta", comment);
        Assert.Contains("line [0.7, 0.8]", comment);
        Assert.Contains($"https://github.com/Codertocat/Hello-World/blob/{payload["pull_request"]!["head"]!["sha"]}/notebooks/churn.ipynb#L40", comment);
        Assert.Contains(@"boom \| \<b\>bold\</b\>", comment); // the failure text, escaped
        var check = JsonNode.Parse(requests[2].Body)!;
        Assert.DoesNotContain("comment limit", (string)check["output"]!["summary"]!);
        Assert.Equal("/repos/Codertocat/Hello-World/check-runs", requests[2].Path);
        Assert.Equal(((string?)payload["pull_request"]!["head"]!["sha"], "completed", "failure"), ((string?)check["head_sha"], (string?)check["status"], (string?)check["conclusion"]));
    }

    [Fact]
    public async Task The_comment_is_found_by_marker_and_bot_login_and_updated_in_place()
    {
        using var github = await GitHubApi.StartAsync();
        var marker = ReportMarkdown.Marker("MLOps validate");
        // Prism's examples are stateless: the list holds a quote of our comment by a person, and ours by the bot.
        github.Answer("GET", "/repos/Codertocat/Hello-World/issues/", _ => (200, new JsonArray(
            Comment(7, "octocat", $"> {marker} quoted"), Comment(42, "github-actions[bot]", $"{marker}\nold report"), Comment(43, "github-actions[bot]", "another bot comment")).ToJsonString()));
        var (code, stdout, stderr, _, requests) = await RunReport(github, Report(), "pull_request", Payload("pull_request", "opened"), new() { ["check-run"] = "false" });
        Assert.True(code == 0, stdout + stderr);
        Assert.Equal(["GET", "PATCH"], requests.Select(r => r.Method));
        Assert.Equal("/repos/Codertocat/Hello-World/issues/comments/42", requests[1].Path);
        Assert.Contains("Updated the report", stdout);
    }

    private static JsonObject Comment(long id, string login, string body) => new()
    {
        ["id"] = id, ["node_id"] = "x", ["url"] = "https://api.github.com/x", ["html_url"] = $"https://github.com/x#issuecomment-{id}", ["body"] = body,
        ["user"] = new JsonObject { ["login"] = login, ["id"] = 1, ["type"] = "Bot" }, ["created_at"] = "2026-01-01T00:00:00Z", ["updated_at"] = "2026-01-01T00:00:00Z",
        ["issue_url"] = "https://api.github.com/x", ["author_association"] = "NONE",
    };

    [Fact]
    public async Task From_a_forks_workflow_run_it_posts_only_for_the_pull_requests_head_commit()
    {
        using var github = await GitHubApi.StartAsync();
        var payload = Payload("workflow_run", "completed");
        Assert.Empty(payload["workflow_run"]!["pull_requests"]!.AsArray()); // as GitHub sends it for a fork's pull request
        // Prism's example pull request is at 6dcb09b...: the run that validated was on that commit.
        payload["workflow_run"]!["head_sha"] = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
        var (code, stdout, stderr, _, requests) = await RunReport(github, Report(), "workflow_run", payload, new() { ["check-run"] = "false" });
        Assert.True(code == 0, stdout + stderr);
        Assert.Equal(["/repos/Codertocat/Hello-World/pulls/1347", "/repos/Codertocat/Hello-World/issues/1347/comments"], requests.Take(2).Select(r => r.Path.Split('?')[0]));

        // Report data that names a pull request at another commit posts nothing.
        using var other = await GitHubApi.StartAsync();
        payload["workflow_run"]!["head_sha"] = "0000000000000000000000000000000000000000";
        var refused = await RunReport(other, Report(), "workflow_run", payload);
        Assert.Equal(1, refused.Code);
        Assert.Contains("Pull request #1347 is at 6dcb09b", refused.Stderr);
        Assert.All(refused.Requests, r => Assert.Equal("GET", r.Method));
    }

    [Fact]
    public async Task GitHub_refusals_and_failures_get_a_message_and_server_errors_are_retried()
    {
        using (var forbidden = await GitHubApi.StartAsync())
        {
            forbidden.Answer("POST", "/repos/Codertocat/Hello-World/issues/", _ => (403, null)); // Prism's documented 403
            var result = await RunReport(forbidden, Report(), "pull_request", Payload("pull_request", "opened"));
            Assert.Equal(1, result.Code);
            Assert.Contains("GitHub did not allow the token to comment on the pull request (403)", result.Stderr);
            Assert.Contains("pull-requests: write", result.Stderr);
        }
        using (var rejected = await GitHubApi.StartAsync())
        {
            rejected.Answer("POST", "/repos/Codertocat/Hello-World/check-runs", _ => (422, "{\"message\":\"Validation Failed\",\"errors\":[{\"resource\":\"CheckRun\",\"field\":\"head_sha\",\"code\":\"invalid\"}]}"));
            var result = await RunReport(rejected, Report(), "pull_request", Payload("pull_request", "opened"));
            Assert.Equal(1, result.Code);
            Assert.Contains("GitHub rejected the request to create the check run (422): Validation Failed (head_sha invalid)", result.Stderr);
        }
        using (var flaky = await GitHubApi.StartAsync())
        {
            flaky.Answer("GET", "/repos/Codertocat/Hello-World/issues/", n => n <= 2 ? (502, "{\"message\":\"Bad Gateway\"}") : null);
            var result = await RunReport(flaky, Report(), "pull_request", Payload("pull_request", "opened"), new() { ["check-run"] = "false" });
            Assert.True(result.Code == 0, result.Stderr);
            Assert.Equal(["GET", "GET", "GET", "POST"], result.Requests.Select(r => r.Method));
            Assert.Contains("GitHub answered 502 when trying to read the pull request's comments; trying again.", result.Stdout);
        }
        using (var down = await GitHubApi.StartAsync())
        {
            down.Answer("GET", "/repos/Codertocat/Hello-World/issues/", _ => (503, "{\"message\":\"Service Unavailable\"}"));
            var result = await RunReport(down, Report(), "pull_request", Payload("pull_request", "opened"));
            Assert.Equal(1, result.Code);
            Assert.Contains("GitHub answered 503 when trying to read the pull request's comments", result.Stderr);
            Assert.Equal(3, result.Requests.Count);
        }
    }

    [Fact]
    public async Task A_report_over_the_comment_limit_is_shortened_and_kept_whole_in_the_job_summary()
    {
        using var github = await GitHubApi.StartAsync();
        var (code, stdout, stderr, summary, requests) = await RunReport(github, Report(passed: false, failures: 400), "pull_request", Payload("pull_request", "opened"), new() { ["check-run"] = "false" });
        Assert.True(code == 0, stdout + stderr);
        var comment = (string)JsonNode.Parse(requests[1].Body)!["body"]!;
        Assert.True(comment.Length <= ReportMarkdown.CommentLimit, $"{comment.Length} characters");
        Assert.Contains("charts and details are in the job summary", comment);
        Assert.Contains("column plan problem 399", summary);
        Assert.Contains("over GitHub's 65,536-character comment limit", stdout);
    }

    [Fact]
    public async Task Without_a_token_or_report_data_it_says_what_is_missing_and_calls_nothing()
    {
        using var github = await GitHubApi.StartAsync();
        var noToken = await RunReport(github, Report(), "pull_request", Payload("pull_request", "opened"), new() { ["github-token"] = "" });
        Assert.Equal(1, noToken.Code);
        Assert.Contains("Input 'github-token' is missing", noToken.Stderr);
        var push = await RunReport(github, Report(), "push", Payload("pull_request", "opened"));
        Assert.Equal(1, push.Code);
        Assert.Contains("runs on pull_request or workflow_run events, not push", push.Stderr);
        var missing = await RunReport(github, Report(), "pull_request", Payload("pull_request", "opened"), new() { ["report-path"] = "nowhere" });
        Assert.Equal(1, missing.Code);
        Assert.Contains("There is no report data at", missing.Stderr);
        // Report data cut short (an interrupted upload): a message, not an internal error.
        File.WriteAllText(_dir.File("torn.json"), "{\"passed\": tr");
        var torn = await RunReport(github, Report(), "pull_request", Payload("pull_request", "opened"), new() { ["report-path"] = "torn.json" });
        Assert.Equal(1, torn.Code);
        Assert.Contains("torn.json is not valid JSON", torn.Stderr);
        Assert.DoesNotContain("internal error", torn.Stderr);
        Assert.Empty(github.Requests);
    }

    [Fact]
    public async Task A_token_with_a_line_break_is_refused_and_no_line_of_it_is_printed()
    {
        using var github = await GitHubApi.StartAsync();
        const string first = "ghs_FIRSTlineOfTheToken012345", second = "ghs_SECONDlineOfTheToken6789";
        var result = await RunReport(github, Report(), "pull_request", Payload("pull_request", "opened"), new() { ["github-token"] = $"{first}\n{second}" });
        Assert.Equal(1, result.Code);
        Assert.Contains("Input 'github-token'", result.Stderr);
        // The runner hides each line of a multi-line secret once told to; nothing else may show either line.
        var shown = string.Join('\n', result.Stdout.Split('\n').Where(l => !l.StartsWith("::add-mask::", StringComparison.Ordinal))) + result.Stderr;
        Assert.DoesNotContain(first, shown);
        Assert.DoesNotContain(second, shown);
        Assert.Empty(github.Requests);
    }

    [Theory]
    [InlineData("check-run", "true\n::add-mask::forged")]
    [InlineData("check-run", "no\n  ::warning file=x::forged\n##[error]legacy")]
    [InlineData("pull-request", "12\n::error::forged")]
    public async Task An_input_with_line_breaks_is_echoed_without_starting_a_workflow_command(string input, string value)
    {
        using var github = await GitHubApi.StartAsync();
        var payload = input == "pull-request" ? Payload("workflow_run", "completed") : Payload("pull_request", "opened");
        var result = await RunReport(github, Report(), input == "pull-request" ? "workflow_run" : "pull_request", payload, new() { [input] = value });
        Assert.Equal(1, result.Code);
        Assert.Contains("forged", result.Stderr); // echoed, so that the user sees what was passed
        foreach (var line in (result.Stdout + "\n" + result.Stderr).Split('\n').Where(l => l != $"::add-mask::{Token}"))
        {
            Assert.False(line.TrimStart().StartsWith("::", StringComparison.Ordinal) || line.Contains("##[", StringComparison.Ordinal), line);
        }
        Assert.DoesNotContain(github.Requests, r => r.Method != "GET");
    }

    /// <summary>The headings the report writes itself.</summary>
    public static readonly string[] OurHeadings = ["✅ MLOps report: all checks passed", "❌ MLOps report: checks failed", "Gates", "Metrics",
        "Params that changed against the base branch", "Params that differ between the runs", "Data", "Data versions that changed against the base branch", "Notebooks"];

    [Theory]
    [InlineData("gate")]
    [InlineData("notebook")]
    [InlineData("data")]
    public async Task The_verdict_follows_from_the_findings_not_from_the_artifacts_passed_field(string failing)
    {
        using var github = await GitHubApi.StartAsync();
        var report = Report(passed: failing != "gate", failures: failing == "data" ? 1 : 0);
        if (failing == "notebook")
        {
            report["notebooks"]![0]!["failure"] = new JsonObject { ["cell"] = 3, ["line"] = 1, ["kind"] = "Exception", ["message"] = "boom" };
        }
        report["passed"] = true; // the artifact's claim
        var (code, stdout, stderr, _, requests) = await RunReport(github, report, "pull_request", Payload("pull_request", "opened"));
        Assert.True(code == 0, stdout + stderr);
        var comment = (string)JsonNode.Parse(requests[1].Body)!["body"]!;
        Assert.Contains("❌ MLOps report: checks failed", comment);
        Assert.DoesNotContain("all checks passed", comment);
        var check = JsonNode.Parse(requests[2].Body)!;
        Assert.Equal(("failure", "Checks failed"), ((string?)check["conclusion"], (string?)check["output"]!["title"]));
        Assert.Matches(@"passed<<(\S+)\nfalse\n\1", File.ReadAllText(_dir.File("output")));
    }

    [Fact]
    public async Task Strings_from_the_artifact_make_no_markdown_links_mentions_or_html_of_their_own()
    {
        using var github = await GitHubApi.StartAsync();
        var payload = Payload("pull_request", "opened");
        var report = Report(passed: false, failures: 1);
        const string hostile = "# Heading\n![img](https://evil.example/x.png) [click](https://evil.example) <!-- hidden @octocat @org/team www.evil.example a@b.example #12 `x` $x$ &#64;u";
        report["notebooks"]![0]!["notebook"] = "notebooks/a`b <!--.ipynb";
        report["notebooks"]![0]!["failure"]!["message"] = hostile;
        report["runs"]![0]!["run_name"] = "``fast`tree`` @octocat";
        report["gates"]![0]!["detail"] = hostile;
        report["data"]![0]!["violations"]![0]!["message"] = hostile;
        report["candidate_params"]!["trainer"] = hostile;
        report["baseline_source"] = "origin/main:my_data.csv";
        var (code, stdout, stderr, _, requests) = await RunReport(github, report, "pull_request", payload);
        Assert.True(code == 0, stdout + stderr);
        var comment = (string)JsonNode.Parse(requests[1].Body)!["body"]!;
        var blob = $"https://github.com/Codertocat/Hello-World/blob/{payload["pull_request"]!["head"]!["sha"]}/";
        Assert.Empty(MarkdownCheck.Problems(comment, OurHeadings, url => url.StartsWith(blob, StringComparison.Ordinal) || url == "https://github.com/Codertocat/Hello-World/actions/runs/42"));
        var document = Markdig.Markdown.Parse(comment, MarkdownCheck.Pipeline);
        var spans = Markdig.Syntax.MarkdownObjectExtensions.Descendants<Markdig.Syntax.Inlines.CodeInline>(document).Select(c => c.Content).ToList();
        Assert.Contains("origin/main:my_data.csv", spans); // names read as written, no stray backslash
        Assert.Contains("``fast`tree`` @octocat", spans);
        Assert.Contains("notebooks/a`b <!--.ipynb", spans);
        var check = JsonNode.Parse(requests[2].Body)!;
        Assert.Empty(MarkdownCheck.Problems((string)check["output"]!["summary"]!, OurHeadings, url => url.StartsWith(blob, StringComparison.Ordinal) || url.EndsWith("/actions/runs/42", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task For_a_forks_pull_request_the_comment_and_check_run_say_the_results_are_its_own_runs()
    {
        using var github = await GitHubApi.StartAsync();
        var payload = Payload("workflow_run", "completed");
        payload["workflow_run"]!["head_sha"] = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
        payload["workflow_run"]!["head_repository"]!["full_name"] = "someone/octo-repo";
        var (code, stdout, stderr, _, requests) = await RunReport(github, Report(), "workflow_run", payload);
        Assert.True(code == 0, stdout + stderr);
        var comment = (string)JsonNode.Parse(requests[2].Body)!["body"]!;
        Assert.Contains("comes from the fork `someone/octo-repo`", comment);
        Assert.Contains("produced by the pull request's own workflow run", comment);
        var check = JsonNode.Parse(requests[3].Body)!;
        Assert.Equal("All checks passed, as the fork's own workflow run reported", (string?)check["output"]!["title"]);
        Assert.Contains("produced by the pull request's own workflow run", (string)check["output"]!["summary"]!);
        // The same repository's pull request gets no such note.
        using var own = await GitHubApi.StartAsync();
        var same = await RunReport(own, Report(), "pull_request", Payload("pull_request", "opened"));
        Assert.DoesNotContain("fork", (string)JsonNode.Parse(same.Requests[1].Body)!["body"]!);
    }

    [Theory]
    [InlineData("{\"notebooks\": [{\"notebook\": \"a.ipynb\", \"cells_run\": \"8 <!--\"}]}", "at notebooks[0].cells_run")]
    [InlineData("{\"notebooks\": [{\"notebook\": \"a.ipynb\", \"failure\": {\"cell\": \"# 3\"}}]}", "at notebooks[0].failure.cell")]
    [InlineData("{\"gates\": [null]}", "at gates[0]")]
    [InlineData("{\"gates\": [{\"gate\": \"auc > 0.8\", \"passed\": \"yes\"}]}", "at gates[0].passed")]
    [InlineData("{\"candidate\": {\"auc\": null}}", "at candidate.auc")]
    [InlineData("{\"runs\": [{\"run_id\": \"a\", \"history\": {\"auc\": [[1]]}}]}", "at runs[0].history.auc[0]")]
    [InlineData("{\"notebooks\": [{\"cells_run\": 1}]}", "a required field is missing")]
    [InlineData("{\"pull_request\": 1, \"pull_request\": 1347}", "a field is given twice")]
    [InlineData("[1, 2]", "at the top")]
    [InlineData("null", "the report is null")]
    public async Task Report_data_of_the_wrong_shape_is_a_message_naming_the_field_and_nothing_is_posted(string json, string expected)
    {
        using var github = await GitHubApi.StartAsync();
        File.WriteAllText(_dir.File("bad.json"), json);
        var result = await RunReport(github, Report(), "pull_request", Payload("pull_request", "opened"), new() { ["report-path"] = "bad.json" });
        Assert.Equal(1, result.Code);
        Assert.Contains("is not the report data mlops validate writes", result.Stderr);
        Assert.Contains(expected, result.Stderr);
        Assert.DoesNotContain("internal error", result.Stderr);
        Assert.Empty(github.Requests);
        Assert.Equal("", File.ReadAllText(_dir.File("output")) + File.ReadAllText(_dir.File("summary")));
    }

    [Fact]
    public async Task Generated_malformed_report_data_never_ends_in_an_internal_error_a_post_or_a_partial_file()
    {
        var cases = FsCheck.Fluent.Gen.Sample(ReportPropertyTests.MalformedReports, 10);
        foreach (var json in cases)
        {
            using var github = await GitHubApi.StartAsync();
            File.WriteAllText(_dir.File("generated.json"), json);
            var result = await RunReport(github, Report(), "pull_request", Payload("pull_request", "opened"), new() { ["report-path"] = "generated.json" });
            Assert.True(result.Code is 0 or 1, json + "\n" + result.Stderr);
            if (result.Code == 1)
            {
                Assert.Contains("is not the report data mlops validate writes", result.Stderr);
                Assert.Empty(github.Requests);
                Assert.Equal("", File.ReadAllText(_dir.File("output")) + File.ReadAllText(_dir.File("summary")));
            }
        }
    }

    [Fact]
    public async Task GitHub_unreachable_or_answering_what_is_not_json_is_a_message_and_nothing_is_posted()
    {
        using (var github = await GitHubApi.StartAsync())
        {
            var refused = await RunReport(github, Report(), "pull_request", Payload("pull_request", "opened"), apiUrl: "http://127.0.0.1:9");
            Assert.Equal(1, refused.Code);
            Assert.Contains("GitHub could not be reached when trying to read the pull request's comments", refused.Stderr);
            Assert.DoesNotContain("internal error", refused.Stderr);
        }
        using (var proxy = await GitHubApi.StartAsync())
        {
            proxy.Answer("GET", "/repos/Codertocat/Hello-World/issues/", _ => (200, "<html><body>Sign in to the proxy</body></html>"));
            var html = await RunReport(proxy, Report(), "pull_request", Payload("pull_request", "opened"));
            Assert.Equal(1, html.Code);
            Assert.Contains("is not what GitHub's API returns", html.Stderr);
            Assert.DoesNotContain("internal error", html.Stderr);
            Assert.DoesNotContain(proxy.Requests, r => r.Method != "GET");
        }
    }

    [Fact]
    public async Task Prism_refuses_a_request_that_breaks_GitHubs_description()
    {
        // The control for every test above: a check run without its required head_sha is a 422 with Prism's reasons.
        using var github = await GitHubApi.StartAsync();
        using var http = new HttpClient();
        var response = await http.PostAsync(new Uri(github.Address, "repos/o/r/check-runs"), new StringContent("{\"name\":\"x\"}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(422, (int)response.StatusCode);
        Assert.Contains("head_sha", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_forks_pull_request_end_to_end_validate_without_secrets_then_report_from_workflow_run()
    {
        // Stage 1, on pull_request: the fork's code runs with no token; it writes the report data (the artifact).
        using var repo = new GitRepository();
        repo.Write("notebooks/metrics.ipynb", File.ReadAllText(Path.Combine(Programs.RepositoryRoot, "tests", "notebooks", "metrics.ipynb")));
        repo.Write("mlops-gates.yaml", "gates:\n  - auc >= 0.85\n");
        repo.Commit("fork");
        var pullRequest = Payload("pull_request", "opened");
        pullRequest["number"] = 1347;
        pullRequest["pull_request"]!["number"] = 1347;
        pullRequest["pull_request"]!["head"]!["sha"] = "6dcb09b5b57875f334f61aebed695e2e4193db5e"; // Prism's example pull request's head
        File.WriteAllText(repo.PathOf("event.json"), pullRequest.ToJsonString());
        File.WriteAllText(repo.PathOf("output"), "");
        File.WriteAllText(repo.PathOf("summary"), "");
        var (code, stdout, stderr) = Programs.Run(Programs.Mlops, ["action", "validate"], repo.Root, new Dictionary<string, string?>
        {
            ["GITHUB_ACTIONS"] = "true", ["GITHUB_WORKSPACE"] = repo.Root, ["GITHUB_OUTPUT"] = repo.PathOf("output"), ["GITHUB_STEP_SUMMARY"] = repo.PathOf("summary"),
            ["GITHUB_EVENT_NAME"] = "pull_request", ["GITHUB_EVENT_PATH"] = repo.PathOf("event.json"), ["INPUT_NOTEBOOKS"] = "notebooks/*.ipynb",
        }, timeoutSeconds: 300);
        Assert.True(code == 0, stdout + stderr);
        var artifact = (JsonObject)JsonNode.Parse(File.ReadAllText(repo.PathOf(".mlops/report/report.json")))!;
        Assert.Equal(1347, artifact["pull_request"]!.GetValue<int>());
        Assert.True(File.Exists(repo.PathOf(".mlops/report/report.html")));

        // Stage 2, on workflow_run (pull_requests is empty for a fork): posts it, having checked the pull request's head.
        using var github = await GitHubApi.StartAsync();
        var run = Payload("workflow_run", "completed");
        run["workflow_run"]!["head_sha"] = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
        run["workflow_run"]!["name"] = "MLOps validate";
        var report = await RunReport(github, artifact, "workflow_run", run);
        Assert.True(report.Code == 0, report.Stdout + report.Stderr);
        Assert.Equal(["GET", "GET", "POST", "POST"], report.Requests.Select(r => r.Method));
        var comment = (string)JsonNode.Parse(report.Requests[2].Body)!["body"]!;
        Assert.StartsWith(ReportMarkdown.Marker("MLOps validate"), comment);
        Assert.Contains(@"| auc \>= 0.85 | ✅ passed | auc = 0.9 |", comment);
        Assert.Contains("| auc | 0.9 |", comment);
    }
}
