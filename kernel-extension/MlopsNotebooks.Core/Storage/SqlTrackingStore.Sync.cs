using System.Data.Common;
using System.Globalization;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Storage;

/// <summary>Copying runs between stores (<c>mlops sync</c>): ids kept, every point, one transaction per run.</summary>
public partial class SqlTrackingStore
{
    public IReadOnlyList<string> ListRunIds(string experimentId) =>
        long.TryParse(experimentId, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? _db.Read(() =>
            {
                using var cmd = _db.Command(null, "SELECT run_id FROM runs WHERE experiment_id = @e ORDER BY start_time, run_id", ("e", id));
                return SqlDatabase.ReadStrings(cmd);
            })
            : [];

    public RunHistory? ExportRun(string runId) => _db.Read(() =>
    {
        if (LoadRuns([runId]).FirstOrDefault() is not { } run)
        {
            return null;
        }
        return new RunHistory(run, ReadPoints(runId), DeletedTime(runId));
    });

    private List<Metric> ReadPoints(string runId)
    {
        using var cmd = _db.Command(null, """
            SELECT k.key, m.value, m.step, m.timestamp FROM metrics m JOIN metric_keys k ON k.key_id = m.key_id
            WHERE m.run_key = (SELECT run_key FROM runs WHERE run_id = @r)
            ORDER BY k.key, m.step, m.timestamp
            """, ("r", runId));
        using var reader = cmd.ExecuteReader();
        var points = new List<Metric>();
        while (reader.Read())
        {
            points.Add(new Metric(reader.GetString(0), ReadValue(reader, 1), reader.GetInt64(2), reader.GetInt64(3)));
        }
        return points;
    }

    public ImportResult ImportRun(RunHistory history, string experimentId)
    {
        var run = history.Run;
        // Read first (the run's loaders read outside a transaction), then write in one transaction.
        var plan = RunImports.Plan(ExportRun(run.RunId), history, experimentId);
        if (plan.Result.Outcome is ImportOutcome.Unchanged or ImportOutcome.Conflict)
        {
            return plan.Result;
        }
        return _db.Write(tx =>
        {
            if (plan.Result.Outcome == ImportOutcome.Created)
            {
                if (run.ParentRunId is not null && _db.Scalar(tx, "SELECT 1 FROM runs WHERE run_id = @p", ("p", run.ParentRunId)) is null)
                {
                    throw new RunNotFoundException($"The parent run {run.ParentRunId} of run {run.RunId} is not in {Location}.",
                        "Copy the parent run first (mlops sync copies parents before their children).");
                }
                var inserted = _db.Execute(tx, """
                    INSERT INTO runs (run_id, experiment_id, name, parent_run_id, status, start_time, end_time, lifecycle_stage, heartbeat_time, deleted_time)
                    VALUES (@id, @e, @n, @p, @st, @s, @end, @l, @h, @d) ON CONFLICT (run_id) DO NOTHING
                    """, ("id", run.RunId), ("e", long.Parse(experimentId, CultureInfo.InvariantCulture)), ("n", run.Name), ("p", run.ParentRunId),
                    ("st", run.Status.ToName()), ("s", run.StartTime.ToUnixTimeMilliseconds()), ("end", run.EndTime?.ToUnixTimeMilliseconds()),
                    ("l", StageName(run.Stage)), ("h", run.HeartbeatTime?.ToUnixTimeMilliseconds()), ("d", history.DeletedTime?.ToUnixTimeMilliseconds()));
                if (inserted == 0)
                {
                    return ImportResult.Refused("another client wrote it here at the same time; sync again to compare");
                }
            }
            else
            {
                _db.Execute(tx, """
                    UPDATE runs SET status = @st, end_time = @end, lifecycle_stage = @l, deleted_time = @d,
                        heartbeat_time = CASE WHEN heartbeat_time IS NULL OR heartbeat_time < @h THEN @h ELSE heartbeat_time END
                    WHERE run_id = @id
                    """, ("st", run.Status.ToName()), ("end", run.EndTime?.ToUnixTimeMilliseconds()), ("l", StageName(run.Stage)),
                    ("d", history.DeletedTime?.ToUnixTimeMilliseconds()), ("h", run.HeartbeatTime?.ToUnixTimeMilliseconds()), ("id", run.RunId));
            }
            ApplyImport(tx, history, plan);
            return plan.Result;
        });
    }

    private DateTimeOffset? DeletedTime(string runId) =>
        _db.Scalar(null, "SELECT deleted_time FROM runs WHERE run_id = @r", ("r", runId)) is { } ms
            ? DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(ms, CultureInfo.InvariantCulture))
            : null;

    private void ApplyImport(DbTransaction tx, RunHistory history, ImportPlan plan)
    {
        var runId = history.Run.RunId;
        foreach (var (key, value) in plan.NewParams)
        {
            _db.Execute(tx, "INSERT INTO params (run_id, key, value) VALUES (@r, @k, @v)", ("r", runId), ("k", key), ("v", value));
        }
        foreach (var (key, value) in history.Run.Tags)
        {
            UpsertTag(tx, runId, new RunTag(key, value));
        }
        if (plan.NewPoints.Count > 0)
        {
            var runKey = Convert.ToInt64(_db.Scalar(tx, "SELECT run_key FROM runs WHERE run_id = @r", ("r", runId)), CultureInfo.InvariantCulture);
            InsertMetrics(tx, runId, runKey, plan.NewPoints);
        }
        foreach (var artifact in plan.NewArtifacts)
        {
            _db.Execute(tx, "INSERT INTO artifacts (run_id, path, hash, size) VALUES (@r, @p, @h, @s)",
                ("r", runId), ("p", artifact.Path), ("h", artifact.Hash), ("s", artifact.Size));
        }
        foreach (var input in history.Run.Inputs)
        {
            _db.Execute(tx, """
                INSERT INTO run_inputs (run_id, path, hash, size, files) VALUES (@r, @p, @h, @s, @f)
                ON CONFLICT (run_id, path) DO UPDATE SET hash = excluded.hash, size = excluded.size, files = excluded.files
                """, ("r", runId), ("p", input.Path), ("h", input.Hash), ("s", input.Size), ("f", input.Files));
        }
    }
}
