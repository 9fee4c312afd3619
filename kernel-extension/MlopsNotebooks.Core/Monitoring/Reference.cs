using System.Text.Json.Nodes;

namespace MlopsNotebooks.Monitoring;

/// <summary>
/// A model version's reference as drift uses it: the profile (always) and the reference's columns kept whole (for
/// exact mode; absent when only the profile was kept).
/// </summary>
public sealed class Reference
{
    public const string ProfileFile = "reference-profile.json";
    public const string ColumnsFile = "reference-columns.bin";

    /// <summary>The whole prediction column is kept in the columns file under this prefix and its name.</summary>
    internal const string PredictionPrefix = "@prediction:";

    // A profile is small (1,000 bins a column); a bigger file is not one.
    private const long MaxProfileBytes = 64L << 20;

    public required ReferenceProfile Profile { get; init; }

    /// <summary>The columns kept whole, or null (profile mode only).</summary>
    public IReadOnlyList<ExactColumn>? Exact { get; init; }

    /// <summary>The model's predictions on the reference data, kept whole, or null.</summary>
    public ExactColumn? ExactPrediction { get; init; }

    /// <summary>
    /// Reads the reference from an export bundle folder: its profile, the whole columns when the bundle has them, and
    /// the model's name and version from its manifest.
    /// </summary>
    public static Reference Load(string bundleFolder)
    {
        var profileFile = Path.Combine(bundleFolder, ProfileFile);
        if (!Directory.Exists(bundleFolder))
        {
            throw new NotFoundException($"The bundle folder {bundleFolder} does not exist.", "Export one with `mlops models download NAME@ALIAS --to FOLDER`.");
        }
        if (!File.Exists(profileFile))
        {
            throw new NotFoundException($"The bundle {bundleFolder} has no {ProfileFile}: the version was registered without reference data.",
                "Register it again from a run that recorded its training data (Mlops.Data.Use), or compare with a reference CSV: mlops drift reference.csv current.csv.");
        }
        if (new FileInfo(profileFile).Length > MaxProfileBytes)
        {
            throw new MlopsException($"{profileFile} is larger than a reference profile can be.", "Export the model version again.");
        }
        var profile = ReferenceProfiles.FromJson(File.ReadAllText(profileFile), profileFile);
        var (model, version) = Identity(Path.Combine(bundleFolder, "manifest.json"));
        profile = profile.WithIdentity(model, version);
        var columnsFile = Path.Combine(bundleFolder, ColumnsFile);
        if (!File.Exists(columnsFile))
        {
            return new Reference { Profile = profile };
        }
        IReadOnlyList<ExactColumn> whole;
        using (var stream = File.OpenRead(columnsFile))
        {
            whole = ReferenceColumns.Load(stream);
        }
        return FromParts(profile, whole, columnsFile);
    }

    /// <summary>Matches the whole columns to the profile's: same names, kinds and counts, or the bundle is refused.</summary>
    internal static Reference FromParts(ReferenceProfile profile, IReadOnlyList<ExactColumn> whole, string shown)
    {
        var byName = whole.ToDictionary(c => c.Name, StringComparer.Ordinal);
        foreach (var column in profile.Columns.Concat(profile.Prediction is { } p ? [p] : []))
        {
            var key = column == profile.Prediction ? PredictionPrefix + column.Name : column.Name;
            if (!byName.TryGetValue(key, out var exact) || exact.Kind != column.Kind || exact.Count != column.Count || exact.Missing != column.Missing)
            {
                throw new MlopsException($"{shown} does not hold the columns its profile describes (column {ModelRegistryNames.Quote(column.Name)}).",
                    "Export the model version again; the two files are written together.");
            }
        }
        return new Reference
        {
            Profile = profile,
            Exact = profile.Columns.Select(c => byName[c.Name]).ToList(),
            ExactPrediction = profile.Prediction is { } prediction ? Renamed(byName[PredictionPrefix + prediction.Name], prediction.Name) : null,
        };
    }

    /// <summary>The model's name and version as the bundle's manifest records them (checked: they reach reports and issue titles).</summary>
    private static (string? Model, int? Version) Identity(string manifestFile)
    {
        if (!File.Exists(manifestFile) || new FileInfo(manifestFile).Length > MaxProfileBytes)
        {
            return (null, null);
        }
        try
        {
            var manifest = JsonNode.Parse(File.ReadAllText(manifestFile)) as JsonObject;
            var name = manifest?["name"] is JsonValue n && n.TryGetValue<string>(out var text) && Registry.ModelRegistry.IsUsableName(text) ? text : null;
            var version = manifest?["version"] is JsonValue v && v.TryGetValue<int>(out var number) ? number : (int?)null;
            return (name, version);
        }
        catch (System.Text.Json.JsonException)
        {
            return (null, null);
        }
    }

    /// <summary>The reference of reference data given whole (a CSV or a data frame): profile and exact columns.</summary>
    public static Reference FromData(DataColumns data, DataColumn? prediction = null, string? model = null, int? version = null,
        string? runId = null, IReadOnlyDictionary<string, double?>? metrics = null)
    {
        var exact = new ExactColumn[data.Columns.Count];
        Parallel.For(0, exact.Length, i => exact[i] = ExactColumn.From(data.Columns[i]));
        var exactPrediction = prediction is null ? null : ExactColumn.From(prediction);
        return new Reference
        {
            Profile = new ReferenceProfile
            {
                Model = model,
                Version = version,
                RunId = runId,
                Rows = data.Rows,
                Columns = exact.Select(ReferenceProfiles.Profile).ToList(),
                Prediction = exactPrediction is null ? null : ReferenceProfiles.Profile(exactPrediction),
                Metrics = metrics?.ToDictionary(p => p.Key, p => p.Value) ?? [],
            },
            Exact = exact,
            ExactPrediction = exactPrediction,
        };
    }

    /// <summary>Writes the profile and the whole columns into a bundle folder.</summary>
    public void Save(string folder)
    {
        File.WriteAllText(Path.Combine(folder, ProfileFile), ReferenceProfiles.ToJson(Profile) + "\n");
        if (Exact is not null)
        {
            using var stream = File.Create(Path.Combine(folder, ColumnsFile));
            ReferenceColumns.Save(WholeColumns(), stream);
        }
    }

    /// <summary>The whole columns as the columns file stores them, the prediction under its prefix.</summary>
    internal IEnumerable<ExactColumn> WholeColumns() => Exact!.Concat(ExactPrediction is { } p ? [Renamed(p, PredictionPrefix + p.Name)] : []);

    private static ExactColumn Renamed(ExactColumn column, string name) =>
        new() { Name = name, Kind = column.Kind, Sorted = column.Sorted, Counts = column.Counts, Missing = column.Missing };
}

/// <summary>Quoting for names that come from files: a name is someone else's input and reaches messages.</summary>
internal static class ModelRegistryNames
{
    public static string Quote(string name) => Registry.ModelRegistry.Quoted(name);
}

