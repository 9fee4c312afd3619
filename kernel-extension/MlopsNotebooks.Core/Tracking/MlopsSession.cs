using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using MlopsNotebooks.Storage;

namespace MlopsNotebooks.Tracking;

/// <summary>
/// What a run records about the code that started it, given by the host that runs that code: the notebook or program
/// (its path), the notebook file's content hash, the parameters it was given (JSON) and tags every run gets (such as
/// <c>mlops.validation_id</c>). Passed to the session, never read from process-wide state, so two sessions in one process
/// keep their own. <see cref="RunId"/> is a run the host already started (a sweep's trial): the code's first top-level
/// run continues it instead of creating one, and ending it there leaves it to its owner.
/// </summary>
public sealed record Provenance(
    string? Source = null,
    string? NotebookHash = null,
    string? NotebookParameters = null,
    IReadOnlyDictionary<string, string>? Tags = null,
    string? RunId = null)
{
    /// <summary>Nothing known: a program's runs name the program that started them (see <see cref="RunContext"/>).</summary>
    public static Provenance None { get; } = new();

    /// <summary>
    /// The provenance a host handed to this process through its environment (<see cref="ToEnvironment"/>): a program
    /// that a notebook's cell starts logs runs that belong to that notebook, as the notebook's own runs do.
    /// </summary>
    public static Provenance FromEnvironment() => new(
        Environment.GetEnvironmentVariable(RunContext.SourceVariable),
        Environment.GetEnvironmentVariable(RunContext.NotebookHashVariable),
        Environment.GetEnvironmentVariable(RunContext.NotebookParametersVariable),
        ParseTags(Environment.GetEnvironmentVariable(RunContext.RunTagsVariable)),
        Environment.GetEnvironmentVariable(RunContext.RunIdVariable) is { Length: > 0 } runId ? runId : null);

    /// <summary>The environment variables that hand this provenance to the processes a host's code starts (null unsets one).</summary>
    public IReadOnlyDictionary<string, string?> ToEnvironment() => new Dictionary<string, string?>
    {
        [RunContext.SourceVariable] = Source,
        [RunContext.NotebookHashVariable] = NotebookHash,
        [RunContext.NotebookParametersVariable] = NotebookParameters,
        [RunContext.RunTagsVariable] = Tags is null || Tags.Count == 0 ? null
            : new JsonObject(Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => KeyValuePair.Create<string, JsonNode?>(t.Key, t.Value))).ToJsonString(),
        [RunContext.RunIdVariable] = RunId,
    };

    private static Dictionary<string, string>? ParseTags(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }
        var problem = new MlopsException($"{RunContext.RunTagsVariable} is not a JSON object of string tags: {json}",
            $"It is set by the notebook runner; unset {RunContext.RunTagsVariable}.");
        JsonObject tags;
        try
        {
            tags = JsonNode.Parse(json) as JsonObject ?? throw problem;
        }
        catch (JsonException)
        {
            throw problem;
        }
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in tags)
        {
            result[key] = value is JsonValue v && v.TryGetValue<string>(out var text) ? text : throw problem;
        }
        return result;
    }
}

/// <summary>
/// The state behind the fluent API (<see cref="Mlops"/>): a tracking client, the experiment new runs go to, the stack of
/// active runs and the <see cref="Provenance"/> of the code that logs. A host that runs code on someone's behalf (the
/// notebook runner, a sweep running trials side by side) makes a session of its own current with <see cref="Use"/>;
/// the current session flows with the code's async calls and tasks. Otherwise the process has one.
/// </summary>
public sealed class MlopsSession : IDisposable
{
    private static readonly AsyncLocal<MlopsSession?> Ambient = new();
    // The process's own provenance is what the host that started it handed down, read when each run starts.
    private static readonly MlopsSession ProcessSession = new(provenance: null, trackingUri: null, fromEnvironment: true);

    // Sessions with active runs, ended together when the process exits or gets SIGTERM.
    private static readonly HashSet<MlopsSession> WithActiveRuns = [];
    private static bool _hooked;
    private static PosixSignalRegistration? _sigterm;

    private readonly object _gate = new();
    private readonly Provenance _provenance;
    private readonly bool _fromEnvironment;
    private readonly Stack<ActiveRun> _runs = new();
    private readonly bool _ownsClient = true;
    private TrackingClient? _client;
    private bool _continuedRun;
    private string? _trackingUri;
    private string _experiment = Experiment.DefaultName;

    /// <summary>A session for code with this provenance, on the tracking store at <paramref name="trackingUri"/> (else the default).</summary>
    public MlopsSession(Provenance? provenance = null, string? trackingUri = null)
        : this(provenance, trackingUri, fromEnvironment: false)
    {
    }

    private MlopsSession(Provenance? provenance, string? trackingUri, bool fromEnvironment)
    {
        _provenance = provenance ?? Provenance.None;
        _fromEnvironment = fromEnvironment;
        _trackingUri = trackingUri;
    }

    /// <summary>A session on a client its caller keeps open (a sweep's trial, on the sweep's client).</summary>
    internal MlopsSession(Provenance provenance, TrackingClient client, string experiment)
        : this(provenance, trackingUri: null, fromEnvironment: false)
    {
        _client = client;
        _ownsClient = false;
        _experiment = experiment;
    }

    /// <summary>Told every metric point logged through the session (run, key, value, step); what it throws reaches the caller.</summary>
    internal Action<string, string, double, long>? MetricLogged { get; set; }

    /// <summary>The session the fluent API uses here: the one made current by <see cref="Use"/>, else the process's.</summary>
    public static MlopsSession Current => Ambient.Value ?? ProcessSession;

    /// <summary>Makes <paramref name="session"/> current for this code and what it calls, until the result is disposed.</summary>
    public static IDisposable Use(MlopsSession session)
    {
        var previous = Ambient.Value;
        Ambient.Value = session;
        return new Restore(previous);
    }

    public Provenance Provenance => _fromEnvironment ? Provenance.FromEnvironment() : _provenance;

    /// <summary>The session's client, opened on first use from the tracking URI.</summary>
    public TrackingClient Client
    {
        get
        {
            lock (_gate)
            {
                return _client ??= new TrackingClient(_trackingUri);
            }
        }
    }

    public void SetTrackingUri(string? uri)
    {
        lock (_gate)
        {
            if (_runs.Count > 0)
            {
                throw new ConflictException("A run is active; the tracking store cannot change under it.", "End the run first with Mlops.EndRun().");
            }
            _client?.Dispose();
            _client = null;
            _trackingUri = uri;
        }
    }

    public Experiment SetExperiment(string name)
    {
        var experiment = Client.GetOrCreateExperiment(name);
        lock (_gate)
        {
            _experiment = experiment.Name;
        }
        return experiment;
    }

    public string ExperimentName
    {
        get
        {
            lock (_gate)
            {
                return _experiment;
            }
        }
    }

    public ActiveRun? ActiveRun
    {
        get
        {
            lock (_gate)
            {
                return _runs.Count > 0 ? _runs.Peek() : null;
            }
        }
    }

    public ActiveRun StartRun(string? name = null, bool nested = false, IReadOnlyDictionary<string, string>? tags = null,
        string? experiment = null, string? source = null)
    {
        ProcessShutdown.WaitIfTerminating();
        lock (_gate)
        {
            string? parent = null;
            if (_runs.Count > 0)
            {
                if (!nested)
                {
                    var current = _runs.Peek();
                    throw new ConflictException($"Run {current.RunId} ({current.Name}) is already active.",
                        "End it with Mlops.EndRun(), or pass nested: true to start a child run under it.");
                }
                parent = _runs.Peek().RunId;
            }
            var provenance = source is null ? Provenance : Provenance with { Source = source };
            var active = parent is null && !_continuedRun && provenance.RunId is { } hostRun
                ? Continue(hostRun, tags)
                : CreateActive(experiment, name, parent, tags, provenance);
            _runs.Push(active);
            Track(this);
            return active;
        }
    }

    private ActiveRun CreateActive(string? experiment, string? name, string? parent, IReadOnlyDictionary<string, string>? tags, Provenance provenance)
    {
        var run = Client.CreateRun(experiment ?? _experiment, name, parent, tags, provenance);
        return new ActiveRun(this, run.RunId, run.Name, run.ExperimentId, parent);
    }

    // The host's run (Provenance.RunId) becomes the active one once; the host ends it, not this code.
    private ActiveRun Continue(string hostRun, IReadOnlyDictionary<string, string>? tags)
    {
        var run = Client.GetRun(hostRun);
        if (run.Status != RunStatus.Running || run.Stage == LifecycleStage.Deleted)
        {
            throw new RunNotActiveException(run.RunId, run.Stage == LifecycleStage.Deleted ? "deleted" : run.Status.ToName().ToLowerInvariant());
        }
        if (tags is { Count: > 0 })
        {
            Client.LogBatch(run.RunId, tags: tags.Select(t => new RunTag(t.Key, t.Value)).ToList());
        }
        _continuedRun = true;
        return new ActiveRun(this, run.RunId, run.Name, run.ExperimentId, run.ParentRunId, continued: true);
    }

    // A continued run is left running in the store: its points are written, its owner ends it.
    private void Terminate(ActiveRun run, RunStatus status)
    {
        if (run.Continued)
        {
            Client.Flush();
        }
        else
        {
            Client.SetTerminated(run.RunId, status);
        }
    }

    public void EndRun(RunStatus status = RunStatus.Finished)
    {
        ActiveRun run;
        lock (_gate)
        {
            if (_runs.Count == 0)
            {
                ProcessShutdown.WaitIfTerminating();
                throw NoActiveRun();
            }
            run = _runs.Pop();
            UntrackIfIdle();
        }
        Terminate(run, status);
    }

    internal void End(ActiveRun run, RunStatus status)
    {
        lock (_gate)
        {
            if (!_runs.Contains(run))
            {
                return; // already ended
            }
            // Ending an outer run ends the runs nested in it first.
            while (_runs.Count > 0)
            {
                var top = _runs.Pop();
                UntrackIfIdle();
                Terminate(top, top == run ? status : RunStatus.Finished);
                if (top == run)
                {
                    return;
                }
            }
        }
    }

    public void LogParam(string key, object? value) => Client.LogParam(Active.RunId, key, TrackingClient.FormatValue(value));

    public void LogParams(IReadOnlyDictionary<string, object?> parameters) =>
        Client.LogBatch(Active.RunId, parameters: parameters.Select(p => new Param(p.Key, TrackingClient.FormatValue(p.Value))).ToList());

    public void LogMetric(string key, double value, long step = 0)
    {
        var runId = Active.RunId;
        Client.LogMetric(runId, key, value, step);
        MetricLogged?.Invoke(runId, key, value, step);
    }

    public void LogMetrics(IReadOnlyDictionary<string, double> metrics, long step = 0)
    {
        var runId = Active.RunId;
        foreach (var (key, value) in metrics)
        {
            Client.LogMetric(runId, key, value, step);
        }
        foreach (var (key, value) in metrics)
        {
            MetricLogged?.Invoke(runId, key, value, step);
        }
    }

    public void SetTag(string key, object? value) => Client.SetTag(Active.RunId, key, TrackingClient.FormatValue(value));

    public IReadOnlyList<ArtifactInfo> LogArtifact(string localPath, string? artifactPath = null) =>
        Client.LogArtifact(Active.RunId, localPath, artifactPath);

    /// <summary>Ends every run still active (innermost first) with <paramref name="status"/>.</summary>
    public void EndAll(RunStatus status)
    {
        while (true)
        {
            ActiveRun run;
            lock (_gate)
            {
                if (_runs.Count == 0)
                {
                    return;
                }
                run = _runs.Pop();
                UntrackIfIdle();
            }
            try
            {
                Terminate(run, status);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"mlops: could not end run {run.RunId}: {e.Message}");
            }
        }
    }

    /// <summary>Ends the runs still active as Finished (as the process's exit would) and closes the client.</summary>
    public void Dispose()
    {
        EndAll(RunStatus.Finished);
        lock (_gate)
        {
            if (_ownsClient)
            {
                _client?.Dispose();
            }
            _client = null;
        }
    }

    /// <summary>Forgets the state (for hosts that restart, and tests).</summary>
    internal void Reset()
    {
        lock (_gate)
        {
            _runs.Clear();
            UntrackIfIdle();
            _client?.Dispose();
            _client = null;
            _trackingUri = null;
            _experiment = Experiment.DefaultName;
        }
    }

    private ActiveRun Active
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
        new("There is no active run.", "Start one with Mlops.StartRun(\"name\") (or #!mlops start-run in a notebook), then log to it.");

    private static void Track(MlopsSession session)
    {
        lock (WithActiveRuns)
        {
            WithActiveRuns.Add(session);
            if (_hooked)
            {
                return;
            }
            _hooked = true;
        }
        // A host that handles the signal itself can exit before the handler below runs (handlers run one after another,
        // in no set order): System.CommandLine waits for its command, then calls Environment.Exit(143) from its own
        // handler. An exit with a signal's code (128 + SIGINT or SIGTERM) ends the runs as Killed too.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            EndEverySession(ProcessShutdown.Terminating || Environment.ExitCode is 130 or 143 ? RunStatus.Killed : RunStatus.Finished);
        AppDomain.CurrentDomain.UnhandledException += (_, _) => EndEverySession(RunStatus.Failed);
        if (!OperatingSystem.IsWindows())
        {
            _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ =>
            {
                ProcessShutdown.Begin();
                EndEverySession(RunStatus.Killed);
            });
        }
    }

    // Called under _gate once a run is popped: a session with no active run is nothing the process must end.
    private void UntrackIfIdle()
    {
        if (_runs.Count > 0)
        {
            return;
        }
        lock (WithActiveRuns)
        {
            WithActiveRuns.Remove(this);
        }
    }

    private static void EndEverySession(RunStatus status)
    {
        MlopsSession[] sessions;
        lock (WithActiveRuns)
        {
            sessions = [.. WithActiveRuns];
        }
        foreach (var session in sessions)
        {
            session.EndAll(status);
        }
    }

    private sealed class Restore(MlopsSession? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}
