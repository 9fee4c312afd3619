using System.Globalization;
using MlopsNotebooks.Storage;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Sweeps;

/// <summary>
/// One worker of a sweep: joins (or creates, or resumes) the sweep's parent run, then claims and runs trials one at a
/// time until the cap, the budget or its caller stops it. Workers coordinate only through the tracking store: the
/// parent's settings and deadline, and trials claimed with <see cref="ITrackingStore.CreateChildRun"/>.
/// </summary>
internal sealed class SweepWorker
{
    private readonly MlopsSession _session;
    private readonly Lazy<TrackingClient> _openedClient;
    private readonly SearchSpace _space;
    private readonly ISweepEvaluation _evaluation;
    private readonly SweepOptions _options;
    private readonly CancellationToken _cancellation;
    private readonly Provenance _provenance;
    private readonly IReadOnlyList<RunTag> _context;

    // Steps of trials that have ended never change: read once.
    private readonly Dictionary<string, IReadOnlyList<(long Step, double Value)>> _endedSteps = new(StringComparer.Ordinal);

    public SweepWorker(MlopsSession session, SearchSpace space, ISweepEvaluation evaluation, SweepOptions options, CancellationToken cancellation)
    {
        _session = session;
        // Opened once the options and the name are known to be good: a bad sweep creates no store and no experiment.
        _openedClient = new Lazy<TrackingClient>(() => session.Client);
        _space = space;
        _evaluation = evaluation;
        _options = options;
        _cancellation = cancellation;
        _provenance = session.Provenance with { RunId = null };
        _context = RunContext.Capture(_provenance);
    }

    private TrackingClient Client => _openedClient.Value;

    private ITrackingStore Store => Client.Store;

    public SweepResult Run()
    {
        Validate();
        var name = _options.Name ?? $"sweep-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        Names.ValidateName("sweep", name);
        var experiment = Client.GetOrCreateExperiment(_options.Experiment ?? _session.ExperimentName);
        var parentId = Open(experiment, name);
        var stop = Loop(parentId);
        var parent = Store.GetRun(parentId)!;
        var trials = SweepRecord.Children(Store, parent);
        // The last worker to stop ends the parent; one that sees another's trial running leaves that to it.
        if (trials.All(t => t.Status != RunStatus.Running))
        {
            Store.TrySetRunStatus(parentId, RunStatus.Running, stop == SweepStop.Cancelled ? RunStatus.Killed : RunStatus.Finished, DateTimeOffset.UtcNow);
            parent = Store.GetRun(parentId)!;
        }
        var status = SweepRecord.Status(parent, trials);
        _options.Progress?.Report(status);
        return new SweepResult(Client, status, stop, _evaluation);
    }

    private void Validate()
    {
        Names.ValidateKey("metric", _options.Metric);
        if (_space.Parameters.Count == 0)
        {
            throw new MlopsException("The search space has no hyperparameters, so there is nothing to search.",
                "Add some with SearchSpace.Int, Float, Choice or Trainers (or under `parameters:` in the space file).");
        }
        if (_options.Trials is < 1)
        {
            throw new MlopsException($"A sweep's trial cap must be at least 1; it was {_options.Trials}.", "Give a positive number of trials, or none with a time budget.");
        }
        if (_options.Budget is { } budget && budget <= TimeSpan.Zero)
        {
            throw new MlopsException($"A sweep's time budget must be positive; it was {budget}.", "Give a budget such as 00:10:00, or none with a trial cap.");
        }
        if (_options.Trials is null && _options.Budget is null)
        {
            throw new MlopsException("The sweep has neither a trial cap nor a time budget, so it would never stop.",
                "Set SweepOptions.Trials or SweepOptions.Budget (--trials or --budget).");
        }
        if (_options.HeartbeatInterval <= TimeSpan.Zero || _options.HeartbeatGrace <= _options.HeartbeatInterval)
        {
            throw new MlopsException($"The heartbeat grace ({_options.HeartbeatGrace}) must be longer than the heartbeat interval ({_options.HeartbeatInterval}), which must be positive.",
                "Otherwise live trials would be taken as lost; keep the defaults (10 s and 60 s) unless trials run on slow links.");
        }
    }

    /// <summary>Finds, creates or resumes the sweep's parent run and checks this worker's settings against it.</summary>
    private string Open(Experiment experiment, string name)
    {
        var id = SweepRecord.ParentRunId(experiment.ExperimentId, name);
        var settings = SweepRecord.Settings(_space, _options);
        var now = DateTimeOffset.UtcNow;
        var deadline = now + _options.Budget;
        var first = false;
        var parent = Store.GetRun(id);
        if (parent is null)
        {
            try
            {
                parent = Store.CreateRun(new NewRun(id, experiment.ExperimentId, name, null, now,
                    [.. ParentContext(), new RunTag(SweepRecord.SweepTag, "true"), new RunTag(SweepRecord.DeadlineTag, SweepRecord.DeadlineText(deadline))]));
                first = true;
            }
            catch (Exception)
            {
                // Another worker created it first: join it. (Not an exception filter: a filter runs before the store's
                // failed transaction has unwound, and its read then fails too.)
                parent = Store.GetRun(id);
                if (parent is null)
                {
                    throw;
                }
            }
        }
        if (parent.Stage == LifecycleStage.Deleted)
        {
            throw new ConflictException($"Sweep '{name}' in experiment '{experiment.Name}' is deleted (run {id}).",
                $"Restore it with `mlops runs restore {id}`, or give this sweep another name.");
        }
        CheckSettings(parent, settings, name, experiment.Name);
        if (!first && parent.Status != RunStatus.Running)
        {
            first = Store.TrySetRunStatus(id, parent.Status, RunStatus.Running, null);
        }
        else if (!first && IsAbandoned(parent))
        {
            // Every worker died without ending it: this start is a resumption, with a budget of its own.
            first = true;
        }
        var tags = first ? new[] { new RunTag(SweepRecord.DeadlineTag, SweepRecord.DeadlineText(deadline)) } : [];
        try
        {
            Client.LogBatch(id, parameters: settings.Select(s => new Param(s.Key, s.Value)).ToList(), tags: tags);
        }
        catch (ParamConflictException)
        {
            // A worker with other settings recorded them between the check above and this write.
            CheckSettings(Store.GetRun(id)!, settings, name, experiment.Name);
            throw;
        }
        if (!Store.GetRun(id)!.Artifacts.Any(a => a.Path == SweepRecord.SpaceArtifact))
        {
            var file = Path.Combine(Path.GetTempPath(), $"mlops-space-{Guid.NewGuid():N}.json");
            try
            {
                File.WriteAllText(file, SweepRecord.SpaceJson(_space));
                Client.LogArtifact(id, file, SweepRecord.SpaceArtifact);
            }
            finally
            {
                File.Delete(file);
            }
        }
        return id;
    }

    // The parent is every worker's: it names the code, not one process, which would make it look stale when that one exits.
    private IEnumerable<RunTag> ParentContext() => _context
        .Where(t => t.Key is not (RunContext.Host or RunContext.ProcessId or RunContext.ProcessStart));

    private static void CheckSettings(Run parent, IReadOnlyDictionary<string, string> settings, string name, string experiment)
    {
        var differ = settings.Where(s => parent.Params.TryGetValue(s.Key, out var recorded) && recorded != s.Value)
            .Select(s => $"{s.Key} {parent.Params[s.Key]} (this worker: {s.Value})").ToList();
        if (differ.Count > 0)
        {
            throw new ConflictException($"Sweep '{name}' in experiment '{experiment}' was started with other settings: {string.Join("; ", differ)}.",
                "Workers of one sweep must share its metric, direction, tuner, trial cap and space: start this one with the same settings, or give it another sweep name.");
        }
    }

    private bool IsAbandoned(Run parent)
    {
        var now = DateTimeOffset.UtcNow;
        return now - (parent.HeartbeatTime ?? parent.StartTime) > _options.HeartbeatGrace
            && SweepRecord.Children(Store, parent).All(t => t.Status != RunStatus.Running || IsLost(t, now));
    }

    private SweepStop Loop(string parentId)
    {
        var direction = _options.Direction;
        while (true)
        {
            if (_cancellation.IsCancellationRequested)
            {
                return SweepStop.Cancelled;
            }
            Store.Heartbeat(parentId, DateTimeOffset.UtcNow);
            var parent = Store.GetRun(parentId)!;
            var children = SweepRecord.Children(Store, parent);
            if (MarkLost(children))
            {
                continue;
            }
            var deadline = SweepRecord.Deadline(parent);
            if (deadline <= DateTimeOffset.UtcNow)
            {
                return SweepStop.BudgetSpent;
            }
            var redo = children.FirstOrDefault(c => c.Status == RunStatus.Killed
                && !children.Any(o => o.Tags.GetValueOrDefault(SweepRecord.RetryOfTag) == c.RunId));
            var history = History(children);
            var number = children.Count + 1;
            var values = redo is not null
                ? SweepRecord.ParseValues(redo.Tags.GetValueOrDefault(SweepRecord.ValuesTag))
                : _options.Tuner.Suggest(_space, history, direction, new Random(unchecked(_options.Seed * 1_000_003 + number)));
            var (full, spent) = (false, false);
            var trial = Store.CreateChildRun(new NewRun("", parent.ExperimentId, null, parentId, DateTimeOffset.UtcNow, []), statuses =>
            {
                // The budget is judged at the claim, since the tuner may have taken the time up.
                var start = DateTimeOffset.UtcNow;
                full = _options.Trials is { } cap && statuses.Count(s => s != RunStatus.Killed) >= cap;
                spent = deadline <= start;
                // Another worker claimed a trial since the history was read: read it again, so that a lost trial is
                // redone once and the tuner sees every trial.
                return full || spent || statuses.Count != children.Count ? null : NewTrial(parent, number, values, redo, start);
            });
            if (trial is null)
            {
                if (full || spent)
                {
                    return full ? SweepStop.TrialsReached : SweepStop.BudgetSpent;
                }
                continue;
            }
            if (!RunTrial(parent, trial, number, values))
            {
                return SweepStop.Cancelled;
            }
        }
    }

    // Called inside the claim's transaction: no git or process look-ups here (the worker's context is captured once).
    private NewRun NewTrial(Run parent, int number, IReadOnlyDictionary<string, object> values, Run? redo, DateTimeOffset start)
    {
        var tags = _context.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        tags[SweepRecord.TrialTag] = number.ToString(CultureInfo.InvariantCulture);
        tags[SweepRecord.StateTag] = SweepRecord.StateName(TrialState.Running);
        tags[SweepRecord.ValuesTag] = SweepRecord.ValuesJson(values);
        if (redo is not null)
        {
            tags[SweepRecord.RetryOfTag] = redo.RunId;
        }
        return new NewRun(Guid.NewGuid().ToString("N"), parent.ExperimentId, SweepRecord.TrialName(number), parent.RunId,
            start, tags.Select(t => new RunTag(t.Key, t.Value)).ToList());
    }

    /// <summary>Marks running trials whose worker is gone as lost; true when this worker marked one (it is then redone).</summary>
    private bool MarkLost(IReadOnlyList<Run> children)
    {
        var now = DateTimeOffset.UtcNow;
        var marked = false;
        foreach (var child in children.Where(c => c.Status == RunStatus.Running && IsLost(c, now)))
        {
            marked |= Store.TrySetRunStatus(child.RunId, RunStatus.Running, RunStatus.Killed, now);
        }
        return marked;
    }

    /// <summary>Its process on this machine is gone, or it has had no heartbeat for the grace period (as <see cref="RunLiveness"/> judges, with the sweep's grace).</summary>
    private bool IsLost(Run trial, DateTimeOffset now)
    {
        if (trial.Tags.GetValueOrDefault(RunContext.Host) == Environment.MachineName
            && int.TryParse(trial.Tags.GetValueOrDefault(RunContext.ProcessId), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            && !RunLiveness.IsAlive(pid, trial.Tags.GetValueOrDefault(RunContext.ProcessStart)))
        {
            return true;
        }
        return now - (trial.HeartbeatTime ?? trial.StartTime) > _options.HeartbeatGrace;
    }

    private List<TrialResult> History(IReadOnlyList<Run> children) => children.Select(c =>
    {
        var state = SweepRecord.State(c);
        return new TrialResult(SweepRecord.Number(c), SweepRecord.ParseValues(c.Tags.GetValueOrDefault(SweepRecord.ValuesTag)), state,
            state is TrialState.Complete or TrialState.Pruned ? SweepRecord.Value(c, _options.Metric) : null,
            state is TrialState.Failed or TrialState.Lost ? [] : Steps(c));
    }).ToList();

    private IReadOnlyList<(long Step, double Value)> Steps(Run trial)
    {
        if (_endedSteps.TryGetValue(trial.RunId, out var known))
        {
            return known;
        }
        // The first point of a step is what the trial reported there; a trial's final value may repeat its last step.
        var steps = Store.GetMetricHistory(trial.RunId, _options.Metric)
            .Where(m => m.Step > 0).GroupBy(m => m.Step).Select(g => (g.Key, g.First().Value)).OrderBy(s => s.Key).ToList();
        if (trial.Status != RunStatus.Running)
        {
            _endedSteps[trial.RunId] = steps;
        }
        return steps;
    }

    /// <summary>Runs one claimed trial to its end; false when the caller cancelled it (it then ends as lost, to be redone).</summary>
    private bool RunTrial(Run parent, Run run, int number, IReadOnlyDictionary<string, object> values)
    {
        var metric = _options.Metric;
        Client.LogBatch(run.RunId, parameters: SweepRecord.ValueParams(values));
        Report(parent);
        var steps = new List<(long Step, double Value)>();
        bool Lags(double value, long step)
        {
            lock (steps)
            {
                steps.Add((step, value));
            }
            if (_options.Pruner is not { } pruner)
            {
                return false;
            }
            var others = History(SweepRecord.Children(Store, parent)).Where(t => t.Number != number).ToList();
            List<(long, double)> mine;
            lock (steps)
            {
                mine = [.. steps];
            }
            return pruner.ShouldPrune(new TrialResult(number, values, TrialState.Running, null, mine), others, _options.Direction);
        }
        var trial = new Trial(number, run.RunId, values, (value, step) =>
        {
            _cancellation.ThrowIfCancellationRequested();
            Client.LogMetric(run.RunId, metric, value, step);
            return Lags(value, step);
        });
        using var session = new MlopsSession(_provenance with { RunId = run.RunId }, Client, Client.Store.GetExperiment(parent.ExperimentId)!.Name)
        {
            // The evaluation's own Mlops.LogMetric of the sweep's metric by step is a report too.
            MetricLogged = (runId, key, value, step) =>
            {
                if (runId == run.RunId && key == metric && step > 0 && Lags(value, step))
                {
                    throw new TrialPrunedException(number, step);
                }
            },
        };
        using var heartbeat = new Timer(_ => Beat(parent.RunId, run.RunId), null, _options.HeartbeatInterval, _options.HeartbeatInterval);
        var evaluation = Task.Run(() =>
        {
            using (MlopsSession.Use(session))
            {
                session.StartRun();
                return _evaluation.Evaluate(trial);
            }
        });
        Outcome outcome;
        try
        {
            evaluation.Wait(_cancellation);
            var value = evaluation.Result;
            outcome = double.IsFinite(value)
                ? new Outcome(TrialState.Complete, value, null, null)
                : new Outcome(TrialState.Failed, null, $"The evaluation returned {value.ToString(CultureInfo.InvariantCulture)}, which cannot be compared.", null);
        }
        catch (OperationCanceledException) when (_cancellation.IsCancellationRequested)
        {
            outcome = new Outcome(TrialState.Lost, null, null, null);
        }
        catch (AggregateException e) when (e.InnerException is OperationCanceledException && _cancellation.IsCancellationRequested)
        {
            outcome = new Outcome(TrialState.Lost, null, null, null);
        }
        catch (AggregateException e) when (e.InnerException is TrialPrunedException pruned)
        {
            outcome = new Outcome(TrialState.Pruned, steps.LastOrDefault().Value, null, pruned.Step);
        }
        catch (AggregateException e)
        {
            var error = e.InnerException ?? e;
            var text = error is MlopsException m ? m.Describe() : $"{error.GetType().Name}: {error.Message}";
            outcome = new Outcome(TrialState.Failed, null, text.Length > SweepRecord.MaxErrorLength ? text[..SweepRecord.MaxErrorLength] + "…" : text, null);
        }
        heartbeat.Dispose();
        session.EndAll(outcome.State == TrialState.Complete ? RunStatus.Finished : outcome.State == TrialState.Lost ? RunStatus.Killed : RunStatus.Failed);
        End(run.RunId, outcome, steps);
        Report(parent);
        return outcome.State != TrialState.Lost;
    }

    private sealed record Outcome(TrialState State, double? Value, string? Error, long? PrunedStep);

    /// <summary>Records how the trial ended, unless another worker took it as lost meanwhile (then it is theirs to redo).</summary>
    private void End(string runId, Outcome outcome, List<(long Step, double Value)> steps)
    {
        var tags = new List<RunTag> { new(SweepRecord.StateTag, SweepRecord.StateName(outcome.State)) };
        var metrics = new List<Metric>();
        if (outcome.Value is { } value)
        {
            tags.Add(new RunTag(SweepRecord.ValueTag, value.ToString("R", CultureInfo.InvariantCulture)));
            if (outcome.State == TrialState.Complete)
            {
                metrics.Add(new Metric(_options.Metric, value, steps.Count > 0 ? steps.Max(s => s.Step) : 0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            }
        }
        if (outcome.Error is { } error)
        {
            tags.Add(new RunTag(SweepRecord.ErrorTag, error));
        }
        if (outcome.PrunedStep is { } step)
        {
            tags.Add(new RunTag(SweepRecord.PrunedStepTag, step.ToString(CultureInfo.InvariantCulture)));
        }
        try
        {
            Client.Flush();
            Client.LogBatch(runId, metrics, tags: tags);
        }
        catch (RunNotActiveException)
        {
            return;
        }
        var status = outcome.State switch
        {
            TrialState.Failed => RunStatus.Failed,
            TrialState.Lost => RunStatus.Killed,
            _ => RunStatus.Finished,
        };
        Store.TrySetRunStatus(runId, RunStatus.Running, status, DateTimeOffset.UtcNow);
    }

    private void Beat(string parentId, string trialId)
    {
        try
        {
            var now = DateTimeOffset.UtcNow;
            Store.Heartbeat(trialId, now);
            Store.Heartbeat(parentId, now);
        }
        catch (Exception e) when (e is MlopsException or System.Data.Common.DbException or ObjectDisposedException)
        {
            // A missed heartbeat only makes the trial look lost sooner; the next one retries.
        }
    }

    private void Report(Run parent)
    {
        if (_options.Progress is { } progress)
        {
            var fresh = Store.GetRun(parent.RunId)!;
            progress.Report(SweepRecord.Status(fresh, SweepRecord.Children(Store, fresh)));
        }
    }
}

/// <summary>A user's function as an evaluation (it cannot refit: the best trial must log its model).</summary>
internal sealed class FunctionEvaluation(Func<Trial, double> evaluate) : ISweepEvaluation
{
    public double Evaluate(Trial trial) => evaluate(trial);
}
