using System.CommandLine;
using MlopsNotebooks.Cli;
using MlopsNotebooks.Cli.Models;
using MlopsNotebooks.Cli.Runs;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Errors;

/// <summary>
/// Real failures carry the kind that the one mapping (ErrorKinds) turns into an exit code and an HTTP status: nothing
/// here constructs an exception, each is what a call on a real store throws.
/// </summary>
public sealed class ErrorKindTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _uri;

    public ErrorKindTests() => _uri = _dir.File("mlops.db");

    public void Dispose() => _dir.Dispose();

    private static void AssertMaps(MlopsException e, ErrorKind kind, int exitCode, int httpStatus)
    {
        Assert.Equal(kind, e.Kind);
        Assert.Equal(exitCode, ErrorKinds.ExitCode(e.Kind));
        Assert.Equal(httpStatus, ErrorKinds.HttpStatus(e.Kind));
        Assert.NotNull(e.Hint);
    }

    private (int Code, string Out, string Err) Mlops(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = MlopsCli.Run([.. args, "--tracking-uri", _uri], output, error);
        return (code, output.ToString(), error.ToString());
    }

    // What a handler gets when the command line names this store.
    private CliContext Cli() => new(new RootCommand { GlobalOptions.TrackingUri }.Parse(["--tracking-uri", _uri]));

    private string RecordRun()
    {
        using var client = new TrackingClient(_uri);
        var run = client.CreateRun("churn", "fasttree");
        client.LogBatch(run.RunId, [new Metric("auc", 0.9, 1, 1)], [new Param("trainer", "FastTree")]);
        client.SetTerminated(run.RunId);
        return run.RunId;
    }

    [Fact]
    public void A_run_that_does_not_exist_is_not_found_404_and_the_cli_exits_1_with_its_message()
    {
        RecordRun();
        using var client = new TrackingClient(_uri);
        var e = Assert.ThrowsAny<MlopsException>(() => client.GetRun("deadbeef"));
        AssertMaps(e, ErrorKind.NotFound, 1, 404);

        var (code, output, error) = Mlops("runs", "show", "deadbeef");
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Contains($"error: {e.Message}", error);
    }

    [Fact]
    public void A_metric_or_a_model_the_cli_is_asked_for_and_that_does_not_exist_is_not_found()
    {
        var runId = RecordRun();
        var history = Assert.ThrowsAny<MlopsException>(() => RunsCommands.History(new MetricHistorySettings(runId, "nope"), Cli()));
        AssertMaps(history, ErrorKind.NotFound, 1, 404);
        Assert.Equal($"Run {runId} has no metric 'nope'.", history.Message);

        var model = Assert.ThrowsAny<MlopsException>(() => ModelsCommands.Show(new ShowModelSettings("churn"), Cli()));
        AssertMaps(model, ErrorKind.NotFound, 1, 404);
        Assert.Equal("No model named 'churn'.", model.Message);
    }

    [Fact]
    public void An_artifact_or_a_file_that_is_not_there_is_not_found()
    {
        using var client = new TrackingClient(_uri);
        var run = client.CreateRun("churn", "fasttree");
        AssertMaps(Assert.ThrowsAny<MlopsException>(() => client.LogArtifact(run.RunId, _dir.File("missing.csv"))), ErrorKind.NotFound, 1, 404);
        AssertMaps(Assert.ThrowsAny<MlopsException>(() => client.OpenArtifact(run.RunId, "model.zip")), ErrorKind.NotFound, 1, 404);
    }

    [Fact]
    public void A_taken_experiment_name_and_a_changed_param_are_conflicts_409()
    {
        var runId = RecordRun();
        using var client = new TrackingClient(_uri);
        AssertMaps(Assert.ThrowsAny<MlopsException>(() => client.Store.CreateExperiment("churn", DateTimeOffset.UtcNow)), ErrorKind.Conflict, 1, 409);

        var run = client.CreateRun("churn", "again");
        client.LogParam(run.RunId, "trainer", "FastTree");
        AssertMaps(Assert.ThrowsAny<MlopsException>(() => client.LogParam(run.RunId, "trainer", "Sdca")), ErrorKind.Conflict, 1, 409);
        Assert.Equal("FastTree", client.GetRun(run.RunId).Params["trainer"]);
        Assert.Equal("FastTree", client.GetRun(runId).Params["trainer"]);
    }

    [Fact]
    public void Metrics_logged_to_a_run_that_ended_meanwhile_stay_a_conflict_when_the_writer_reports_them()
    {
        using var client = new TrackingClient(_uri);
        var run = client.CreateRun("churn", "fasttree");
        client.LogMetric(run.RunId, "auc", 0.9);
        // Another process ends the run before the buffered point is written.
        using (var other = new TrackingClient(_uri))
        {
            other.SetTerminated(run.RunId);
        }
        var e = Assert.ThrowsAny<MlopsException>(client.Flush);
        AssertMaps(e, ErrorKind.Conflict, 1, 409);
        Assert.StartsWith("Some metric points could not be written: ", e.Message);
    }

    [Fact]
    public void A_bad_filter_is_invalid_400_and_the_cli_exits_1()
    {
        RecordRun();
        using var client = new TrackingClient(_uri);
        AssertMaps(Assert.ThrowsAny<MlopsException>(() => client.SearchRuns(filter: "metrics.auc >> 0.8")), ErrorKind.Invalid, 1, 400);
        AssertMaps(Assert.ThrowsAny<MlopsException>(() => KeyValueText.Parse("=1", "-p", "Write e.g. -p epochs=20.")), ErrorKind.Invalid, 1, 400);
        Assert.Equal(1, Mlops("runs", "search", "-f", "metrics.auc >> 0.8").Code);
    }

    [Fact]
    public void A_read_only_store_is_unavailable_503_and_the_cli_exits_1()
    {
        using var disk = new Tmpfs("4m");
        var store = disk.File("mlops.db");
        string runId;
        using (var writer = new TrackingClient(store))
        {
            runId = writer.CreateRun("churn", "fasttree").RunId;
        }
        disk.MakeReadOnly();

        var e = Assert.ThrowsAny<MlopsException>(() =>
        {
            using var client = new TrackingClient(store);
            client.DeleteRun(runId);
        });
        AssertMaps(e, ErrorKind.Unavailable, 1, 503);
        var (output, error) = (new StringWriter(), new StringWriter());
        Assert.Equal(1, MlopsCli.Run(["runs", "delete", runId, "--tracking-uri", store], output, error));
        Assert.Contains(store, error.ToString());
    }

    [Fact]
    public void Metrics_buffered_when_the_disk_fills_stay_unavailable_when_the_writer_reports_them()
    {
        using var disk = new Tmpfs("2m");
        using var client = new TrackingClient(disk.File("mlops.db"));
        var run = client.CreateRun("churn", "fasttree");
        var filler = disk.Fill();
        for (var step = 0; step < 2000; step++)
        {
            client.LogMetric(run.RunId, "auc", 0.9, step);
        }
        var e = Assert.ThrowsAny<MlopsException>(client.Flush);
        AssertMaps(e, ErrorKind.Unavailable, 1, 503);
        Assert.StartsWith("Some metric points could not be written: ", e.Message);

        // The points were kept: with space again, they are written.
        File.Delete(filler);
        client.Flush();
        Assert.Equal(2000, client.GetMetricHistory(run.RunId, "auc").Count);
    }
}
