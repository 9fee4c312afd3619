using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Tracking;

/// <summary>Sessions hold the fluent API's state; the process's own is shared, so these run with the fluent tests.</summary>
[Collection(nameof(FluentApiTests))]
public sealed class SessionTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public SessionTests() => Mlops.Reset();

    public void Dispose()
    {
        Mlops.Reset();
        _dir.Dispose();
    }

    [Fact]
    public async Task Two_sessions_side_by_side_in_one_process_keep_their_own_runs_experiments_and_provenance()
    {
        var store = _dir.File("mlops.db");
        using var gate = new Barrier(2); // both runs are active at once before either logs
        async Task<(string RunId, string ActiveSeen)> Trial(string notebook, string trial)
        {
            await Task.Yield();
            using var session = new MlopsSession(new Provenance(_dir.File(notebook), "hash-" + trial, $$"""{"trial":"{{trial}}"}""",
                new Dictionary<string, string> { ["sweep.trial"] = trial }), store);
            using (MlopsSession.Use(session))
            {
                Mlops.SetExperiment("exp-" + trial);
                using var run = Mlops.StartRun(trial);
                await Task.Run(() => gate.SignalAndWait(TimeSpan.FromSeconds(30))); // a task the code starts sees the session too
                Mlops.LogMetric("auc", trial == "a" ? 0.7 : 0.8);
                return (run.RunId, Mlops.ActiveRun!.RunId);
            }
        }

        var results = await Task.WhenAll(Task.Run(() => Trial("a.ipynb", "a")), Task.Run(() => Trial("b.ipynb", "b")));

        Assert.Null(Mlops.ActiveRun); // the process's own session saw none of it
        using var client = new TrackingClient(store);
        foreach (var ((runId, activeSeen), trial) in results.Zip(new[] { "a", "b" }))
        {
            Assert.Equal(runId, activeSeen);
            var run = client.GetRun(runId);
            Assert.Equal(RunStatus.Finished, run.Status);
            Assert.Equal(trial == "a" ? 0.7 : 0.8, run.Metrics["auc"].Value);
            Assert.Equal(client.GetExperimentByName("exp-" + trial).ExperimentId, run.ExperimentId);
            Assert.Equal(trial + ".ipynb", Path.GetFileName(run.Tags[RunContext.SourceName]));
            Assert.Equal("NOTEBOOK", run.Tags[RunContext.SourceType]);
            Assert.Equal("hash-" + trial, run.Tags[RunContext.NotebookHash]);
            Assert.Equal($$"""{"trial":"{{trial}}"}""", run.Tags[RunContext.NotebookParameters]);
            Assert.Equal(trial, run.Tags["sweep.trial"]);
        }
    }

    [Fact]
    public void A_session_without_provenance_names_the_program_and_ending_it_finishes_the_runs_left_active()
    {
        var store = _dir.File("mlops.db");
        string runId;
        using (var session = new MlopsSession(trackingUri: store))
        {
            runId = session.StartRun("left-open").RunId;
            session.StartRun("child", nested: true);
        }
        using var client = new TrackingClient(store);
        var run = client.GetRun(runId);
        Assert.Equal(RunStatus.Finished, run.Status);
        Assert.Equal("PROGRAM", run.Tags[RunContext.SourceType]);
        Assert.False(run.Tags.ContainsKey(RunContext.NotebookHash));
        Assert.All(client.SearchRuns(["Default"]), r => Assert.Equal(RunStatus.Finished, r.Status));
    }

    [Fact]
    public void Logging_with_no_active_run_names_the_magic_that_starts_one()
    {
        using var session = new MlopsSession(trackingUri: _dir.File("mlops.db"));
        var error = Assert.Throws<MlopsException>(() => session.LogMetric("auc", 0.5));
        Assert.Equal("There is no active run.", error.Message);
        Assert.Contains("#!mlops start-run", error.Hint); // a magic that exists (it said "the run magic")
    }

    [Fact]
    public void A_tag_from_a_host_that_breaks_the_naming_rules_fails_the_run_start()
    {
        using var session = new MlopsSession(new Provenance(Tags: new Dictionary<string, string> { ["bad\u0000key"] = "x" }), _dir.File("mlops.db"));
        Assert.Throws<InvalidNameException>(() => session.StartRun("r"));
        Assert.Null(session.ActiveRun);
    }

    [Fact]
    public void A_session_whose_runs_all_ended_is_not_kept_alive_by_the_process_once_its_code_lets_go_of_it()
    {
        // A sweep that forgets to dispose its trials' sessions must not keep every one of them (and its store) in memory.
        var store = _dir.File("mlops.db");
        var sessions = Enumerable.Range(0, 3).Select(trial => EndedSession(store, trial)).ToList();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.All(sessions, s => Assert.False(s.IsAlive));
        using var client = new TrackingClient(store);
        Assert.All(client.SearchRuns(["Default"]), r => Assert.Equal(RunStatus.Finished, r.Status));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference EndedSession(string store, int trial)
    {
        var session = new MlopsSession(trackingUri: store);
        session.StartRun("trial-" + trial);
        session.StartRun("child", nested: true);
        session.EndRun();
        session.ActiveRun!.End();
        session.Client.Flush();
        return new WeakReference(session);
    }
}
