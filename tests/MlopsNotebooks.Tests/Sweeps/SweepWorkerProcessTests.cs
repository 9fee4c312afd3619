using System.Diagnostics;
using System.Globalization;
using MlopsNotebooks.Sweeps;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Sweeps;

/// <summary>Sweep workers as real processes sharing one SQLite file (TrackingWorker's sweep mode).</summary>
public sealed class SweepWorkerProcessTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string StoreUri => "sqlite:///" + _dir.File("mlops.db");

    public void Dispose() => _dir.Dispose();

    private Process Worker(string sweep, int trials, double budgetSeconds, int trialMs, bool hang = false) =>
        Programs.Start(Programs.TrackingWorker, ["sweep", StoreUri, "search", sweep, $"{trials}", budgetSeconds.ToString(CultureInfo.InvariantCulture), $"{trialMs}", .. hang ? new[] { "hang" } : []]);

    private static string Finish(Process worker)
    {
        var output = worker.StandardOutput.ReadToEndAsync();
        var error = worker.StandardError.ReadToEndAsync();
        Assert.True(worker.WaitForExit(120_000), "a worker hung");
        Assert.True(worker.ExitCode == 0, $"a worker failed ({worker.ExitCode}): {error.Result}");
        return output.Result;
    }

    private SweepResult Load(string sweep)
    {
        using var client = new TrackingClient(StoreUri);
        return SweepResult.Load(client, "search", sweep);
    }

    [Fact]
    public void Two_worker_processes_share_one_sweep_numbering_each_trial_once_under_the_cap()
    {
        using var a = Worker("shared", 16, 0, 250);
        using var b = Worker("shared", 16, 0, 250);
        var outputs = new[] { Finish(a), Finish(b) };

        var result = Load("shared");
        Assert.Equal(Enumerable.Range(1, 16), result.Trials.Select(t => t.Number));
        Assert.All(result.Trials, t => Assert.Equal(TrialState.Complete, t.State));
        using var client = new TrackingClient(StoreUri);
        var workers = result.Trials.Select(t => client.GetRun(t.RunId).Tags[RunContext.ProcessId]).Distinct().ToList();
        Assert.Equal(2, workers.Count);
        Assert.All(outputs, o => Assert.Contains("done TrialsReached", o));
        var ran = outputs.SelectMany(o => o.Split('\n').Where(l => l.StartsWith("trial ", StringComparison.Ordinal)).Select(l => int.Parse(l.Split(' ')[1], CultureInfo.InvariantCulture)));
        Assert.Equal(Enumerable.Range(1, 16), ran.Order());
        Assert.Equal(RunStatus.Finished, client.GetRun(result.RunId).Status);
    }

    [Fact]
    public void A_worker_killed_during_a_trial_has_it_marked_lost_by_the_next_worker_which_redoes_it_with_the_same_values()
    {
        string line;
        using (var victim = Worker("killed", 3, 0, 10, hang: true))
        {
            line = victim.StandardOutput.ReadLine() ?? throw new Xunit.Sdk.XunitException("the worker stopped before its first trial: " + victim.StandardError.ReadToEnd());
            victim.Kill();
            victim.WaitForExit();
        }
        Assert.StartsWith("trial 1 ", line);
        var x = double.Parse(line.Split(' ')[2], CultureInfo.InvariantCulture);

        using var next = Worker("killed", 3, 0, 10);
        Assert.Contains("done TrialsReached", Finish(next));

        var result = Load("killed");
        Assert.Equal([TrialState.Lost, TrialState.Complete, TrialState.Complete, TrialState.Complete], result.Trials.Select(t => t.State));
        using var client = new TrackingClient(StoreUri);
        Assert.Equal(RunStatus.Killed, client.GetRun(result.Trials[0].RunId).Status);
        Assert.Equal(x, (double)result.Trials[1].Values["x"]);
        Assert.Equal(result.Trials[0].RunId, client.GetRun(result.Trials[1].RunId).Tags["mlops.sweep.retry_of"]);
        Assert.Equal(x.ToString("R", CultureInfo.InvariantCulture), client.GetRun(result.Trials[1].RunId).Params["x"]);
    }

    [Fact]
    public void A_time_budget_holds_across_two_workers_the_later_one_adopting_the_first_one_s_deadline()
    {
        using var first = Worker("budgeted", 0, 4, 300);
        Assert.StartsWith("trial 1 ", first.StandardOutput.ReadLine());
        using var second = Worker("budgeted", 0, 4, 300);
        var outputs = new[] { Finish(first), Finish(second) };

        var result = Load("budgeted");
        var deadline = result.Status.Deadline!.Value;
        using var client = new TrackingClient(StoreUri);
        var parent = client.GetRun(result.RunId);
        Assert.Equal(parent.StartTime.AddSeconds(4), deadline);
        var trials = result.Trials.Select(t => client.GetRun(t.RunId)).ToList();
        Assert.All(trials, t => Assert.True(t.StartTime <= deadline, $"{t.Name} started {t.StartTime:O}, after the deadline {deadline:O}"));
        Assert.Equal(2, trials.Select(t => t.Tags[RunContext.ProcessId]).Distinct().Count());
        Assert.All(outputs, o => Assert.Contains("done BudgetSpent", o));
        Assert.Equal(Enumerable.Range(1, trials.Count), result.Trials.Select(t => t.Number));
    }

    [Fact]
    public void A_program_given_a_run_through_MLOPS_RUN_ID_logs_to_it_and_leaves_it_running_for_its_owner()
    {
        using var client = new TrackingClient(StoreUri);
        var host = client.CreateRun("search", "trial-1");
        var (code, _, error) = Programs.Run(Programs.TrackingWorker, [StoreUri, "search", "ignored", "3"],
            environment: new Dictionary<string, string?> { [RunContext.RunIdVariable] = host.RunId });

        Assert.True(code == 0, error);
        var run = client.GetRun(host.RunId);
        Assert.Equal((RunStatus.Running, "trial-1", "ignored", 2.0), (run.Status, run.Name, run.Params["worker"], run.Metrics["x"].Value));
        Assert.Single(client.SearchRuns(["search"]));
    }
}
