using System.Runtime.InteropServices;
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
/// </summary>
public static class Mlops
{
    private static readonly object Gate = new();
    private static readonly Stack<ActiveRun> Runs = new();
    private static TrackingClient? _client;
    private static string? _trackingUri;
    private static string _experiment = Experiment.DefaultName;
    private static bool _hooked;
    private static PosixSignalRegistration? _sigterm;

    /// <summary>The client behind the fluent calls, opened on first use from the tracking URI.</summary>
    public static TrackingClient Client
    {
        get
        {
            lock (Gate)
            {
                return _client ??= new TrackingClient(_trackingUri);
            }
        }
    }

    /// <summary>Points later calls at another store (closing the current one). Not allowed while a run is active.</summary>
    public static void SetTrackingUri(string? uri)
    {
        lock (Gate)
        {
            if (Runs.Count > 0)
            {
                throw new MlopsException("A run is active; the tracking store cannot change under it.", "End the run first with Mlops.EndRun().");
            }
            _client?.Dispose();
            _client = null;
            _trackingUri = uri;
        }
    }

    /// <summary>Sets the experiment that new runs go to, creating it if needed.</summary>
    public static Experiment SetExperiment(string name)
    {
        var experiment = Client.GetOrCreateExperiment(name);
        lock (Gate)
        {
            _experiment = experiment.Name;
        }
        return experiment;
    }

    public static string ExperimentName
    {
        get
        {
            lock (Gate)
            {
                return _experiment;
            }
        }
    }

    /// <summary>The innermost active run, or null.</summary>
    public static ActiveRun? ActiveRun
    {
        get
        {
            lock (Gate)
            {
                return Runs.Count > 0 ? Runs.Peek() : null;
            }
        }
    }

    /// <summary>
    /// Starts a run and makes it the active one. With a run already active, pass <paramref name="nested"/> to start a
    /// child of it; otherwise end that run first.
    /// </summary>
    public static ActiveRun StartRun(string? name = null, bool nested = false, IReadOnlyDictionary<string, string>? tags = null,
        string? experiment = null, string? source = null)
    {
        ProcessShutdown.WaitIfTerminating();
        lock (Gate)
        {
            string? parent = null;
            if (Runs.Count > 0)
            {
                if (!nested)
                {
                    var current = Runs.Peek();
                    throw new MlopsException($"Run {current.RunId} ({current.Name}) is already active.",
                        "End it with Mlops.EndRun(), or pass nested: true to start a child run under it.");
                }
                parent = Runs.Peek().RunId;
            }
            var run = Client.CreateRun(experiment ?? _experiment, name, parent, tags, source);
            var active = new ActiveRun(run.RunId, run.Name, run.ExperimentId, parent);
            Runs.Push(active);
            HookProcessEnd();
            return active;
        }
    }

    /// <summary>Ends the innermost active run.</summary>
    public static void EndRun(RunStatus status = RunStatus.Finished)
    {
        ActiveRun run;
        lock (Gate)
        {
            if (Runs.Count == 0)
            {
                ProcessShutdown.WaitIfTerminating();
                throw NoActiveRun();
            }
            run = Runs.Pop();
        }
        Client.SetTerminated(run.RunId, status);
    }

    internal static void End(ActiveRun run, RunStatus status)
    {
        lock (Gate)
        {
            if (!Runs.Contains(run))
            {
                return; // already ended
            }
            // Ending an outer run ends the runs nested in it first.
            while (Runs.Count > 0)
            {
                var top = Runs.Pop();
                Client.SetTerminated(top.RunId, top == run ? status : RunStatus.Finished);
                if (top == run)
                {
                    return;
                }
            }
        }
    }

    public static void LogParam(string key, object? value) => Client.LogParam(Current.RunId, key, TrackingClient.FormatValue(value));

    public static void LogParams(IReadOnlyDictionary<string, object?> parameters) =>
        Client.LogBatch(Current.RunId, parameters: parameters.Select(p => new Param(p.Key, TrackingClient.FormatValue(p.Value))).ToList());

    public static void LogMetric(string key, double value, long step = 0) => Client.LogMetric(Current.RunId, key, value, step);

    public static void LogMetrics(IReadOnlyDictionary<string, double> metrics, long step = 0)
    {
        var runId = Current.RunId;
        foreach (var (key, value) in metrics)
        {
            Client.LogMetric(runId, key, value, step);
        }
    }

    public static void SetTag(string key, object? value) => Client.SetTag(Current.RunId, key, TrackingClient.FormatValue(value));

    public static IReadOnlyList<ArtifactInfo> LogArtifact(string localPath, string? artifactPath = null) =>
        Client.LogArtifact(Current.RunId, localPath, artifactPath);

    public static Run GetRun(string runIdOrPrefix) => Client.GetRun(runIdOrPrefix);

    /// <summary>Data versioning in the git work tree around the current directory; records lineage in the active run.</summary>
    public static DataCatalog Data { get; } = new();

    /// <summary>The model registry of the current tracking store.</summary>
    public static Registry.ModelRegistry Models => new(Client);

    /// <summary>The active run's id, or null (for the data catalog's lineage).</summary>
    internal static string? ActiveRunId => ActiveRun?.RunId;

    /// <summary>Searches the runs of the current experiment (or the named ones); see <see cref="TrackingClient.SearchRuns"/>.</summary>
    public static RunList SearchRuns(string? filter = null, string? orderBy = null,
        int maxResults = RunQuery.DefaultMaxResults, params string[] experiments) =>
        Client.SearchRuns(experiments.Length > 0 ? experiments : [ExperimentName], filter, orderBy, maxResults);

    private static ActiveRun Current
    {
        get
        {
            if (ActiveRun is { } run)
            {
                return run;
            }
            // On SIGTERM the runs are ended under a logging loop: it waits for the exit rather than find none.
            ProcessShutdown.WaitIfTerminating();
            throw NoActiveRun();
        }
    }

    private static MlopsException NoActiveRun() =>
        new("There is no active run.", "Start one with Mlops.StartRun(\"name\") (or the run magic in a notebook), then log to it.");

    private static void HookProcessEnd()
    {
        if (_hooked)
        {
            return;
        }
        _hooked = true;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => EndAll(RunStatus.Finished);
        AppDomain.CurrentDomain.UnhandledException += (_, _) => EndAll(RunStatus.Failed);
        if (!OperatingSystem.IsWindows())
        {
            _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ =>
            {
                ProcessShutdown.Begin();
                EndAll(RunStatus.Killed);
            });
        }
    }

    private static void EndAll(RunStatus status)
    {
        while (true)
        {
            ActiveRun run;
            lock (Gate)
            {
                if (Runs.Count == 0)
                {
                    return;
                }
                run = Runs.Pop();
            }
            try
            {
                Client.SetTerminated(run.RunId, status);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"mlops: could not end run {run.RunId}: {e.Message}");
            }
        }
    }

    /// <summary>Forgets the ambient state (for hosts that restart, and tests).</summary>
    internal static void Reset()
    {
        lock (Gate)
        {
            Runs.Clear();
            _client?.Dispose();
            _client = null;
            _trackingUri = null;
            _experiment = Experiment.DefaultName;
        }
    }
}

/// <summary>The run the fluent API logs to. Disposing it ends it as Finished (use <see cref="End"/> for another status).</summary>
public sealed class ActiveRun(string runId, string? name, string experimentId, string? parentRunId) : IDisposable
{
    public string RunId { get; } = runId;
    public string? Name { get; } = name;
    public string ExperimentId { get; } = experimentId;
    public string? ParentRunId { get; } = parentRunId;

    /// <summary>The run as stored now, with everything logged to it so far.</summary>
    public Run Info
    {
        get
        {
            Mlops.Client.Flush();
            return Mlops.Client.GetRun(RunId);
        }
    }

    public void End(RunStatus status = RunStatus.Finished) => Mlops.End(this, status);

    public void Dispose() => End();
}
