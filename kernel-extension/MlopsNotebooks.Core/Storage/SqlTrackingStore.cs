using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text;
using MlopsNotebooks.Search;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Storage;

/// <summary>
/// The tracking store over SQL that SQLite and PostgreSQL both speak (<c>ON CONFLICT</c>, <c>NULLS LAST</c>, EXISTS
/// sub-queries), on a <see cref="SqlDatabase"/> that supplies the connection and the schema. The model registry's
/// tables are in the same database but are <see cref="Registry.SqlModelRegistryStore"/>'s.
/// </summary>
public partial class SqlTrackingStore : ITrackingStore
{
    private readonly SqlDatabase _db;
    private readonly bool _ownsDatabase;

    /// <summary>
    /// A store on <paramref name="database"/>, which it closes when disposed if it owns it. <paramref name="artifactUri"/>
    /// (<see cref="StoreAddress.ArtifactUri"/>) is recorded as the store's artifact root when it has none yet, and must
    /// match the one recorded when it has.
    /// </summary>
    public SqlTrackingStore(SqlDatabase database, bool ownsDatabase = true, string? artifactUri = null)
    {
        _db = database;
        _ownsDatabase = ownsDatabase;
        try
        {
            ArtifactRoot = SettleArtifactRoot(artifactUri);
        }
        catch
        {
            if (ownsDatabase)
            {
                database.Dispose();
            }
            throw;
        }
    }

    public string Location => _db.Location;

    public string? ArtifactRoot { get; }

    private const string ArtifactRootSetting = "artifact_root";

    // Recorded once, as MLflow fixes an experiment's artifact location: every client of a shared store then finds the
    // runs' files in the same place, whatever its own environment says.
    private string? SettleArtifactRoot(string? wanted)
    {
        var recorded = _db.Read(() => _db.Scalar(null, "SELECT value FROM mlops_settings WHERE key = @k", ("k", ArtifactRootSetting)) as string);
        if (string.IsNullOrWhiteSpace(wanted) || wanted == recorded)
        {
            return recorded;
        }
        if (UriSchemes.Of(wanted) == UriSchemes.PlainPath && !Path.IsPathFullyQualified(wanted))
        {
            throw new TrackingStoreException($"The artifact root '{wanted}' is a relative path; every client of the store would read it from another folder.",
                $"Give {TrackingStores.ArtifactUriVariable} an absolute path or a remote URL (azure://container/prefix, s3://bucket/prefix).");
        }
        // Before it is named in any message or recorded once and for good: a location no client could open (or one with
        // credentials in it, which the remote refuses without repeating it).
        ArtifactStores.Check(wanted);
        if (recorded is not null)
        {
            throw ArtifactRootMismatch(recorded, wanted);
        }
        if (_db.IsReadOnly)
        {
            return null; // a reader records nothing; the store keeps the artifacts beside it
        }
        var settled = _db.Write(tx =>
        {
            _db.Execute(tx, "INSERT INTO mlops_settings (key, value) VALUES (@k, @v) ON CONFLICT (key) DO NOTHING", ("k", ArtifactRootSetting), ("v", wanted));
            // Another client may have recorded one first: the store's answer is what counts.
            return (string)_db.Scalar(tx, "SELECT value FROM mlops_settings WHERE key = @k", ("k", ArtifactRootSetting))!;
        });
        return settled == wanted ? settled : throw ArtifactRootMismatch(settled, wanted);
    }

    private TrackingStoreException ArtifactRootMismatch(string recorded, string wanted) => new(
        $"The tracking store at {Location} keeps its run artifacts at {recorded}, not at {wanted}.",
        $"Unset {TrackingStores.ArtifactUriVariable} (the store's own location is used), or point it at {recorded}.");

    public Experiment CreateExperiment(string name, DateTimeOffset creationTime) => _db.Write(tx =>
    {
        if (_db.Scalar(tx, "SELECT experiment_id FROM experiments WHERE name = @n", ("n", name)) is not null)
        {
            throw new ExperimentExistsException(name);
        }
        var id = Convert.ToInt64(_db.Scalar(tx, "SELECT COALESCE(MAX(experiment_id), -1) + 1 FROM experiments"), CultureInfo.InvariantCulture);
        _db.Execute(tx, "INSERT INTO experiments (experiment_id, name, lifecycle_stage, creation_time) VALUES (@id, @n, 'active', @t)",
            ("id", id), ("n", name), ("t", creationTime.ToUnixTimeMilliseconds()));
        return new Experiment(id.ToString(CultureInfo.InvariantCulture), name, LifecycleStage.Active, creationTime);
    });

    public Experiment? GetExperiment(string experimentId) =>
        long.TryParse(experimentId, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? _db.Read(() => QueryExperiments("WHERE experiment_id = @id", ("id", id)).FirstOrDefault())
            : null;

    public Experiment? GetExperimentByName(string name) =>
        _db.Read(() => QueryExperiments("WHERE name = @n", ("n", name)).FirstOrDefault());

    public IReadOnlyList<Experiment> ListExperiments(ViewType viewType) =>
        _db.Read(() => QueryExperiments($"WHERE lifecycle_stage IN ({StageList(viewType)}) ORDER BY experiment_id"));

    private List<Experiment> QueryExperiments(string where, params (string, object?)[] args)
    {
        using var cmd = _db.Command(null, $"SELECT experiment_id, name, lifecycle_stage, creation_time FROM experiments {where}", args);
        using var reader = cmd.ExecuteReader();
        var result = new List<Experiment>();
        while (reader.Read())
        {
            result.Add(new Experiment(
                reader.GetInt64(0).ToString(CultureInfo.InvariantCulture),
                reader.GetString(1),
                ParseStage(reader.GetString(2)),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3))));
        }
        return result;
    }

    public Run CreateRun(NewRun run)
    {
        _db.Write(tx =>
        {
            Insert(tx, run);
            return 0;
        });
        return GetRun(run.RunId)!;
    }

    public Run? CreateChildRun(NewRun run, Func<IReadOnlyList<RunStatus>, NewRun?> admit)
    {
        var parent = run.ParentRunId ?? throw new ArgumentException("A child run needs a parent.", nameof(run));
        var created = _db.Write(tx =>
        {
            // Touching the parent first takes its row lock (PostgreSQL) or the write lock (SQLite) before the children
            // are read, so a second caller waits and then sees this one's child.
            if (_db.Execute(tx, "UPDATE runs SET heartbeat_time = heartbeat_time WHERE run_id = @p", ("p", parent)) == 0)
            {
                throw new RunNotFoundException($"The parent run {parent} does not exist.");
            }
            var statuses = new List<RunStatus>();
            using (var cmd = _db.Command(tx, "SELECT status FROM runs WHERE parent_run_id = @p ORDER BY run_key", ("p", parent)))
            using (var reader = cmd.ExecuteReader())
            {
                while (reader.Read())
                {
                    RunStatusNames.TryParse(reader.GetString(0), out var status);
                    statuses.Add(status);
                }
            }
            if (admit(statuses) is not { } admitted)
            {
                return null;
            }
            if (admitted.ParentRunId != parent)
            {
                throw new ArgumentException("The admitted run must have the same parent.", nameof(admit));
            }
            Insert(tx, admitted);
            return admitted.RunId;
        });
        return created is null ? null : GetRun(created);
    }

    private void Insert(DbTransaction tx, NewRun run)
    {
        var experimentId = long.Parse(run.ExperimentId, CultureInfo.InvariantCulture);
        if (_db.Scalar(tx, "SELECT lifecycle_stage FROM experiments WHERE experiment_id = @e", ("e", experimentId)) is not string stage)
        {
            throw new NotFoundException($"No experiment with id {run.ExperimentId}.");
        }
        if (stage != "active")
        {
            throw new ConflictException($"Experiment {run.ExperimentId} is deleted; runs cannot be added to it.",
                "Restore the experiment or pick another one.");
        }
        if (run.ParentRunId is not null
            && _db.Scalar(tx, "SELECT 1 FROM runs WHERE run_id = @p", ("p", run.ParentRunId)) is null)
        {
            throw new RunNotFoundException($"The parent run {run.ParentRunId} does not exist.");
        }
        var start = run.StartTime.ToUnixTimeMilliseconds();
        _db.Execute(tx, """
            INSERT INTO runs (run_id, experiment_id, name, parent_run_id, status, start_time, end_time, lifecycle_stage, heartbeat_time)
            VALUES (@id, @e, @n, @p, 'RUNNING', @s, NULL, 'active', @s)
            """, ("id", run.RunId), ("e", experimentId), ("n", run.Name), ("p", run.ParentRunId), ("s", start));
        foreach (var tag in run.Tags)
        {
            UpsertTag(tx, run.RunId, tag);
        }
    }

    public Run? GetRun(string runId) => _db.Read(() => LoadRuns([runId]).FirstOrDefault());

    public IReadOnlyList<string> FindRunIds(string prefix, int limit) => _db.Read(() =>
    {
        // Escape LIKE wildcards so a prefix matches literally.
        var pattern = prefix.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
        using var cmd = _db.Command(null, "SELECT run_id FROM runs WHERE run_id LIKE @p ESCAPE '\\' ORDER BY run_id LIMIT @l",
            ("p", pattern), ("l", limit));
        return SqlDatabase.ReadStrings(cmd);
    });

    public void SetRunStatus(string runId, RunStatus status, DateTimeOffset? endTime) => _db.Write(tx =>
    {
        var updated = _db.Execute(tx, "UPDATE runs SET status = @s, end_time = @e WHERE run_id = @id",
            ("s", status.ToName()), ("e", status.IsTerminal() ? (endTime ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds() : null),
            ("id", runId));
        return updated == 0 ? throw NotFound(runId) : 0;
    });

    public bool TrySetRunStatus(string runId, RunStatus expected, RunStatus status, DateTimeOffset? endTime) => _db.Write(tx =>
    {
        var updated = _db.Execute(tx, "UPDATE runs SET status = @s, end_time = @e WHERE run_id = @id AND status = @x",
            ("s", status.ToName()), ("e", status.IsTerminal() ? (endTime ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds() : null),
            ("id", runId), ("x", expected.ToName()));
        return updated == 1 || (_db.Scalar(tx, "SELECT 1 FROM runs WHERE run_id = @id", ("id", runId)) is null ? throw NotFound(runId) : false);
    });

    public void SetRunStage(string runId, LifecycleStage stage) => _db.Write(tx =>
    {
        // Deleting an already deleted run keeps its first time, so deleting again never postpones its purge.
        var updated = stage == LifecycleStage.Deleted
            ? _db.Execute(tx, "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = COALESCE(deleted_time, @t) WHERE run_id = @id",
                ("t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), ("id", runId))
            : _db.Execute(tx, "UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE run_id = @id", ("id", runId));
        return updated == 0 ? throw NotFound(runId) : 0;
    });

    public void Heartbeat(string runId, DateTimeOffset time) => _db.Write(tx =>
        _db.Execute(tx, "UPDATE runs SET heartbeat_time = @t WHERE run_id = @id AND status = 'RUNNING'",
            ("t", time.ToUnixTimeMilliseconds()), ("id", runId)));

    public void LogBatch(string runId, IReadOnlyList<Metric> metrics, IReadOnlyList<Param> parameters, IReadOnlyList<RunTag> tags) => _db.Write(tx =>
    {
        long runKey;
        using (var check = _db.Command(tx, "SELECT status, lifecycle_stage, run_key FROM runs WHERE run_id = @id", ("id", runId)))
        using (var reader = check.ExecuteReader())
        {
            if (!reader.Read())
            {
                throw NotFound(runId);
            }
            var (status, stage) = (reader.GetString(0), reader.GetString(1));
            runKey = reader.GetInt64(2);
            if (stage != "active")
            {
                throw new RunNotActiveException(runId, "deleted");
            }
            if (status != "RUNNING")
            {
                throw new RunNotActiveException(runId, status.ToLowerInvariant());
            }
        }
        if (parameters.Count > 0)
        {
            LogParams(tx, runId, parameters);
        }
        foreach (var tag in tags)
        {
            UpsertTag(tx, runId, tag);
        }
        if (metrics.Count > 0)
        {
            InsertMetrics(tx, runId, runKey, metrics);
        }
        _db.Execute(tx, "UPDATE runs SET heartbeat_time = @t WHERE run_id = @id",
            ("t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), ("id", runId));
        return 0;
    });

    private void LogParams(DbTransaction tx, string runId, IReadOnlyList<Param> parameters)
    {
        var batch = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in parameters)
        {
            if (batch.TryGetValue(p.Key, out var earlier) && earlier != p.Value)
            {
                throw new ParamConflictException(runId, p.Key, earlier, p.Value);
            }
            batch[p.Key] = p.Value;
        }
        foreach (var (key, value) in batch)
        {
            var existing = _db.Scalar(tx, "SELECT value FROM params WHERE run_id = @r AND key = @k", ("r", runId), ("k", key));
            if (existing is string old)
            {
                if (old != value)
                {
                    throw new ParamConflictException(runId, key, old, value);
                }
                continue;
            }
            _db.Execute(tx, "INSERT INTO params (run_id, key, value) VALUES (@r, @k, @v)", ("r", runId), ("k", key), ("v", value));
        }
    }

    private void UpsertTag(DbTransaction tx, string runId, RunTag tag) =>
        _db.Execute(tx, "INSERT INTO tags (run_id, key, value) VALUES (@r, @k, @v) ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
            ("r", runId), ("k", tag.Key), ("v", tag.Value));

    private void InsertMetrics(DbTransaction tx, string runId, long runKey, IReadOnlyList<Metric> metrics)
    {
        var keyIds = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var m in metrics)
        {
            if (!keyIds.ContainsKey(m.Key))
            {
                _db.Execute(tx, "INSERT INTO metric_keys (key) VALUES (@k) ON CONFLICT (key) DO NOTHING", ("k", m.Key));
                keyIds[m.Key] = Convert.ToInt64(_db.Scalar(tx, "SELECT key_id FROM metric_keys WHERE key = @k", ("k", m.Key)), CultureInfo.InvariantCulture);
            }
        }

        _db.InsertMetricPoints(tx, runKey, metrics, keyIds);

        // The latest point per key: highest step, then latest time, then largest value (MLflow's rule).
        var latest = new Dictionary<string, Metric>(StringComparer.Ordinal);
        foreach (var m in metrics)
        {
            if (!latest.TryGetValue(m.Key, out var best) || IsLater(m, best))
            {
                latest[m.Key] = m;
            }
        }
        foreach (var m in latest.Values)
        {
            _db.Execute(tx, """
                INSERT INTO latest_metrics (run_id, key, value, step, timestamp) VALUES (@r, @k, @v, @s, @t)
                ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, step = excluded.step, timestamp = excluded.timestamp
                WHERE excluded.step > latest_metrics.step
                   OR (excluded.step = latest_metrics.step AND excluded.timestamp >= latest_metrics.timestamp)
                """, ("r", runId), ("k", m.Key), ("v", SqlDatabase.StoredValue(m.Value)), ("s", m.Step), ("t", m.Timestamp));
        }
    }

    private static bool IsLater(Metric a, Metric b) =>
        a.Step != b.Step ? a.Step > b.Step : a.Timestamp != b.Timestamp ? a.Timestamp > b.Timestamp : a.Value >= b.Value;

    private static double ReadValue(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? double.NaN : reader.GetDouble(ordinal);

    public IReadOnlyList<Metric> GetMetricHistory(string runId, string key) => _db.Read(() =>
    {
        using var cmd = _db.Command(null, """
            SELECT m.value, m.step, m.timestamp FROM metrics m
            WHERE m.run_key = (SELECT run_key FROM runs WHERE run_id = @r)
              AND m.key_id = (SELECT key_id FROM metric_keys WHERE key = @k)
            ORDER BY m.step, m.timestamp
            """, ("r", runId), ("k", key));
        using var reader = cmd.ExecuteReader();
        var points = new List<Metric>();
        while (reader.Read())
        {
            points.Add(new Metric(key, ReadValue(reader, 0), reader.GetInt64(1), reader.GetInt64(2)));
        }
        return points;
    });

    public void LogArtifact(string runId, ArtifactInfo artifact) => _db.Write(tx =>
    {
        if (_db.Scalar(tx, "SELECT 1 FROM runs WHERE run_id = @r", ("r", runId)) is null)
        {
            throw NotFound(runId);
        }
        return _db.Execute(tx, """
            INSERT INTO artifacts (run_id, path, hash, size) VALUES (@r, @p, @h, @s)
            ON CONFLICT (run_id, path) DO UPDATE SET hash = excluded.hash, size = excluded.size
            """, ("r", runId), ("p", artifact.Path), ("h", artifact.Hash), ("s", artifact.Size));
    });

    public IReadOnlyList<string> ReferencedHashes() => _db.Read(() =>
    {
        using var cmd = _db.Command(null, "SELECT DISTINCT hash FROM artifacts");
        return SqlDatabase.ReadStrings(cmd);
    });

    public void LogInputs(string runId, IReadOnlyList<DataInput> inputs) => _db.Write(tx =>
    {
        if (_db.Scalar(tx, "SELECT 1 FROM runs WHERE run_id = @r", ("r", runId)) is null)
        {
            throw NotFound(runId);
        }
        foreach (var input in inputs)
        {
            _db.Execute(tx, """
                INSERT INTO run_inputs (run_id, path, hash, size, files) VALUES (@r, @p, @h, @s, @f)
                ON CONFLICT (run_id, path) DO UPDATE SET hash = excluded.hash, size = excluded.size, files = excluded.files
                """, ("r", runId), ("p", input.Path), ("h", input.Hash), ("s", input.Size), ("f", input.Files));
        }
        return 0;
    });

    public IReadOnlyList<Run> SearchRuns(RunQuery query) => _db.Read(() =>
    {
        if (query.ExperimentIds.Count == 0)
        {
            return [];
        }
        var args = new List<(string, object?)>();
        string Arg(object? value)
        {
            var name = $"a{args.Count}";
            args.Add((name, value));
            return "@" + name;
        }

        var sql = new StringBuilder("SELECT r.run_id FROM runs r WHERE r.experiment_id IN (");
        sql.Append(string.Join(", ", query.ExperimentIds.Select(id =>
            Arg(long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1))));
        sql.Append($") AND r.lifecycle_stage IN ({StageList(query.ViewType)})");
        foreach (var condition in query.Filter.Conditions)
        {
            sql.Append(" AND ").Append(ConditionSql(condition, Arg));
        }
        sql.Append(" ORDER BY ");
        foreach (var key in query.OrderBy)
        {
            sql.Append(TermSql(key.Term, Arg)).Append(key.Descending ? " DESC" : " ASC").Append(" NULLS LAST, ");
        }
        sql.Append("r.start_time DESC, r.run_id ASC LIMIT ").Append(Arg(Math.Clamp(query.MaxResults, 0, RunQuery.MaxMaxResults)));
        using var cmd = _db.Command(null, sql.ToString(), args.ToArray());
        var ids = SqlDatabase.ReadStrings(cmd);
        var runs = LoadRuns(ids).ToDictionary(r => r.RunId);
        return ids.Select(id => runs[id]).ToList();
    });

    public RunPurge PurgeDeletedRuns(DateTimeOffset deletedBefore, IReadOnlyCollection<string>? experimentIds, bool dryRun)
    {
        if (dryRun)
        {
            return _db.Read(() => PlanPurge(null, deletedBefore, experimentIds) with { DryRun = true });
        }
        return _db.Write(tx =>
        {
            // Planned inside the deleting transaction, so a version registered meanwhile is seen or waits.
            var plan = PlanPurge(tx, deletedBefore, experimentIds);
            var ids = plan.Purged.Select(r => r.RunId).ToList();
            foreach (var (args, inList) in InLists(ids))
            {
                _db.Execute(tx, $"DELETE FROM metrics WHERE run_key IN (SELECT run_key FROM runs WHERE run_id IN ({inList}))", args);
                foreach (var table in (string[])["latest_metrics", "params", "tags", "run_inputs", "artifacts"])
                {
                    _db.Execute(tx, $"DELETE FROM {table} WHERE run_id IN ({inList})", args);
                }
                // Purged runs may name one another as parent, in other chunks: unlinked first, they go in any order.
                _db.Execute(tx, $"UPDATE runs SET parent_run_id = NULL WHERE run_id IN ({inList})", args);
            }
            foreach (var (args, inList) in InLists(ids))
            {
                _db.Execute(tx, $"DELETE FROM runs WHERE run_id IN ({inList})", args);
            }
            return plan;
        });
    }

    private static IEnumerable<((string, object?)[] Args, string InList)> InLists(IReadOnlyList<string> ids) =>
        ids.Chunk(500).Select(chunk =>
        {
            var args = chunk.Select((id, i) => ($"i{i}", (object?)id)).ToArray();
            return (args, string.Join(", ", args.Select(a => "@" + a.Item1)));
        });

    private RunPurge PlanPurge(DbTransaction? tx, DateTimeOffset deletedBefore, IReadOnlyCollection<string>? experimentIds)
    {
        var candidates = new SortedDictionary<string, (string ExperimentId, string? Name, long DeletedTime)>(StringComparer.Ordinal);
        using (var cmd = _db.Command(tx, """
            SELECT run_id, experiment_id, name, deleted_time FROM runs
            WHERE lifecycle_stage = 'deleted' AND deleted_time IS NOT NULL AND deleted_time < @before
            """, ("before", deletedBefore.ToUnixTimeMilliseconds())))
        using (var reader = cmd.ExecuteReader())
        {
            while (reader.Read())
            {
                var experiment = reader.GetInt64(1).ToString(CultureInfo.InvariantCulture);
                if (experimentIds is null || experimentIds.Contains(experiment))
                {
                    candidates[reader.GetString(0)] = (experiment, reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt64(3));
                }
            }
        }
        var reasons = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var cmd = _db.Command(tx, """
            SELECT v.run_id, v.name, v.version FROM model_versions v JOIN runs r ON r.run_id = v.run_id
            WHERE r.lifecycle_stage = 'deleted' ORDER BY v.name, v.version
            """))
        using (var reader = cmd.ExecuteReader())
        {
            while (reader.Read())
            {
                var runId = reader.GetString(0);
                if (candidates.ContainsKey(runId))
                {
                    reasons.TryAdd(runId, $"model version {reader.GetString(1)}/{reader.GetInt64(2)} points at it");
                }
            }
        }
        var children = new List<(string Child, string Parent)>();
        using (var cmd = _db.Command(tx, "SELECT run_id, parent_run_id FROM runs WHERE parent_run_id IS NOT NULL ORDER BY run_id"))
        using (var reader = cmd.ExecuteReader())
        {
            while (reader.Read())
            {
                if (candidates.ContainsKey(reader.GetString(1)))
                {
                    children.Add((reader.GetString(0), reader.GetString(1)));
                }
            }
        }
        // A parent stays while any child stays, and staying climbs the tree: repeat until nothing changes.
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var (child, parent) in children)
            {
                var childStays = !candidates.ContainsKey(child) || reasons.ContainsKey(child);
                if (childStays && !reasons.ContainsKey(parent))
                {
                    reasons[parent] = $"its child run {child} is {(candidates.ContainsKey(child) ? "kept" : "not purged")}";
                    changed = true;
                }
            }
        }
        var purged = candidates.Where(c => !reasons.ContainsKey(c.Key))
            .Select(c => new PurgedRun(c.Key, c.Value.ExperimentId, c.Value.Name, DateTimeOffset.FromUnixTimeMilliseconds(c.Value.DeletedTime)))
            .ToList();
        var kept = candidates.Where(c => reasons.ContainsKey(c.Key))
            .Select(c => new KeptRun(c.Key, c.Value.ExperimentId, c.Value.Name, reasons[c.Key]))
            .ToList();
        return new RunPurge(purged, kept, DryRun: false);
    }

    private static string ConditionSql(FilterCondition c, Func<object?, string> arg)
    {
        var op = c.Comparator switch
        {
            Comparator.Equal => "=",
            Comparator.NotEqual => "<>",
            Comparator.Less => "<",
            Comparator.LessOrEqual => "<=",
            Comparator.Greater => ">",
            Comparator.GreaterOrEqual => ">=",
            _ => null,
        };
        string Compare(string column) => c.Comparator switch
        {
            Comparator.Like => $"{column} LIKE {arg(c.Value)}",
            Comparator.ILike => $"LOWER({column}) LIKE LOWER({arg(c.Value)})",
            Comparator.In => $"{column} IN ({string.Join(", ", ((IReadOnlyList<string>)c.Value).Select(v => arg(v)))})",
            Comparator.NotIn => $"{column} NOT IN ({string.Join(", ", ((IReadOnlyList<string>)c.Value).Select(v => arg(v)))})",
            _ => $"{column} {op} {arg(c.Value)}",
        };
        return c.Term.Entity switch
        {
            FilterEntity.Metric => $"EXISTS (SELECT 1 FROM latest_metrics x WHERE x.run_id = r.run_id AND x.key = {arg(c.Term.Key)} AND {Compare("x.value")})",
            FilterEntity.Param => $"EXISTS (SELECT 1 FROM params x WHERE x.run_id = r.run_id AND x.key = {arg(c.Term.Key)} AND {Compare("x.value")})",
            FilterEntity.Tag => $"EXISTS (SELECT 1 FROM tags x WHERE x.run_id = r.run_id AND x.key = {arg(c.Term.Key)} AND {Compare("x.value")})",
            _ => Compare(AttributeColumn(c.Term.Key)),
        };
    }

    private static string TermSql(SearchTerm term, Func<object?, string> arg) => term.Entity switch
    {
        FilterEntity.Metric => $"(SELECT x.value FROM latest_metrics x WHERE x.run_id = r.run_id AND x.key = {arg(term.Key)})",
        FilterEntity.Param => $"(SELECT x.value FROM params x WHERE x.run_id = r.run_id AND x.key = {arg(term.Key)})",
        FilterEntity.Tag => $"(SELECT x.value FROM tags x WHERE x.run_id = r.run_id AND x.key = {arg(term.Key)})",
        _ => AttributeColumn(term.Key),
    };

    private static string AttributeColumn(string attribute) => attribute switch
    {
        "run_id" => "r.run_id",
        "run_name" => "r.name",
        "status" => "r.status",
        "parent_run_id" => "r.parent_run_id",
        "start_time" => "r.start_time",
        "end_time" => "r.end_time",
        _ => throw new ArgumentOutOfRangeException(nameof(attribute), attribute, "unknown run attribute"),
    };

    private List<Run> LoadRuns(IReadOnlyList<string> ids)
    {
        var result = new List<Run>(ids.Count);
        foreach (var (args, inList) in InLists(ids))
        {
            var parameters = new Dictionary<string, SortedDictionary<string, string>>();
            var tags = new Dictionary<string, SortedDictionary<string, string>>();
            var metrics = new Dictionary<string, SortedDictionary<string, Metric>>();
            var artifacts = new Dictionary<string, List<ArtifactInfo>>();
            ReadPairs($"SELECT run_id, key, value FROM params WHERE run_id IN ({inList})", args, parameters);
            ReadPairs($"SELECT run_id, key, value FROM tags WHERE run_id IN ({inList})", args, tags);
            using (var cmd = _db.Command(null, $"SELECT run_id, key, value, step, timestamp FROM latest_metrics WHERE run_id IN ({inList})", args))
            using (var reader = cmd.ExecuteReader())
            {
                while (reader.Read())
                {
                    var key = reader.GetString(1);
                    SqlDatabase.Bucket(metrics, reader.GetString(0))[key] = new Metric(key, ReadValue(reader, 2), reader.GetInt64(3), reader.GetInt64(4));
                }
            }
            var inputs = new Dictionary<string, List<DataInput>>();
            using (var cmd = _db.Command(null, $"SELECT run_id, path, hash, size, files FROM run_inputs WHERE run_id IN ({inList}) ORDER BY path", args))
            using (var reader = cmd.ExecuteReader())
            {
                while (reader.Read())
                {
                    SqlDatabase.Rows(inputs, reader.GetString(0)).Add(new DataInput(reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt32(4)));
                }
            }
            using (var cmd = _db.Command(null, $"SELECT run_id, path, hash, size FROM artifacts WHERE run_id IN ({inList}) ORDER BY path", args))
            using (var reader = cmd.ExecuteReader())
            {
                while (reader.Read())
                {
                    SqlDatabase.Rows(artifacts, reader.GetString(0)).Add(new ArtifactInfo(reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
                }
            }
            using (var cmd = _db.Command(null, $"""
                SELECT run_id, experiment_id, name, parent_run_id, status, start_time, end_time, lifecycle_stage, heartbeat_time
                FROM runs WHERE run_id IN ({inList})
                """, args))
            using (var reader = cmd.ExecuteReader())
            {
                while (reader.Read())
                {
                    var id = reader.GetString(0);
                    RunStatusNames.TryParse(reader.GetString(4), out var status);
                    result.Add(new Run
                    {
                        RunId = id,
                        ExperimentId = reader.GetInt64(1).ToString(CultureInfo.InvariantCulture),
                        Name = reader.IsDBNull(2) ? null : reader.GetString(2),
                        ParentRunId = reader.IsDBNull(3) ? null : reader.GetString(3),
                        Status = status,
                        StartTime = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
                        EndTime = reader.IsDBNull(6) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)),
                        Stage = ParseStage(reader.GetString(7)),
                        HeartbeatTime = reader.IsDBNull(8) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(8)),
                        Params = parameters.GetValueOrDefault(id) ?? new SortedDictionary<string, string>(StringComparer.Ordinal),
                        Tags = tags.GetValueOrDefault(id) ?? new SortedDictionary<string, string>(StringComparer.Ordinal),
                        Metrics = metrics.GetValueOrDefault(id) ?? new SortedDictionary<string, Metric>(StringComparer.Ordinal),
                        Artifacts = artifacts.GetValueOrDefault(id) ?? [],
                        Inputs = inputs.GetValueOrDefault(id) ?? [],
                    });
                }
            }
        }
        return result;
    }

    private void ReadPairs(string sql, (string, object?)[] args, Dictionary<string, SortedDictionary<string, string>> into)
    {
        using var cmd = _db.Command(null, sql, args);
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            SqlDatabase.Bucket(into, reader.GetString(0))[reader.GetString(1)] = reader.GetString(2);
        }
    }

    private static RunNotFoundException NotFound(string runId) =>
        new($"No run with id {runId}.", "List runs with `mlops runs list` (add --all to include deleted ones).");

    private static string StageName(LifecycleStage stage) => stage == LifecycleStage.Deleted ? "deleted" : "active";

    private static LifecycleStage ParseStage(string stage) => stage == "deleted" ? LifecycleStage.Deleted : LifecycleStage.Active;

    private static string StageList(ViewType viewType) => viewType switch
    {
        ViewType.ActiveOnly => "'active'",
        ViewType.DeletedOnly => "'deleted'",
        _ => "'active', 'deleted'",
    };

    public void Dispose()
    {
        if (_ownsDatabase)
        {
            _db.Dispose();
        }
        GC.SuppressFinalize(this);
    }
}
