using MlopsNotebooks.Search;
using MlopsNotebooks.Storage;

namespace MlopsNotebooks.Tracking;

/// <summary>
/// The fluent tracking API for notebooks and scripts (MLflow's <c>mlflow.*</c>): one ambient active run, so a cell can
/// say <c>Mlops.LogMetric("auc", 0.91, step: 3)</c> without naming it.
/// <code>
/// Mlops.SetExperiment("churn");
/// using (Mlops.StartRun("fasttree"))
/// {
///     Mlops.LogParam("trees", 100);
///     Mlops.LogMetric("auc", auc, step: epoch);
/// }
/// </code>
/// A run still active when the process exits is ended as Finished, as Failed after an unhandled exception, and as
/// Killed on SIGTERM.
/// <para>
/// Every call goes to <see cref="MlopsSession.Current"/>: the session a host made current for the code it runs (the
/// runner makes one per notebook, with the notebook's provenance), else the process's own. Two sessions in one process,
/// such as trials side by side or notebooks run one after another, keep their own runs, experiment and provenance.
/// </para>
/// </summary>
public static class Mlops
{
    private static MlopsSession Session => MlopsSession.Current;

    /// <summary>The client behind the fluent calls, opened on first use from the tracking URI.</summary>
    public static TrackingClient Client => Session.Client;

    /// <summary>Points later calls at another store (closing the current one). Not allowed while a run is active.</summary>
    public static void SetTrackingUri(string? uri) => Session.SetTrackingUri(uri);

    /// <summary>Sets the experiment that new runs go to, creating it if needed.</summary>
    public static Experiment SetExperiment(string name) => Session.SetExperiment(name);

    public static string ExperimentName => Session.ExperimentName;

    /// <summary>The innermost active run, or null.</summary>
    public static ActiveRun? ActiveRun => Session.ActiveRun;

    /// <summary>
    /// Starts a run and makes it the active one. With a run already active, pass <paramref name="nested"/> to start a
    /// child of it; otherwise end that run first.
    /// </summary>
    public static ActiveRun StartRun(string? name = null, bool nested = false, IReadOnlyDictionary<string, string>? tags = null,
        string? experiment = null, string? source = null) => Session.StartRun(name, nested, tags, experiment, source);

    /// <summary>Ends the innermost active run.</summary>
    public static void EndRun(RunStatus status = RunStatus.Finished) => Session.EndRun(status);

    public static void LogParam(string key, object? value) => Session.LogParam(key, value);

    public static void LogParams(IReadOnlyDictionary<string, object?> parameters) => Session.LogParams(parameters);

    public static void LogMetric(string key, double value, long step = 0) => Session.LogMetric(key, value, step);

    public static void LogMetrics(IReadOnlyDictionary<string, double> metrics, long step = 0) => Session.LogMetrics(metrics, step);

    public static void SetTag(string key, object? value) => Session.SetTag(key, value);

    public static IReadOnlyList<ArtifactInfo> LogArtifact(string localPath, string? artifactPath = null) =>
        Session.LogArtifact(localPath, artifactPath);

    public static Run GetRun(string runIdOrPrefix) => Client.GetRun(runIdOrPrefix);

    /// <summary>Data versioning in the git work tree around the current directory; records lineage in the active run.</summary>
    public static DataCatalog Data { get; } = new();

    /// <summary>The model registry of the current tracking store.</summary>
    public static Registry.ModelRegistry Models => new(Client);

    /// <summary>
    /// Compares current data (a data view, e.g. a data frame) with a model version's reference (name@alias, name/3, a
    /// bundle folder) or a reference CSV: per column the test Evidently would pick, its figure, threshold and verdict,
    /// and whether the data set drifted. In a notebook it shows as a table with charts.
    /// </summary>
    public static Monitoring.DriftReport Drift(Microsoft.ML.IDataView current, string reference, Monitoring.DriftOptions? options = null) =>
        Monitoring.DriftInputs.CompareDataView(Monitoring.DriftInputs.Resolve(reference, () => Models), current, options ?? new());

    /// <summary>Compares a CSV file with a reference (see the data-view overload).</summary>
    public static Monitoring.DriftReport Drift(string currentCsv, string reference, Monitoring.DriftOptions? options = null) =>
        Monitoring.DriftInputs.CompareCsv(Monitoring.DriftInputs.Resolve(reference, () => Models), currentCsv, options ?? new());

    /// <summary>Compares current data with reference data, both data views (e.g. this week's rows against the training set).</summary>
    public static Monitoring.DriftReport Drift(Microsoft.ML.IDataView current, Microsoft.ML.IDataView reference, Monitoring.DriftOptions? options = null) =>
        Monitoring.DriftInputs.CompareDataView(Monitoring.Reference.FromData(Monitoring.DataViewColumns.Read(reference)), current, options ?? new());

    /// <summary>
    /// Searches <paramref name="space"/> for the values that give <paramref name="evaluate"/>'s best metric: the sweep is a
    /// run of its experiment (named <see cref="Sweeps.SweepOptions.Name"/>), each trial a nested run, active while
    /// <paramref name="evaluate"/> runs, so that what it logs goes to the trial. Other processes that start the same
    /// sweep join it; starting a stopped one again resumes it. Returns when the cap or budget is reached or
    /// <paramref name="cancellationToken"/> stops it.
    /// </summary>
    public static Sweeps.SweepResult Sweep(Sweeps.SearchSpace space, Func<Sweeps.Trial, double> evaluate, Sweeps.SweepOptions options,
        CancellationToken cancellationToken = default) =>
        Sweep(space, new Sweeps.FunctionEvaluation(evaluate), options, cancellationToken);

    /// <summary>Searches with a ready evaluation (such as cross-validation), which can also refit the best values for <see cref="Sweeps.SweepResult.RegisterBest"/>.</summary>
    public static Sweeps.SweepResult Sweep(Sweeps.SearchSpace space, Sweeps.ISweepEvaluation evaluation, Sweeps.SweepOptions options,
        CancellationToken cancellationToken = default) =>
        new Sweeps.SweepWorker(Session, space, evaluation, options, cancellationToken).Run();

    /// <summary>The active run's id, or null (for the data catalog's lineage).</summary>
    internal static string? ActiveRunId => ActiveRun?.RunId;

    /// <summary>Searches the runs of the current experiment (or the named ones); see <see cref="TrackingClient.SearchRuns"/>.</summary>
    public static RunList SearchRuns(string? filter = null, string? orderBy = null,
        int maxResults = RunQuery.DefaultMaxResults, params string[] experiments) =>
        Client.SearchRuns(experiments.Length > 0 ? experiments : [ExperimentName], filter, orderBy, maxResults);

    /// <summary>Forgets the process session's state (for hosts that restart, and tests).</summary>
    internal static void Reset() => MlopsSession.Current.Reset();
}

/// <summary>The run the fluent API logs to. Disposing it ends it as Finished (use <see cref="End"/> for another status).</summary>
public sealed class ActiveRun : IDisposable
{
    private readonly MlopsSession _session;

    internal ActiveRun(MlopsSession session, string runId, string? name, string experimentId, string? parentRunId, bool continued = false)
    {
        _session = session;
        Continued = continued;
        RunId = runId;
        Name = name;
        ExperimentId = experimentId;
        ParentRunId = parentRunId;
    }


    public string RunId { get; }
    public string? Name { get; }
    public string ExperimentId { get; }
    public string? ParentRunId { get; }

    /// <summary>A run the host started and ends (<see cref="Provenance.RunId"/>); ending it here only writes its points.</summary>
    internal bool Continued { get; }

    /// <summary>The run as stored now, with everything logged to it so far.</summary>
    public Run Info
    {
        get
        {
            _session.Client.Flush();
            return _session.Client.GetRun(RunId);
        }
    }

    public void End(RunStatus status = RunStatus.Finished) => _session.End(this, status);

    public void Dispose() => End();
}
