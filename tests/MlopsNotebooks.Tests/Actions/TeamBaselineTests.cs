using System.Text.Json.Nodes;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Actions;

/// <summary>
/// A pull request's baseline from the team's tracking store, as the pull-request workflow wires it: main's validation
/// records its runs in the store; the baseline job (the store's secret, none of the pull request's code) writes them to
/// a file; the validate job (the code, no secret, its own embedded store) compares against that file and the report
/// names the runs. Each backend derives one class and says where its shared store is.
/// </summary>
public abstract class TeamBaselineContract : IDisposable
{
    private readonly GitRepository _repo = new();
    private readonly TempDirectory _runner = new();

    /// <summary>A tracking URI of an empty store that both "jobs" can reach.</summary>
    protected abstract string StoreUri { get; }

    /// <summary>How the store names itself in reports: its location, never a password.</summary>
    protected abstract string StoreLocation { get; }

    public virtual void Dispose()
    {
        _repo.Dispose();
        _runner.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A step of a pull request's workflow (GITHUB_BASE_REF is main) unless <paramref name="onPush"/>.</summary>
    private ActionStep.Result Action(string command, Dictionary<string, string?> inputs, string? trackingUri, bool onPush = false)
    {
        var step = ActionStep.Run(command, _repo.Root, _runner.Path, inputs, new Dictionary<string, string?>
        {
            ["MLOPS_TRACKING_URI"] = trackingUri,
            ["GITHUB_BASE_REF"] = onPush ? null : "main",
        });
        return step with { Stdout = step.Stdout + step.Stderr };
    }

    private void MainRecordsItsRuns(double loss)
    {
        _repo.Write("notebooks/metrics.ipynb", File.ReadAllText(Path.Combine(Programs.RepositoryRoot, "tests", "notebooks", "metrics.ipynb")));
        // The gates file's own baseline is a file nobody committed: the store is the only baseline there is.
        _repo.Write("mlops-gates.yaml", "gates:\n  - loss <= 0.5\nregression:\n  loss: 0.05\nbaseline: metrics/baseline.json\n");
        _repo.Commit("main");
        var main = Action("validate", new() { ["notebooks"] = "notebooks/*.ipynb", ["parameters"] = $"loss={loss}", ["report-path"] = _runner.File("main/report.json") }, StoreUri, onPush: true);
        Assert.True(main.Code == 0, main.Stdout);
        _repo.Git("checkout", "-q", "-b", "feature");
    }

    [Fact]
    public void The_baseline_job_takes_mains_runs_from_the_team_store_and_validate_without_the_store_compares_against_them()
    {
        MainRecordsItsRuns(loss: 0.3);
        var file = _runner.File("mlops-baseline/baseline.json");
        var baseline = Action("baseline", new() { ["metrics-path"] = file }, StoreUri);
        Assert.True(baseline.Code == 0, baseline.Stdout);
        Assert.Equal("true", baseline.Outputs["found"]);
        var written = JsonNode.Parse(File.ReadAllText(file))!;
        Assert.StartsWith("store:main@", (string?)written["source"]);
        Assert.Equal(StoreLocation, (string?)written["store"]);
        var runIds = written["runs"]!.AsArray().Select(r => (string)r!).ToList();
        Assert.Single(runIds);
        Assert.Equal(0.3, written["metrics"]!["loss"]!.GetValue<double>());

        // The validate job: the pull request's code, no store secret (its own embedded store), the file as the baseline;
        // on a pull request the ref default (origin/main) does not apply to a file the workflow wrote.
        _repo.Write("notebooks/extra.txt", "a change on the branch");
        var validate = Action("validate", new()
        {
            ["notebooks"] = "notebooks/*.ipynb", ["parameters"] = "loss=0.4", ["baseline"] = file, ["report-path"] = _runner.File("pr/report.json"),
        }, trackingUri: null);
        Assert.Equal(1, validate.Code);
        Assert.Contains("loss no regression beyond 0.05: loss = 0.4 against 0.3 on the base branch", validate.Stdout);
        var report = JsonNode.Parse(File.ReadAllText(_runner.File("pr/report.json")))!;
        Assert.StartsWith("store:main@", (string?)report["baseline_source"]);
        Assert.Equal(StoreLocation, (string?)report["baseline_store"]);
        Assert.Equal(runIds, report["baseline_runs"]!.AsArray().Select(r => (string)r!));
        Assert.Contains($"in the tracking store `{StoreLocation}`: `mlops runs show {runIds[0]}`", validate.Summary);
        // The pull request's runs stayed in its own store; the team's has main's only.
        var listed = Programs.Run(Programs.Mlops, ["runs", "list", "--json", "--tracking-uri", StoreUri], _repo.Root);
        Assert.Equal(runIds, JsonNode.Parse(listed.Output)!.AsArray().Select(r => (string)r!["run_id"]!));
    }

    [Fact]
    public void Without_the_store_secret_the_baseline_job_writes_nothing_and_says_validate_uses_the_gates_files_baseline()
    {
        MainRecordsItsRuns(loss: 0.3);
        var file = _runner.File("none/baseline.json");
        var result = Action("baseline", new() { ["metrics-path"] = file }, trackingUri: null);
        Assert.True(result.Code == 0, result.Stdout);
        Assert.Equal("false", result.Outputs["found"]);
        Assert.Contains("::notice title=No team store::No team tracking store", result.Stdout);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public void A_branch_with_no_runs_in_the_store_is_a_warning_for_the_action_and_an_error_for_the_command()
    {
        MainRecordsItsRuns(loss: 0.3);
        var file = _runner.File("none/baseline.json");
        var action = Action("baseline", new() { ["metrics-path"] = file, ["baseline"] = "store:release" }, StoreUri);
        Assert.True(action.Code == 0, action.Stdout);
        Assert.Equal("false", action.Outputs["found"]);
        Assert.Contains("has no finished runs of release", action.Stdout);

        var command = Programs.Run(Programs.Mlops, ["baseline", "store:release", "--out", file, "--tracking-uri", StoreUri], _repo.Root);
        Assert.Equal(1, command.ExitCode);
        Assert.Contains("has no finished runs of branch release", command.Error);
        var notStore = Programs.Run(Programs.Mlops, ["baseline", "main", "--out", file, "--tracking-uri", StoreUri], _repo.Root);
        Assert.Equal(1, notStore.ExitCode);
        Assert.Contains("'main' does not name a branch in the tracking store", notStore.Error);
        Assert.Contains("store:main", notStore.Error);
        Assert.False(File.Exists(file));

        var taken = Programs.Run(Programs.Mlops, ["baseline", "store:main", "--out", file, "--tracking-uri", StoreUri], _repo.Root);
        Assert.True(taken.ExitCode == 0, taken.Error);
        Assert.Contains("Baseline store:main@", taken.Output);
        Assert.Equal(0.3, JsonNode.Parse(File.ReadAllText(file))!["metrics"]!["loss"]!.GetValue<double>());
    }
}

/// <summary>The team store on a SQLite file both jobs reach (a shared disk).</summary>
public sealed class SqliteTeamBaselineTests : TeamBaselineContract
{
    private readonly TempDirectory _store = new();

    protected override string StoreUri => _store.File("team.db");

    protected override string StoreLocation => _store.File("team.db");

    public override void Dispose()
    {
        _store.Dispose();
        base.Dispose();
    }
}
