using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Support;

/// <summary>What tests/notebooks/magics.ipynb records, whichever host ran it: the runner, or the kernel in-process or through Jupyter.</summary>
public static class MagicsNotebook
{
    /// <summary>Checks its two runs and returns them: "first run" (started and ended by magics) and "tracked-cell".</summary>
    public static IReadOnlyList<Run> AssertTracked(TrackingClient client)
    {
        var runs = client.SearchRuns(["magic-demo"], orderBy: "attributes.start_time ASC");
        Assert.Equal(["first run", "tracked-cell"], runs.Select(r => r.Name));
        var first = runs[0];
        Assert.Equal(RunStatus.Finished, first.Status);
        Assert.Equal(new Dictionary<string, string> { ["trainer"] = "FastTree", ["trees"] = "100" }, first.Params);
        Assert.Equal((0.91, 3L), (first.Metrics["auc"].Value, first.Metrics["auc"].Step));
        Assert.Equal("churn", first.Tags["team"]);
        var tracked = runs[1];
        Assert.Equal(RunStatus.Finished, tracked.Status);
        Assert.Equal(0.5, tracked.Metrics["loss"].Value);
        return runs;
    }
}
