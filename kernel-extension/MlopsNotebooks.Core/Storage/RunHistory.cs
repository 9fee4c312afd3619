using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Storage;

/// <summary>A run as it moves between stores: the run, every point of every metric, and when it was deleted.</summary>
public sealed record RunHistory(Run Run, IReadOnlyList<Metric> Points, DateTimeOffset? DeletedTime);

/// <summary>What importing one item (a run, a model version) did to the destination.</summary>
public enum ImportOutcome
{
    Created,
    Updated,
    Unchanged,

    /// <summary>The destination holds the item with other content; it was left as it is.</summary>
    Conflict,
}

/// <summary>An import's outcome, with why it was refused when it is a conflict.</summary>
public sealed record ImportResult(ImportOutcome Outcome, string? Conflict = null)
{
    public static ImportResult Created { get; } = new(ImportOutcome.Created);
    public static ImportResult Updated { get; } = new(ImportOutcome.Updated);
    public static ImportResult Unchanged { get; } = new(ImportOutcome.Unchanged);

    public static ImportResult Refused(string why) => new(ImportOutcome.Conflict, why);
}

/// <summary>What importing a run would do: the outcome, and what the destination lacks of it.</summary>
public sealed record ImportPlan(ImportResult Result, IReadOnlyList<Param> NewParams, IReadOnlyList<Metric> NewPoints, IReadOnlyList<ArtifactInfo> NewArtifacts);

/// <summary>
/// The rules for copying a run into a store that may hold it already, in one place for every backend and for a dry run:
/// the run there is the same run at an earlier state (it may end, gain points, params, tags and artifacts, be deleted
/// or restored), or it is another run (another experiment, start, name, parent, param value or artifact content; an end
/// the source does not have; points the source lacks), which is a conflict and is left as it is.
/// </summary>
public static class RunImports
{
    public static ImportPlan Plan(RunHistory? here, RunHistory source, string experimentId)
    {
        var run = source.Run;
        if (here is null)
        {
            return new ImportPlan(ImportResult.Created, run.Params.Select(p => new Param(p.Key, p.Value)).ToList(), source.Points, run.Artifacts);
        }
        if (Conflict(here, source, experimentId) is { } why)
        {
            return new ImportPlan(ImportResult.Refused(why), [], [], []);
        }
        var newParams = run.Params.Where(p => !here.Run.Params.ContainsKey(p.Key)).Select(p => new Param(p.Key, p.Value)).ToList();
        var newPoints = Missing(source.Points, here.Points);
        var newArtifacts = run.Artifacts.Where(a => !here.Run.Artifacts.Contains(a)).ToList();
        var changed = here.Run.Status != run.Status || here.Run.EndTime != run.EndTime || here.Run.Stage != run.Stage
            || here.DeletedTime != source.DeletedTime || run.HeartbeatTime > here.Run.HeartbeatTime
            || newParams.Count > 0 || newPoints.Count > 0 || newArtifacts.Count > 0
            || run.Tags.Any(t => !here.Run.Tags.TryGetValue(t.Key, out var v) || v != t.Value)
            || run.Inputs.Any(i => !here.Run.Inputs.Contains(i));
        return new ImportPlan(changed ? ImportResult.Updated : ImportResult.Unchanged, newParams, newPoints, newArtifacts);
    }

    private static string? Conflict(RunHistory here, RunHistory source, string experimentId)
    {
        var (mine, theirs) = (here.Run, source.Run);
        if (mine.ExperimentId != experimentId)
        {
            return "it is in another experiment here";
        }
        if (mine.StartTime != theirs.StartTime || mine.Name != theirs.Name || mine.ParentRunId != theirs.ParentRunId)
        {
            return "its start time, name or parent run differs here";
        }
        foreach (var (key, value) in mine.Params)
        {
            if (!theirs.Params.TryGetValue(key, out var other) || other != value)
            {
                return $"param '{key}' is '{value}' here and {(other is null ? "missing" : $"'{other}'")} in the source";
            }
        }
        if (mine.Artifacts.FirstOrDefault(a => theirs.Artifacts.Any(b => b.Path == a.Path && b.Hash != a.Hash)) is { } artifact)
        {
            return $"artifact '{artifact.Path}' has other content here";
        }
        if (mine.Status != theirs.Status && mine.Status != RunStatus.Running)
        {
            return $"it ended as {mine.Status.ToName()} here and is {theirs.Status.ToName()} in the source";
        }
        if (Missing(here.Points, source.Points).Count > 0)
        {
            return "it has metric points here that the source's run lacks";
        }
        return null;
    }

    /// <summary>The points of <paramref name="wanted"/> that <paramref name="have"/> lacks, counting repeats.</summary>
    private static List<Metric> Missing(IReadOnlyList<Metric> wanted, IReadOnlyList<Metric> have)
    {
        var counts = new Dictionary<(string, long, long, long), int>();
        foreach (var p in have)
        {
            counts[PointKey(p)] = counts.GetValueOrDefault(PointKey(p)) + 1;
        }
        var missing = new List<Metric>();
        foreach (var p in wanted)
        {
            if (counts.GetValueOrDefault(PointKey(p)) is > 0 and var n)
            {
                counts[PointKey(p)] = n - 1;
            }
            else
            {
                missing.Add(p);
            }
        }
        return missing;
    }

    // Every NaN is one value, as the stores keep NaN as NULL.
    private static (string, long, long, long) PointKey(Metric p) =>
        (p.Key, p.Step, p.Timestamp, BitConverter.DoubleToInt64Bits(double.IsNaN(p.Value) ? double.NaN : p.Value));
}
