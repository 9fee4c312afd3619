using System.Globalization;
using MlopsNotebooks.Registry;
using MlopsNotebooks.Search;
using MlopsNotebooks.Storage;

namespace MlopsNotebooks.Tracking;

/// <summary>
/// The explicit tracking API (MLflow's MlflowClient): every call names its run. It validates keys and values once,
/// here, so stores can trust what they get; buffers metric points (see <see cref="MetricWriter"/>) and writes params,
/// tags and run state at once. Thread-safe.
/// </summary>
public sealed class TrackingClient : IDisposable
{
    private readonly MetricWriter _writer;
    private readonly HashSet<string> _running = new(StringComparer.Ordinal);
    private readonly bool _ownsStore;
    private readonly Lazy<IModelRegistryStore> _models;
    private volatile string? _lastValidKey;
    private volatile string? _lastRunningRun;

    /// <summary>Opens the store named by <paramref name="trackingUri"/>, MLOPS_TRACKING_URI, or the default .mlops/.</summary>
    public TrackingClient(string? trackingUri = null, WriterOptions? options = null)
        : this(TrackingStores.Open(trackingUri), options)
    {
    }

    public TrackingClient(TrackingLocation location, WriterOptions? options = null)
        : this(location.Store, location.Artifacts, location.OpenModelRegistry, options, ownsStore: true)
    {
    }

    /// <summary>
    /// A client over stores the caller opened; <paramref name="openModelRegistry"/> opens the model registry store on
    /// first use (none: the registry is not available through this client).
    /// </summary>
    public TrackingClient(ITrackingStore store, IArtifactStore artifacts, Func<IModelRegistryStore>? openModelRegistry = null,
        WriterOptions? options = null, bool ownsStore = false)
    {
        Store = store;
        Artifacts = artifacts;
        _ownsStore = ownsStore;
        _models = new Lazy<IModelRegistryStore>(openModelRegistry ?? (() => throw new MlopsException($"The tracking store at {store.Location} has no model registry.")));
        _writer = new MetricWriter(store, options ?? new WriterOptions());
    }

    public ITrackingStore Store { get; }

    public IArtifactStore Artifacts { get; }

    /// <summary>The model registry store beside the tracking store, opened on first use.</summary>
    public IModelRegistryStore ModelRegistryStore => _models.Value;

    // Experiments

    public IReadOnlyList<Experiment> ListExperiments(ViewType viewType = ViewType.ActiveOnly) => Store.ListExperiments(viewType);

    public Experiment GetExperimentByName(string name) =>
        Store.GetExperimentByName(name) ?? throw new ExperimentNotFoundException(name);

    public Experiment GetOrCreateExperiment(string name)
    {
        Names.ValidateName("experiment", name);
        if (Store.GetExperimentByName(name) is { } existing)
        {
            return existing;
        }
        try
        {
            return Store.CreateExperiment(name, DateTimeOffset.UtcNow);
        }
        catch (ExperimentExistsException)
        {
            // Another process created it between the look-up and the insert. (Not an exception filter: a filter
            // runs before the store's transaction has unwound.)
            return Store.GetExperimentByName(name) ?? throw new ExperimentNotFoundException(name);
        }
    }

    // Runs

    /// <summary>Starts a run in an experiment (created if needed), recording where it came from (<paramref name="provenance"/>).</summary>
    public Run CreateRun(string experimentName = Experiment.DefaultName, string? runName = null, string? parentRunId = null,
        IReadOnlyDictionary<string, string>? tags = null, Provenance? provenance = null)
    {
        if (runName is not null)
        {
            Names.ValidateName("run", runName);
        }
        var allTags = RunContext.Capture(provenance).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        foreach (var (key, value) in tags ?? new Dictionary<string, string>())
        {
            ValidateTag(key, value);
            allTags[key] = value;
        }
        var experiment = GetOrCreateExperiment(experimentName);
        var parent = parentRunId is null ? null : ResolveRunId(parentRunId);
        var run = Store.CreateRun(new NewRun(Guid.NewGuid().ToString("N"), experiment.ExperimentId, runName, parent,
            DateTimeOffset.UtcNow, allTags.Select(t => new RunTag(t.Key, t.Value)).ToList()));
        lock (_running)
        {
            _running.Add(run.RunId);
        }
        _writer.Watch(run.RunId);
        return run;
    }

    /// <summary>The run with this id, or the one run whose id starts with it (as git resolves short hashes).</summary>
    public Run GetRun(string runIdOrPrefix) => Assess(Store.GetRun(ResolveRunId(runIdOrPrefix))!);

    public string ResolveRunId(string runIdOrPrefix)
    {
        var prefix = runIdOrPrefix.Trim().ToLowerInvariant();
        if (prefix.Length == 0 || !prefix.All(char.IsAsciiHexDigit))
        {
            throw new RunNotFoundException($"'{runIdOrPrefix}' is not a run id.",
                "Run ids are hexadecimal; list them with `mlops runs list`.");
        }
        var matches = Store.FindRunIds(prefix, 2);
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new RunNotFoundException($"No run with id {runIdOrPrefix}.",
                "List runs with `mlops runs list` (add --all to include deleted ones)."),
            _ => throw new RunNotFoundException($"More than one run id starts with '{runIdOrPrefix}'.", "Give more characters of the id."),
        };
    }

    public void LogParam(string runId, string key, string value) => LogBatch(runId, parameters: [new Param(key, value)]);

    public void SetTag(string runId, string key, string value) => LogBatch(runId, tags: [new RunTag(key, value)]);

    /// <summary>Buffers one metric point; it reaches the store within the flush interval or at the next flush.</summary>
    public void LogMetric(string runId, string key, double value, long step = 0, DateTimeOffset? timestamp = null)
    {
        // Training loops log the same key to the same run over and over: skip re-checking the last ones seen.
        if (!ReferenceEquals(key, _lastValidKey))
        {
            Names.ValidateKey("metric", key);
            _lastValidKey = key;
        }
        if (!ReferenceEquals(runId, _lastRunningRun))
        {
            WhileRunning(() => EnsureRunning(runId));
            _lastRunningRun = runId;
        }
        _writer.Add(runId, new Metric(key, value, step, (timestamp ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds()));
    }

    /// <summary>Writes metrics, params and tags at once, in one transaction; metrics logged before are flushed first.</summary>
    public void LogBatch(string runId, IReadOnlyList<Metric>? metrics = null, IReadOnlyList<Param>? parameters = null,
        IReadOnlyList<RunTag>? tags = null)
    {
        foreach (var m in metrics ?? [])
        {
            Names.ValidateKey("metric", m.Key);
        }
        foreach (var p in parameters ?? [])
        {
            Names.ValidateKey("param", p.Key);
            Names.ValidateValue("param", p.Key, p.Value, Names.MaxParamValueLength);
        }
        foreach (var t in tags ?? [])
        {
            ValidateTag(t.Key, t.Value);
        }
        WhileRunning(() =>
        {
            if (metrics is { Count: > 0 })
            {
                _writer.Flush(); // keep the order of points for the same run
            }
            Store.LogBatch(runId, metrics ?? [], parameters ?? [], tags ?? []);
        });
    }

    /// <summary>Stores a file (or every file under a folder) as the run's artifacts, with content hashes.</summary>
    public IReadOnlyList<ArtifactInfo> LogArtifact(string runId, string localPath, string? artifactPath = null)
    {
        WhileRunning(() => EnsureRunning(runId));
        var full = Path.GetFullPath(localPath);
        var files = new List<(string File, string Name)>();
        if (Directory.Exists(full))
        {
            var prefix = artifactPath is null ? "" : ArtifactPaths.Normalize(artifactPath) + "/";
            files.AddRange(Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                .Select(f => (f, prefix + Path.GetRelativePath(full, f).Replace('\\', '/'))));
        }
        else if (File.Exists(full))
        {
            files.Add((full, artifactPath ?? Path.GetFileName(full)));
        }
        else
        {
            throw new NotFoundException($"There is no file or folder at {localPath}.", "Check the path; relative paths start at the current directory.");
        }
        foreach (var (_, name) in files)
        {
            ArtifactPaths.Normalize(name); // refuse a bad name before anything is stored
        }
        var logged = files.Select(f => Artifacts.Put(f.File, f.Name)).ToList();
        WhileRunning(() =>
        {
            foreach (var artifact in logged)
            {
                Store.LogArtifact(runId, artifact);
            }
        });
        return logged;
    }

    /// <summary>Records data versions as inputs of a run (lineage).</summary>
    public void LogInputs(string runId, IEnumerable<Versioning.DataVersion> versions)
    {
        var inputs = versions.Select(v => new DataInput(v.Path, v.Hash.ToString(), v.Size, v.Files)).ToList();
        WhileRunning(() => Store.LogInputs(runId, inputs));
    }

    /// <summary>Opens an artifact of a run by its path; reading it to the end verifies it.</summary>
    public Stream OpenArtifact(string runIdOrPrefix, string artifactPath)
    {
        var run = GetRun(runIdOrPrefix);
        var name = ArtifactPaths.Normalize(artifactPath);
        var artifact = run.Artifacts.FirstOrDefault(a => a.Path == name) ?? throw new NotFoundException(
            $"Run {run.RunId} has no artifact '{name}'.",
            run.Artifacts.Count == 0 ? "It logged no artifacts." : $"Its artifacts: {string.Join(", ", run.Artifacts.Select(a => a.Path))}.");
        return Artifacts.OpenRead(artifact);
    }

    /// <summary>Every object the tracking store refers to (run artifacts, registered models), so gc keeps them.</summary>
    public IReadOnlyList<Versioning.ContentHash> ReferencedObjects() =>
        Store.ReferencedHashes().Concat(ModelRegistryStore.ReferencedHashes()).Select(h => Versioning.ContentHash.TryParse(h, out var hash) ? hash : default).Where(h => h != default).ToList();

    /// <summary>Ends a run: its buffered points are written first, then its status and end time.</summary>
    public void SetTerminated(string runId, RunStatus status = RunStatus.Finished)
    {
        if (!status.IsTerminal())
        {
            throw new ArgumentException($"{status} is not an end status.", nameof(status));
        }
        try
        {
            _writer.Flush();
        }
        finally
        {
            lock (_running)
            {
                _running.Remove(runId);
                _lastRunningRun = null;
            }
            _writer.Unwatch(runId);
            Store.SetRunStatus(runId, status, DateTimeOffset.UtcNow);
        }
    }

    /// <summary>Hides a run from listings; <see cref="RestoreRun"/> brings it back.</summary>
    public void DeleteRun(string runIdOrPrefix) => Store.SetRunStage(ResolveRunId(runIdOrPrefix), LifecycleStage.Deleted);

    public void RestoreRun(string runIdOrPrefix) => Store.SetRunStage(ResolveRunId(runIdOrPrefix), LifecycleStage.Active);

    public IReadOnlyList<Metric> GetMetricHistory(string runIdOrPrefix, string key)
    {
        _writer.Flush();
        return Store.GetMetricHistory(ResolveRunId(runIdOrPrefix), key);
    }

    /// <summary>
    /// Searches the runs of the named experiments (all when none are named) with a filter in MLflow's syntax, e.g.
    /// <c>metrics.auc &gt; 0.8 and params.trainer = 'FastTree'</c>, ordered by e.g. <c>metrics.auc DESC</c>.
    /// </summary>
    public RunList SearchRuns(IReadOnlyList<string>? experimentNames = null, string? filter = null,
        string? orderBy = null, int maxResults = RunQuery.DefaultMaxResults, ViewType viewType = ViewType.ActiveOnly)
    {
        if (maxResults < 1 || maxResults > RunQuery.MaxMaxResults)
        {
            throw new MlopsException($"max results must be between 1 and {RunQuery.MaxMaxResults}; it was {maxResults}.",
                "Pass a count in that range (--max-results).");
        }
        var query = new RunQuery
        {
            ExperimentIds = experimentNames is { Count: > 0 }
                ? experimentNames.Select(n => GetExperimentByName(n).ExperimentId).ToList()
                : Store.ListExperiments(ViewType.All).Select(e => e.ExperimentId).ToList(),
            Filter = RunFilter.Parse(filter),
            OrderBy = OrderBy.ParseList(orderBy),
            MaxResults = maxResults,
            ViewType = viewType,
        };
        _writer.Flush();
        var now = DateTimeOffset.UtcNow;
        return new RunList(Store.SearchRuns(query).Select(r => RunLiveness.Assess(r, now)).ToList());
    }

    /// <summary>Runs side by side: the params that differ, every metric's latest value.</summary>
    public RunComparison CompareRuns(IReadOnlyList<string> runIdsOrPrefixes)
    {
        if (runIdsOrPrefixes.Count < 2)
        {
            throw new MlopsException("Comparing needs at least two runs.", "Name two or more run ids.");
        }
        _writer.Flush();
        return RunComparison.Of(runIdsOrPrefixes.Select(GetRun).ToList());
    }

    /// <summary>One metric's history across steps, for each of the runs named.</summary>
    public IReadOnlyList<(Run Run, IReadOnlyList<Metric> History)> MetricHistories(string key, IReadOnlyList<string> runIdsOrPrefixes)
    {
        _writer.Flush();
        var runs = runIdsOrPrefixes.Select(GetRun).ToList();
        return runs.Select(r => (r, Store.GetMetricHistory(r.RunId, key))).ToList();
    }

    /// <summary>Writes every buffered metric point now.</summary>
    public void Flush() => _writer.Flush();

    private Run Assess(Run run) => RunLiveness.Assess(run, DateTimeOffset.UtcNow);

    private static void ValidateTag(string key, string value)
    {
        Names.ValidateKey("tag", key);
        Names.ValidateValue("tag", key, value, Names.MaxTagValueLength);
    }

    /// <summary>
    /// A write to a run, unless the process is terminating (see <see cref="ProcessShutdown"/>): then it waits for the
    /// exit, also when it failed because the shutdown ended its run under it.
    /// </summary>
    private static void WhileRunning(Action write)
    {
        ProcessShutdown.WaitIfTerminating();
        try
        {
            write();
        }
        catch (MlopsException)
        {
            ProcessShutdown.WaitIfTerminating();
            throw;
        }
    }

    // Checked once per run per client: later points to the same run skip the store round trip.
    private void EnsureRunning(string runId)
    {
        lock (_running)
        {
            if (_running.Contains(runId))
            {
                return;
            }
        }
        var run = Store.GetRun(runId) ?? throw new RunNotFoundException($"No run with id {runId}.");
        if (run.Stage == LifecycleStage.Deleted)
        {
            throw new RunNotActiveException(runId, "deleted");
        }
        if (run.Status != RunStatus.Running)
        {
            throw new RunNotActiveException(runId, run.Status.ToName().ToLowerInvariant());
        }
        lock (_running)
        {
            _running.Add(runId);
        }
    }

    public void Dispose()
    {
        _writer.Dispose();
        if (_ownsStore)
        {
            Store.Dispose();
            if (_models.IsValueCreated)
            {
                _models.Value.Dispose();
            }
        }
    }

    internal static string FormatValue(object? value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
