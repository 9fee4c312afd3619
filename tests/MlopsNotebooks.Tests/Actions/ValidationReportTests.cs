using System.Text.Json.Nodes;
using MlopsNotebooks.GitHub.Reporting;
using MlopsNotebooks.GitHub.Toolkit;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Validation;

namespace MlopsNotebooks.Tests.Actions;

/// <summary>
/// Validation in the core, with no runner and no GitHub: a host gives it notebook runs through INotebookExecutor (here
/// one that logs real runs to a real SQLite store, as a notebook would), and it returns a typed report.
/// </summary>
public sealed class ValidationReportTests : IDisposable
{
    private readonly GitRepository _repo = new();

    public void Dispose() => _repo.Dispose();

    /// <summary>A host that "runs" a notebook by logging the run it would start; a notebook named broken fails in its second cell.</summary>
    private sealed class LoggingNotebooks(TrackingClient client, string root) : INotebookExecutor
    {
        public Task<ReportedNotebook> RunAsync(NotebookExecution execution)
        {
            if (Path.GetFileNameWithoutExtension(execution.NotebookPath) == "broken")
            {
                return Task.FromResult(new ReportedNotebook
                {
                    Notebook = execution.NotebookPath, Status = "failed", CellsRun = 2,
                    Failure = new ReportedFailure { Cell = 2, SourceCell = 2, Line = 3, Kind = "System.ArgumentOutOfRangeException", Message = "Index was out of range." },
                });
            }
            // As the runner does: the run says which notebook (repository-relative) started it.
            var tags = new Dictionary<string, string>(execution.RunTags) { [RunContext.SourceName] = Path.GetRelativePath(root, execution.NotebookPath).Replace('\\', '/') };
            var run = client.CreateRun("validate", "model", tags: tags);
            for (var step = 1; step <= 3; step++)
            {
                client.LogMetric(run.RunId, "auc", 0.6 + step / 100.0, step);
            }
            client.LogParam(run.RunId, "seed", execution.Parameters.GetValueOrDefault("seed", "1"));
            client.SetTerminated(run.RunId);
            client.Flush();
            return Task.FromResult(new ReportedNotebook { Notebook = execution.NotebookPath, Status = "succeeded", CellsRun = 1 });
        }
    }

    private (ValidationReport Report, TrackingClient Client) Validate()
    {
        _repo.Write("notebooks/good.ipynb", "{}");
        _repo.Write("notebooks/broken.ipynb", File.ReadAllText(Path.Combine(Programs.RepositoryRoot, "tests", "notebooks", "exception.ipynb")));
        _repo.Write("data/d.csv", "tenure,plan\n1,basic\n2,gold\n");
        _repo.Write("data/d.schema.yaml", "columns:\n- name: tenure\n  type: integer\n- name: plan\n  type: string\n  allowed: [basic]\n");
        _repo.Write("mlops-gates.yaml", "gates:\n  - auc >= 0.85\nbaseline: store:main\n");
        var client = new TrackingClient(_repo.PathOf("mlops.db"));
        var report = new Validator(new LoggingNotebooks(client, _repo.Root), client).ValidateAsync(new ValidateRequest
        {
            Root = _repo.Root,
            Notebooks = ["notebooks/*.ipynb"],
            Data = [("data/d.csv", "data/d.schema.yaml")],
            Parameters = new Dictionary<string, string> { ["seed"] = "7" },
        }).GetAwaiter().GetResult();
        return (report, client);
    }

    [Fact]
    public void Findings_say_what_broke_and_where_in_the_order_it_happened()
    {
        var (report, client) = Validate();
        using var _ = client;
        Assert.False(report.Passed);
        var line = NotebookLines.Locate(_repo.PathOf("notebooks/broken.ipynb"), 2, 3);
        Assert.True(line > 1);
        Assert.Equal(
        [
            new Finding(FindingKind.Notebook, Severity.Error, "System.ArgumentOutOfRangeException: Index was out of range.", "notebooks/broken.ipynb", line, "Notebook notebooks/broken.ipynb failed in cell 2"),
            new Finding(FindingKind.Data, Severity.Error, "column plan has a value outside its categories in 1 row, e.g. 'gold' (allowed: basic)", "data/d.csv", 3, "Data data/d.csv breaks data/d.schema.yaml (column plan)"),
            new Finding(FindingKind.Baseline, Severity.Warning, "The tracking store has no finished runs of branch main: regression gates compare against nothing.", null, null, "No baseline"),
            new Finding(FindingKind.Gate, Severity.Error, "auc >= 0.85: auc = 0.63", "mlops-gates.yaml", 2, "Model gate failed"),
        ], report.Findings);
        var run = Assert.Single(report.Runs);
        Assert.Equal([run.RunId], report.Notebooks.Single(n => n.Notebook == "notebooks/good.ipynb").Runs);
        Assert.Equal([1.0, 2.0, 3.0], run.History["auc"].Select(p => p[0]));
        Assert.Equal(3, run.Points["auc"].Count);
        Assert.Equal("7", report.CandidateParams!["seed"]);
    }

    [Fact]
    public void The_report_file_has_its_fields_in_order_and_reads_back_into_the_same_file()
    {
        var (report, client) = Validate();
        client.Dispose();
        var json = report.ToJson();
        Assert.Equal(["notebooks", "runs", "data", "candidate", "candidate_params", "candidate_data", "baseline", "baseline_params", "baseline_data", "baseline_source", "gates", "passed"],
            JsonNode.Parse(json)!.AsObject().Select(p => p.Key));
        Assert.Equal(["notebook", "output", "status", "failure", "duration_ms", "cells_run", "parameters", "runs"], JsonNode.Parse(json)!["notebooks"]![0]!.AsObject().Select(p => p.Key));
        Assert.Equal(["run_id", "experiment_id", "run_name", "parent_run_id", "status", "stale", "start_time", "end_time", "lifecycle_stage", "params", "metrics", "tags", "inputs", "artifacts", "history"],
            JsonNode.Parse(json)!["runs"]![0]!.AsObject().Select(p => p.Key));
        var read = ReportData.Read(json, "report.json");
        Assert.Equal(json, read.ToJson());
        Assert.Equal(report.Findings.Where(f => f.Kind != FindingKind.Baseline && f.Kind != FindingKind.Gate), read.Findings.Where(f => f.Kind != FindingKind.Gate));
        // A report with no gates file and no pull request writes neither field.
        var plain = (report with { Gates = null }).ToJson();
        Assert.DoesNotContain("\"gates\"", plain);
        Assert.DoesNotContain("\"pull_request\"", plain);
        Assert.Contains("\"pull_request\": 12", (report with { PullRequest = 12 }).ToJson());
    }

    [Fact]
    public void The_html_report_is_drawn_from_the_report_alone_with_the_store_gone()
    {
        var (report, client) = Validate();
        client.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(_repo.PathOf("mlops.db"));
        var html = ReportHtml.Build(report);
        Assert.Contains("<h1>MLOps report: checks failed</h1>", html);
        Assert.Contains("<h3>auc by step</h3>", html);
        Assert.False(File.Exists(_repo.PathOf("mlops.db")), "the HTML report opened the store");
    }

    [Fact]
    public void A_missing_gates_file_schema_data_file_or_notebook_is_not_found_and_a_bad_one_is_invalid()
    {
        Assert.Equal(ErrorKind.NotFound, Assert.ThrowsAny<MlopsException>(() => ModelGates.Load(_repo.PathOf("nowhere.yaml"))).Kind);
        Assert.Equal(ErrorKind.NotFound, Assert.ThrowsAny<MlopsException>(() => DataSchema.Load(_repo.PathOf("nowhere.schema.yaml"))).Kind);
        Assert.Equal(ErrorKind.NotFound, Assert.ThrowsAny<MlopsException>(() => new DataSchema().Validate(_repo.PathOf("nowhere.csv"))).Kind);
        Assert.Equal(ErrorKind.NotFound, Assert.ThrowsAny<MlopsException>(() => Validator.Expand(_repo.Root, ["nowhere/*.ipynb"])).Kind);
        _repo.Write("bad.yaml", "gates:\n  - auc is high\n");
        Assert.Equal(ErrorKind.Invalid, Assert.ThrowsAny<MlopsException>(() => ModelGates.Load(_repo.PathOf("bad.yaml"))).Kind);
    }

    [Fact]
    public async Task A_claimed_pull_request_at_another_commit_is_a_conflict_and_github_out_of_reach_is_unavailable()
    {
        using var github = await GitHubApi.StartAsync();
        var actions = new ActionRunner(new Dictionary<string, string>(), new StringWriter());
        var reporter = new PullRequestReporter(actions, PullRequestReporter.Client(github.Address.ToString(), "ghs_test"));
        var moved = await Assert.ThrowsAnyAsync<MlopsException>(() => reporter.VerifyPullRequestAsync("Codertocat", "Hello-World", 1347, new string('0', 40)));
        Assert.Equal(ErrorKind.Conflict, moved.Kind);
        Assert.Contains("Pull request #1347 is at 6dcb09b", moved.Message);
        github.Answer("GET", "/repos/Codertocat/Hello-World/pulls/", _ => (404, "{\"message\":\"Not Found\"}"));
        Assert.Equal(ErrorKind.NotFound, (await Assert.ThrowsAnyAsync<MlopsException>(() => reporter.VerifyPullRequestAsync("Codertocat", "Hello-World", 1347, "x"))).Kind);
        var unreachable = new PullRequestReporter(actions, PullRequestReporter.Client("http://127.0.0.1:9", "ghs_test"));
        Assert.Equal(ErrorKind.Unavailable, (await Assert.ThrowsAnyAsync<MlopsException>(() => unreachable.VerifyPullRequestAsync("o", "r", 1, "x"))).Kind);
    }
}
