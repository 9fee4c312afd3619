using System.Text.Json.Nodes;
using MlopsNotebooks.Registry;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Storage;

/// <summary>What <c>mlops sync</c> copies: every experiment, or those named (matched by name).</summary>
public sealed record SyncOptions(IReadOnlyList<string> Experiments, bool DryRun);

/// <summary>An item the destination holds with other content, left as it is.</summary>
public sealed record SyncConflict(string Item, string Reason);

/// <summary>
/// What a sync moved (or, in a dry run, would move): counts of experiments, runs and model versions created or
/// brought up to date, aliases set, objects and their bytes, and the conflicts left alone. A dry run knows the size of
/// run artifacts only (it reads no object), so its bytes are a lower bound.
/// </summary>
public sealed record SyncReport(
    string From,
    string To,
    bool DryRun,
    int Experiments,
    int RunsCreated,
    int RunsUpdated,
    int RunsUnchanged,
    int VersionsCreated,
    int VersionsUnchanged,
    int Aliases,
    int Objects,
    long Bytes,
    IReadOnlyList<SyncConflict> Conflicts)
{
    /// <summary>True when nothing was (or would be) moved.</summary>
    public bool NothingToMove => Experiments + RunsCreated + RunsUpdated + VersionsCreated + Aliases + Objects == 0;
}

/// <summary>
/// Copies experiments, runs (ids kept, every metric point), model versions (numbers kept), aliases and every object
/// they refer to from one store to another: objects first, then the rows, each run in one transaction, so a run that
/// appears in the destination always has its objects and a killed sync is finished by the next. An item the
/// destination holds with other content is reported and left as it is.
/// </summary>
public static class StoreSync
{
    /// <summary>
    /// Opens both stores (the source only to read; the destination too in a dry run), refuses the same store on both
    /// sides before anything is written, and syncs.
    /// </summary>
    public static SyncReport Sync(string fromUri, string toUri, SyncOptions options, string? workingDirectory = null)
    {
        var from = TrackingStores.OpenForReading(fromUri, workingDirectory);
        try
        {
            var to = options.DryRun ? TrackingStores.OpenForReading(toUri, workingDirectory) : TrackingStores.Open(toUri, workingDirectory);
            try
            {
                if (from.Store.Location == to.Store.Location)
                {
                    throw new MlopsException($"--from and --to name the same tracking store ({to.Store.Location}).",
                        "Sync copies between two stores: name the other one with --to.");
                }
                using var fromModels = from.OpenModelRegistry();
                using var toModels = to.OpenModelRegistry();
                return Sync(from, fromModels, to, toModels, options);
            }
            finally
            {
                to.Store.Dispose();
            }
        }
        finally
        {
            from.Store.Dispose();
        }
    }

    public static SyncReport Sync(TrackingLocation from, IModelRegistryStore fromModels, TrackingLocation to, IModelRegistryStore toModels, SyncOptions options)
    {
        var experiments = from.Store.ListExperiments(ViewType.All);
        foreach (var name in options.Experiments.Where(n => experiments.All(e => e.Name != n)))
        {
            throw new ExperimentNotFoundException(name);
        }
        var chosen = options.Experiments.Count == 0 ? experiments : experiments.Where(e => options.Experiments.Contains(e.Name)).ToList();
        var runs = RunsWithParents(from.Store, chosen.SelectMany(e => from.Store.ListRunIds(e.ExperimentId)));
        var experimentNames = experiments.ToDictionary(e => e.ExperimentId, e => e);
        var runIds = runs.Select(r => r.Run.RunId).ToHashSet();
        var models = fromModels.ListModels().ToDictionary(m => m.Name);
        var versions = fromModels.ListModelVersions(null)
            .Where(v => options.Experiments.Count == 0 ? true : v.RunId is not null && runIds.Contains(v.RunId))
            .OrderBy(v => v.Name, StringComparer.Ordinal).ThenBy(v => v.Version).ToList();

        var conflicts = new List<SyncConflict>();
        var objects = ObjectsOf(runs, versions, from.Artifacts);
        var missing = objects.Except(to.Artifacts.Has(objects)).OrderBy(h => h.ToString(), StringComparer.Ordinal).ToList();
        long bytes = 0;
        foreach (var hash in missing)
        {
            bytes += options.DryRun ? SizeOf(runs, hash) : Copy(hash, from.Artifacts, to.Artifacts);
        }

        var (experimentsCreated, created, updated, unchanged) = (0, 0, 0, 0);
        var destinationExperiments = new Dictionary<string, string?>();
        foreach (var history in runs)
        {
            var run = history.Run;
            var experiment = experimentNames[run.ExperimentId];
            if (!destinationExperiments.TryGetValue(experiment.Name, out var id))
            {
                id = to.Store.GetExperimentByName(experiment.Name)?.ExperimentId;
                if (id is null)
                {
                    experimentsCreated++;
                    id = options.DryRun ? null : CreateExperiment(to.Store, experiment);
                }
                destinationExperiments[experiment.Name] = id;
            }
            var result = id is null ? ImportResult.Created : options.DryRun ? RunImports.Plan(to.Store.ExportRun(run.RunId), history, id).Result : to.Store.ImportRun(history, id);
            switch (result.Outcome)
            {
                case ImportOutcome.Created: created++; break;
                case ImportOutcome.Updated: updated++; break;
                case ImportOutcome.Unchanged: unchanged++; break;
                default: conflicts.Add(new SyncConflict($"run {run.RunId}", result.Conflict!)); break;
            }
        }

        var refused = conflicts.Select(c => c.Item).ToHashSet();
        var (versionsCreated, versionsUnchanged, aliases) = (0, 0, 0);
        foreach (var version in versions)
        {
            var result = ImportVersion(version, models[version.Name].CreationTime, to, toModels, refused, options.DryRun);
            switch (result.Outcome)
            {
                case ImportOutcome.Created: versionsCreated++; break;
                case ImportOutcome.Unchanged: versionsUnchanged++; break;
                default: conflicts.Add(new SyncConflict($"model {version}", result.Conflict!)); break;
            }
            if (result.Outcome == ImportOutcome.Conflict)
            {
                continue;
            }
            foreach (var alias in version.Aliases)
            {
                if (toModels.GetModelVersionByAlias(version.Name, alias)?.Version != version.Version)
                {
                    aliases++;
                    if (!options.DryRun)
                    {
                        toModels.SetAlias(version.Name, alias, version.Version);
                    }
                }
            }
        }
        return new SyncReport(from.Store.Location, to.Store.Location, options.DryRun, experimentsCreated, created, updated, unchanged,
            versionsCreated, versionsUnchanged, aliases, missing.Count, bytes, conflicts);
    }

    /// <summary>The runs to copy with every parent they need (from any experiment), parents first.</summary>
    private static List<RunHistory> RunsWithParents(ITrackingStore store, IEnumerable<string> runIds)
    {
        var byId = new Dictionary<string, RunHistory>();
        var ordered = new List<RunHistory>();
        void Add(string id)
        {
            if (byId.ContainsKey(id) || store.ExportRun(id) is not { } history)
            {
                return;
            }
            byId[id] = history;
            if (history.Run.ParentRunId is { } parent)
            {
                Add(parent);
            }
            ordered.Add(history);
        }
        foreach (var id in runIds)
        {
            Add(id);
        }
        return ordered;
    }

    private static string CreateExperiment(ITrackingStore store, Experiment experiment)
    {
        try
        {
            return store.CreateExperiment(experiment.Name, experiment.CreationTime).ExperimentId;
        }
        catch (ExperimentExistsException)
        {
            return store.GetExperimentByName(experiment.Name)!.ExperimentId; // another client made it meanwhile
        }
    }

    private static ImportResult ImportVersion(ModelVersion version, DateTimeOffset modelCreationTime, TrackingLocation to,
        IModelRegistryStore toModels, IReadOnlySet<string> refusedItems, bool dryRun)
    {
        if (version.RunId is { } runId && refusedItems.Contains($"run {runId}"))
        {
            return ImportResult.Refused($"its run {runId} conflicts in the destination");
        }
        if (dryRun)
        {
            var here = toModels.GetModelVersion(version.Name, version.Version);
            return here is null ? ImportResult.Created
                : here with { Aliases = version.Aliases } == version ? ImportResult.Unchanged
                : ImportResult.Refused($"version {version.Version} here has another run, model, manifest, sample or registration time");
        }
        return toModels.ImportModelVersion(version, modelCreationTime);
    }

    /// <summary>Every object the runs' artifacts and the versions refer to: model, manifest, sample and drift reference.</summary>
    private static HashSet<ContentHash> ObjectsOf(IEnumerable<RunHistory> runs, IEnumerable<ModelVersion> versions, IArtifactStore source)
    {
        var objects = runs.SelectMany(r => r.Run.Artifacts).Select(a => ContentHash.Parse(a.Hash)).ToHashSet();
        foreach (var version in versions)
        {
            objects.UnionWith([ContentHash.Parse(version.ModelHash), ContentHash.Parse(version.ManifestHash), ContentHash.Parse(version.SampleHash)]);
            objects.UnionWith(ReferenceObjects(version, source));
        }
        return objects;
    }

    // The manifest names the version's drift reference (profile and whole columns) by hash.
    private static IEnumerable<ContentHash> ReferenceObjects(ModelVersion version, IArtifactStore source)
    {
        using var stream = source.OpenRead(ContentHash.Parse(version.ManifestHash));
        using var copy = new MemoryStream();
        stream.CopyTo(copy); // to the end, so it is verified before it is parsed
        if (JsonNode.Parse(copy.ToArray()) is JsonObject { } manifest && manifest["reference"] is JsonObject reference)
        {
            return ModelRegistry.ReferenceObjectKeys.Select(key => ContentHash.Parse((string)reference[key]!)).ToList();
        }
        return [];
    }

    /// <summary>Copies one object through a local temporary file, verified on the way out; returns its size.</summary>
    private static long Copy(ContentHash hash, IArtifactStore from, IArtifactStore to)
    {
        var temp = Path.Combine(Path.GetTempPath(), $"mlops-sync-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            from.CopyTo(hash, temp);
            var size = new FileInfo(temp).Length;
            var stored = to.Add(temp);
            return stored == hash ? size : throw new CorruptObjectException(hash, stored, "the copy made for sync");
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static long SizeOf(IEnumerable<RunHistory> runs, ContentHash hash) =>
        runs.SelectMany(r => r.Run.Artifacts).FirstOrDefault(a => a.Hash == hash.ToString())?.Size ?? 0;
}
