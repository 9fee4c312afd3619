using MlopsNotebooks.Registry;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Sweeps;

/// <summary>Why a worker stopped starting trials.</summary>
public enum SweepStop
{
    /// <summary>The sweep has as many trials as its cap (across its workers).</summary>
    TrialsReached,

    /// <summary>Its time budget is spent.</summary>
    BudgetSpent,

    /// <summary>The caller cancelled it (Ctrl-C, an interrupted cell); the trial it was running is redone on resumption.</summary>
    Cancelled,

    /// <summary>Read back with <see cref="SweepResult.Load"/>: no worker of this process ran it.</summary>
    NotRun,
}

/// <summary>
/// A sweep as it stands after a worker ran it (or as read back): its trials across all its workers, the best one, and
/// the one call that registers the best trial's model.
/// </summary>
public sealed class SweepResult
{
    private readonly TrackingClient _client;
    private readonly ISweepEvaluation? _evaluation;

    internal SweepResult(TrackingClient client, SweepStatus status, SweepStop stop, ISweepEvaluation? evaluation)
    {
        _client = client;
        Status = status;
        Stop = stop;
        _evaluation = evaluation;
    }

    public SweepStatus Status { get; }

    public SweepStop Stop { get; }

    public IReadOnlyList<SweepTrial> Trials => Status.Trials;

    /// <summary>The complete trial with the best value, or null when none completed.</summary>
    public SweepTrial? Best => Status.Best;

    /// <summary>The sweep's parent run.</summary>
    public string RunId => Status.RunId;

    /// <summary>Reads back the sweep named <paramref name="name"/> in <paramref name="experiment"/> (for <c>mlops sweep show</c>).</summary>
    public static SweepResult Load(TrackingClient client, string experiment, string name)
    {
        var found = client.Store.GetExperimentByName(experiment) is { } e
            ? client.Store.GetRun(SweepRecord.ParentRunId(e.ExperimentId, name))
            : null;
        if (found is null)
        {
            throw new NotFoundException($"There is no sweep named '{name}' in experiment '{experiment}'.",
                "Check the names; `mlops runs list --experiment <name>` lists the experiment's runs, sweeps among them.");
        }
        client.Flush();
        return new SweepResult(client, SweepRecord.Status(found, SweepRecord.Children(client.Store, found)), SweepStop.NotRun, evaluation: null);
    }

    /// <summary>
    /// Registers the best trial's model as a new version of <paramref name="name"/>: the model the trial logged
    /// (<c>model/model.zip</c>, e.g. with <c>Mlops.Models.Register</c> inside the evaluation), else the evaluation's
    /// <see cref="ISweepEvaluation.Fit"/> of the best values, logged to a run nested in the best trial's.
    /// </summary>
    public ModelVersion RegisterBest(string name, string? alias = null)
    {
        var best = Best ?? throw new MlopsException($"Sweep '{Status.Name}' has no complete trial, so it has no best model to register.",
            Trials.Count == 0 ? "Run the sweep first." : "Look at its failed trials' errors (the mlops.sweep.error tag), fix the evaluation and run the sweep again.");
        var registry = new ModelRegistry(_client);
        var run = _client.GetRun(best.RunId);
        if (run.Artifacts.Any(a => a.Path == ModelRegistry.DefaultArtifact))
        {
            return registry.Register(best.RunId, name, alias: alias);
        }
        if (_evaluation?.Fit(best.Values) is not { } fitted)
        {
            throw new MlopsException($"The best trial of sweep '{Status.Name}' (trial {best.Number}) logged no model ({ModelRegistry.DefaultArtifact}), and there is no evaluation that can fit one.",
                "Log the model inside the evaluation (Mlops.Models.Register or Mlops.LogArtifact to model/model.zip), or sweep with an ISweepEvaluation whose Fit trains the best values on all the data.");
        }
        // The trial has ended; the refit goes to a run of its own under it, so the trial's record stays as it ran.
        var experiment = _client.Store.GetExperiment(run.ExperimentId)!.Name;
        var refit = _client.CreateRun(experiment, $"{run.Name}-refit", best.RunId, new Dictionary<string, string>
        {
            [SweepRecord.RefitOfTag] = best.RunId,
        });
        try
        {
            _client.LogBatch(refit.RunId, parameters: SweepRecord.ValueParams(best.Values));
            var version = registry.Register(refit.RunId, fitted.Model, fitted.Data.Schema, name, alias: alias, referenceData: fitted.Data);
            _client.SetTerminated(refit.RunId);
            return version;
        }
        catch
        {
            _client.SetTerminated(refit.RunId, RunStatus.Failed);
            throw;
        }
    }
}
