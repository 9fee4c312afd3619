using MlopsNotebooks.Search;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Storage;

/// <summary>What a new run starts with.</summary>
public sealed record NewRun(
    string RunId,
    string ExperimentId,
    string? Name,
    string? ParentRunId,
    DateTimeOffset StartTime,
    IReadOnlyList<RunTag> Tags);

/// <summary>
/// The tracking store seam: experiments, runs and what was logged to them. Backends are chosen by URI
/// (<see cref="TrackingStores"/>) and all pass the same test suite. A backend implements this small core; the client
/// adds validation, buffering and conveniences on top, so that backends stay thin and alike.
/// Every method either applies whole or throws and changes nothing.
/// </summary>
public interface ITrackingStore : IDisposable
{
    /// <summary>Where the store is, for messages (never with a password).</summary>
    string Location { get; }

    /// <summary>
    /// Where the store's run artifacts live when the store records it (a team store's blob remote, named at creation
    /// from <see cref="StoreAddress.ArtifactUri"/>); null means the object cache beside the store.
    /// </summary>
    string? ArtifactRoot => null;

    Experiment CreateExperiment(string name, DateTimeOffset creationTime);

    Experiment? GetExperiment(string experimentId);

    Experiment? GetExperimentByName(string name);

    IReadOnlyList<Experiment> ListExperiments(ViewType viewType);

    Run CreateRun(NewRun run);

    /// <summary>The run with its params, tags, latest metrics and artifacts, or null.</summary>
    Run? GetRun(string runId);

    /// <summary>Ids of runs (any stage) that start with <paramref name="prefix"/>, at most <paramref name="limit"/>.</summary>
    IReadOnlyList<string> FindRunIds(string prefix, int limit);

    /// <summary>Sets the status; a terminal status also sets the end time.</summary>
    void SetRunStatus(string runId, RunStatus status, DateTimeOffset? endTime);

    /// <summary>
    /// Sets the status only if the run has <paramref name="expected"/> now, and says whether it did: of two workers that
    /// find the same trial lost, one marks it and redoes it.
    /// </summary>
    bool TrySetRunStatus(string runId, RunStatus expected, RunStatus status, DateTimeOffset? endTime);

    /// <summary>
    /// Creates a child of <c>run.ParentRunId</c>, decided in the same transaction from the statuses of the parent's
    /// children so far (in the order they were created): <paramref name="admit"/> returns the run to create (say, named by
    /// its number among them) or null to create none. Concurrent callers are serialized on the parent, so a sweep's
    /// trial cap and trial numbers hold across processes. <paramref name="admit"/> may be called more than once (a
    /// transaction that lost a race is run again) and must decide from its argument alone. Null when none was created.
    /// </summary>
    Run? CreateChildRun(NewRun run, Func<IReadOnlyList<RunStatus>, NewRun?> admit);

    /// <summary>Deletes (hides) or restores a run; deleting records when, restoring forgets it.</summary>
    void SetRunStage(string runId, LifecycleStage stage);

    /// <summary>
    /// Writes metrics, params and tags of one running run in one transaction, and refreshes its heartbeat.
    /// Throws <see cref="RunNotActiveException"/> if the run has ended or was deleted and
    /// <see cref="ParamConflictException"/> if a param already has another value; either way nothing is written.
    /// </summary>
    void LogBatch(string runId, IReadOnlyList<Metric> metrics, IReadOnlyList<Param> parameters, IReadOnlyList<RunTag> tags);

    /// <summary>Marks a run as alive now, for runs that log nothing for a while.</summary>
    void Heartbeat(string runId, DateTimeOffset time);

    /// <summary>Every point of one metric of a run, by step then time.</summary>
    IReadOnlyList<Metric> GetMetricHistory(string runId, string key);

    IReadOnlyList<Run> SearchRuns(RunQuery query);

    void LogArtifact(string runId, ArtifactInfo artifact);

    /// <summary>Records the data versions a run used (lineage); the same path again replaces its version.</summary>
    void LogInputs(string runId, IReadOnlyList<DataInput> inputs);

    /// <summary>Every content hash the store refers to (run artifacts), for garbage collection.</summary>
    IReadOnlyList<string> ReferencedHashes();

    /// <summary>
    /// Purges runs deleted before <paramref name="deletedBefore"/> (of the experiments named, or all): the runs and their
    /// params, tags, metric points, latest metrics, inputs and artifact records go, in one transaction, so the objects
    /// only they referred to become garbage for <c>mlops data gc</c>. Kept, with the reason: a run that a model version
    /// points at, and a run with a child run that stays (the child's parent must exist). A dry run removes nothing.
    /// </summary>
    RunPurge PurgeDeletedRuns(DateTimeOffset deletedBefore, IReadOnlyCollection<string>? experimentIds, bool dryRun);

    /// <summary>Ids of every run of an experiment, any stage, in the order they started (sync reads them all).</summary>
    IReadOnlyList<string> ListRunIds(string experimentId);

    /// <summary>A run with every metric point and its deletion time, as sync copies it; null when there is none.</summary>
    RunHistory? ExportRun(string runId);

    /// <summary>
    /// Copies a run from another store into <paramref name="experimentId"/>, keeping its id, in one transaction: a new
    /// run is created whole (its parent must be here); a run that is here is brought up to date when the other store's
    /// is the same run further on (it ended, got more points, tags, artifacts, was deleted or restored). A run here with
    /// other content (another start, params or artifact, points the other lacks, or it ended otherwise) is left as it
    /// is and the result says why.
    /// </summary>
    ImportResult ImportRun(RunHistory run, string experimentId);
}
