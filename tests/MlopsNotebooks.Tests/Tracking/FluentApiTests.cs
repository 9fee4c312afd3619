using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Tracking;

[CollectionDefinition(nameof(FluentApiTests), DisableParallelization = true)]
public sealed class FluentCollection;

/// <summary>The ambient-run API is process-wide state, so these tests run alone.</summary>
[Collection(nameof(FluentApiTests))]
public sealed class FluentApiTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public FluentApiTests()
    {
        Mlops.Reset();
        Mlops.SetTrackingUri(_dir.File("mlops.db"));
    }

    public void Dispose()
    {
        Mlops.Reset();
        _dir.Dispose();
    }

    [Fact]
    public void A_run_started_in_a_using_block_logs_and_ends_finished()
    {
        Mlops.SetExperiment("churn");
        string runId;
        using (var run = Mlops.StartRun("fasttree"))
        {
            runId = run.RunId;
            Mlops.LogParam("trees", 100);
            Mlops.LogParam("learning_rate", 0.2);
            Mlops.LogParams(new Dictionary<string, object?> { ["trainer"] = "FastTree", ["shuffle"] = true });
            for (var step = 0; step < 5; step++)
            {
                Mlops.LogMetric("auc", 0.5 + step / 10.0, step);
            }
            Mlops.LogMetrics(new Dictionary<string, double> { ["f1"] = 0.6, ["accuracy"] = 0.8 }, step: 4);
            Mlops.SetTag("owner", "team-churn");
            Assert.Same(run, Mlops.ActiveRun);
        }
        Assert.Null(Mlops.ActiveRun);
        var stored = Mlops.GetRun(runId);
        Assert.Equal(RunStatus.Finished, stored.Status);
        Assert.Equal("churn", Mlops.Client.GetExperimentByName("churn").Name);
        Assert.Equal(new Dictionary<string, string>
        {
            ["learning_rate"] = "0.2", ["shuffle"] = "true", ["trainer"] = "FastTree", ["trees"] = "100",
        }, stored.Params);
        Assert.Equal(0.9, stored.Metrics["auc"].Value, 12);
        Assert.Equal(5, Mlops.Client.GetMetricHistory(runId, "auc").Count);
        Assert.Equal("team-churn", stored.Tags["owner"]);
    }

    [Fact]
    public void Starting_a_second_run_without_nested_says_how_to_proceed()
    {
        using var first = Mlops.StartRun("first");
        var error = Assert.Throws<ConflictException>(() => Mlops.StartRun("second"));
        Assert.Contains("already active", error.Message);
        Assert.Contains("nested: true", error.Hint);
        Assert.Same(first, Mlops.ActiveRun);
    }

    [Fact]
    public void A_nested_run_is_a_child_of_the_active_one_and_ending_the_parent_ends_it_too()
    {
        var parent = Mlops.StartRun("sweep");
        var child = Mlops.StartRun("trial-1", nested: true);
        Assert.Equal(parent.RunId, child.ParentRunId);
        Assert.Equal(parent.RunId, Mlops.GetRun(child.RunId).ParentRunId);
        parent.End(RunStatus.Failed);
        Assert.Null(Mlops.ActiveRun);
        Assert.Equal(RunStatus.Finished, Mlops.GetRun(child.RunId).Status);
        Assert.Equal(RunStatus.Failed, Mlops.GetRun(parent.RunId).Status);
    }

    [Fact]
    public void Logging_without_an_active_run_says_how_to_start_one()
    {
        var error = Assert.Throws<MlopsException>(() => Mlops.LogMetric("auc", 1));
        Assert.Equal("There is no active run.", error.Message);
        Assert.Contains("Mlops.StartRun", error.Hint);
        Assert.Throws<MlopsException>(() => Mlops.EndRun());
    }

    [Fact]
    public void The_tracking_store_cannot_change_under_an_active_run()
    {
        using var run = Mlops.StartRun();
        Assert.Throws<ConflictException>(() => Mlops.SetTrackingUri(_dir.File("other.db")));
    }

    [Fact]
    public void Search_from_the_fluent_api_looks_in_the_current_experiment()
    {
        Mlops.SetExperiment("a");
        using (Mlops.StartRun("in-a"))
        {
            Mlops.LogMetric("auc", 0.9);
        }
        Mlops.SetExperiment("b");
        using (Mlops.StartRun("in-b"))
        {
            Mlops.LogMetric("auc", 0.7);
        }
        Assert.Equal(["in-b"], Mlops.SearchRuns().Select(r => r.Name));
        Assert.Equal(["in-a"], Mlops.SearchRuns("metrics.auc > 0.8", experiments: ["a", "b"]).Select(r => r.Name));
    }
}
