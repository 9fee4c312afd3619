using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Registry;

/// <summary>
/// The model registry (MLflow's, with aliases rather than stages): register a run's ML.NET model as the next version of
/// a name, point aliases at versions, and export a version as a bundle that serving and containers build from.
/// </summary>
public sealed class ModelRegistry(TrackingClient client)
{
    public const string DefaultArtifact = "model/model.zip";

    private IModelRegistryStore Store => client.ModelRegistryStore;

    private Storage.IArtifactStore Artifacts => client.Artifacts;

    /// <summary>
    /// Registers the ML.NET model a run logged (default <c>model/model.zip</c>) as the next version of
    /// <paramref name="name"/>, with a manifest of its input and output schema, the run's metrics, params and data
    /// versions, and a sample input (given, or made from the schema). Optionally points <paramref name="alias"/> at it.
    /// </summary>
    /// <remarks>
    /// The version's reference for drift (<see cref="Monitoring.Reference"/>) is profiled from
    /// <paramref name="referenceData"/> (a CSV file), else from the run's recorded data input that holds the columns the
    /// model needs (a CSV versioned with Mlops.Data). A version without one registers all the same; drift then needs a
    /// reference CSV.
    /// </remarks>
    public ModelVersion Register(string runIdOrPrefix, string name, string artifactPath = DefaultArtifact, object? sampleInput = null, string? alias = null,
        string? referenceData = null) =>
        Register(runIdOrPrefix, name, artifactPath, sampleInput, alias, referenceData is null ? null : (ml, schema) => Monitoring.ModelReference.LoadCsv(ml, referenceData, schema));

    private ModelVersion Register(string runIdOrPrefix, string name, string artifactPath, object? sampleInput, string? alias, Func<MLContext, DataViewSchema, IDataView>? referenceData)
    {
        ValidateName("model", name);
        if (alias is not null)
        {
            ValidateName("alias", alias);
        }
        var run = client.GetRun(runIdOrPrefix);
        var artifact = run.Artifacts.FirstOrDefault(a => a.Path == Storage.ArtifactPaths.Normalize(artifactPath)) ?? throw new NotFoundException(
            $"Run {run.RunId} has no artifact '{artifactPath}' to register.",
            "Log the model first: save it with mlContext.Model.Save(...) and Mlops.LogArtifact(file, \"model/model.zip\"), or use Mlops.Models.Register(model, schema, ...).");
        var (model, schema) = LoadModel(client.OpenArtifact(run.RunId, artifact.Path), $"artifact '{artifact.Path}' of run {run.RunId}");
        var (inputSchema, outputSchema) = (Columns(schema), Columns(model.GetOutputSchema(schema)));
        var metrics = run.Metrics.ToDictionary(m => m.Key, m => double.IsFinite(m.Value.Value) ? m.Value.Value : (double?)null, StringComparer.Ordinal);
        var reference = ReferenceOf(run, name, model, schema, metrics, referenceData, client.Store.Location);
        var manifest = new JsonObject
        {
            ["format"] = "mlnet-model",
            ["model"] = new JsonObject { ["file"] = "model.zip", ["hash"] = artifact.Hash, ["size"] = artifact.Size },
            ["mlnet_version"] = run.Tags.GetValueOrDefault(RunContext.MlNetVersion) ?? typeof(MLContext).Assembly.GetName().Version?.ToString(),
            ["input_schema"] = inputSchema,
            ["output_schema"] = outputSchema,
            ["run_id"] = run.RunId,
            ["metrics"] = new JsonObject(run.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal)
                .Select(m => KeyValuePair.Create<string, JsonNode?>(m.Key, double.IsFinite(m.Value.Value) ? m.Value.Value : null))),
            ["params"] = new JsonObject(run.Params.Select(p => KeyValuePair.Create<string, JsonNode?>(p.Key, p.Value))),
            ["data"] = new JsonArray(run.Inputs.Select(i => (JsonNode)new JsonObject { ["path"] = i.Path, ["hash"] = i.Hash, ["size"] = i.Size, ["files"] = i.Files }).ToArray()),
            ["source"] = new JsonObject
            {
                ["name"] = run.Tags.GetValueOrDefault(RunContext.SourceName),
                ["git_commit"] = run.Tags.GetValueOrDefault(RunContext.GitCommit),
                ["git_dirty"] = run.Tags.GetValueOrDefault(RunContext.GitDirty),
            },
        };
        if (reference is not null)
        {
            manifest["reference"] = StoreReference(reference);
        }
        var sample = sampleInput is null ? SampleFrom(inputSchema) : JsonSerializer.SerializeToNode(sampleInput)!;
        var manifestHash = Artifacts.PutBytes(Encoding.UTF8.GetBytes(Canonical(manifest)));
        var sampleHash = Artifacts.PutBytes(Encoding.UTF8.GetBytes(Canonical(sample)));
        var version = Store.CreateModelVersion(new NewModelVersion(name, run.RunId, artifact.Hash, manifestHash.ToString(), sampleHash.ToString(), DateTimeOffset.UtcNow));
        if (alias is not null)
        {
            SetAlias(name, alias, version.Version);
            version = Store.GetModelVersion(name, version.Version)!;
        }
        return version;
    }

    /// <summary>
    /// Registers a model held in memory (a notebook variable): saves it with its input schema, logs it to the run as
    /// <c>model/model.zip</c>, then registers that artifact.
    /// </summary>
    /// <remarks><paramref name="referenceData"/> (e.g. the training set) gives the version its reference for drift; see the other overload.</remarks>
    public ModelVersion Register(string runId, ITransformer model, DataViewSchema inputSchema, string name, object? sampleInput = null, string? alias = null,
        IDataView? referenceData = null)
    {
        ValidateName("model", name);
        var file = Path.Combine(Path.GetTempPath(), $"mlops-model-{Guid.NewGuid():N}.zip");
        try
        {
            new MLContext(seed: 0).Model.Save(model, inputSchema, file);
            client.LogArtifact(runId, file, DefaultArtifact);
        }
        finally
        {
            ObjectCache.DeleteQuietly(file);
        }
        return Register(runId, name, DefaultArtifact, sampleInput, alias, referenceData is null ? null : (_, _) => referenceData);
    }

    /// <summary>
    /// Resolves <c>name</c> (latest version), <c>name/3</c> or <c>name@alias</c> (also <c>models:/name@alias</c>, as MLflow
    /// writes it).
    /// </summary>
    public ModelVersion Get(string reference)
    {
        var text = reference.StartsWith("models:/", StringComparison.Ordinal) ? reference["models:/".Length..] : reference;
        ModelVersion? found;
        var at = text.IndexOf('@');
        var slash = text.IndexOf('/');
        if (at > 0)
        {
            found = Store.GetModelVersionByAlias(text[..at], text[(at + 1)..]);
        }
        else if (slash > 0)
        {
            if (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                throw new MlopsException($"'{reference}' names no version number.", "Write name/3 for version 3, or name@alias.");
            }
            found = Store.GetModelVersion(text[..slash], number);
        }
        else
        {
            found = Store.ListModelVersions(text).FirstOrDefault();
        }
        return found ?? throw new NotFoundException($"No model version matches '{reference}'.",
            "List models with `mlops models list`; refer to one as name, name/3 or name@alias.");
    }

    public IReadOnlyList<RegisteredModel> List() => Store.ListModels();

    public IReadOnlyList<ModelVersion> Versions(string name) => Store.ListModelVersions(name);

    public void SetAlias(string name, string alias, int version)
    {
        ValidateName("alias", alias);
        if (alias == "latest")
        {
            throw new InvalidNameException("'latest' is not an alias: it always means the newest version.", "Pick another alias name.");
        }
        Store.SetAlias(name, alias, version);
    }

    public void DeleteAlias(string name, string alias)
    {
        if (!Store.DeleteAlias(name, alias))
        {
            throw new NotFoundException($"Model {name} has no alias '{alias}'.");
        }
    }

    /// <summary>A version's reference for drift (profile and whole columns), or null when it was registered without one.</summary>
    public Monitoring.Reference? Reference(ModelVersion version)
    {
        if (Manifest(version)["reference"] is not JsonObject stored)
        {
            return null;
        }
        var shown = $"the reference of {version}";
        Monitoring.ReferenceProfile profile;
        using (var stream = Artifacts.OpenRead(ContentHash.Parse((string)stored["profile"]!)))
        using (var reader = new StreamReader(stream))
        {
            profile = Monitoring.ReferenceProfiles.FromJson(reader.ReadToEnd(), shown);
        }
        IReadOnlyList<Monitoring.ExactColumn> whole;
        using (var stream = Artifacts.OpenRead(ContentHash.Parse((string)stored["columns"]!)))
        {
            whole = Monitoring.ReferenceColumns.Load(stream);
        }
        return Monitoring.Reference.FromParts(profile.WithIdentity(version.Name, version.Version), whole, shown);
    }

    /// <summary>The stored manifest of a version, as JSON.</summary>
    public JsonObject Manifest(ModelVersion version) => ReadManifest(ContentHash.Parse(version.ManifestHash));

    private JsonObject ReadManifest(ContentHash hash)
    {
        using var stream = Artifacts.OpenRead(hash);
        using var bytes = new MemoryStream();
        stream.CopyTo(bytes); // to the end, so the content is verified before it is parsed
        return JsonNode.Parse(bytes.ToArray())!.AsObject();
    }

    /// <summary>The files every export bundle has.</summary>
    public static readonly IReadOnlyList<string> BundleFiles = ["manifest.json", "model.zip", "sample-input.json"];

    /// <summary>The files a bundle has when its version has a reference for drift; a folder holding only bundle files may be replaced by a new export.</summary>
    public static readonly IReadOnlyList<string> ReferenceFiles = [Monitoring.Reference.ProfileFile, Monitoring.Reference.ColumnsFile];

    /// <summary>
    /// Writes the export bundle of a version into <paramref name="folder"/>: <c>model.zip</c>, <c>manifest.json</c> (the
    /// stored manifest plus name, version, aliases and registration time) and <c>sample-input.json</c>. The bundle is
    /// written whole or not at all: its files are verified into a new folder beside the target, which then takes the
    /// target's place, so no reader ever sees one version's model beside another's manifest. The target must be absent,
    /// empty, or an earlier bundle: other files there are never moved or deleted.
    /// </summary>
    public string Export(string reference, string folder)
    {
        var version = Get(reference);
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        if (File.Exists(target))
        {
            throw new MlopsException($"{folder} is a file; the bundle is a folder.", "Name a new or empty folder, or an earlier bundle's.");
        }
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Select(Path.GetFileName).Any(n => !BundleFiles.Contains(n!) && !ReferenceFiles.Contains(n!)))
        {
            throw new ConflictException($"{folder} holds files that are not part of a bundle; nothing was written.",
                "Name a new or empty folder, or an earlier bundle's (which is replaced whole).");
        }
        var manifest = Manifest(version);
        manifest["name"] = version.Name;
        manifest["version"] = version.Version;
        manifest["aliases"] = new JsonArray(version.Aliases.Select(a => (JsonNode?)a).ToArray());
        manifest["registered_at"] = version.CreationTime.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
        var staging = $"{target}.mlops-tmp-{Guid.NewGuid():N}";
        var old = $"{target}.mlops-old-{Guid.NewGuid():N}";
        try
        {
            Directory.CreateDirectory(staging);
            Artifacts.CopyTo(ContentHash.Parse(version.ModelHash), Path.Combine(staging, "model.zip"));
            Artifacts.CopyTo(ContentHash.Parse(version.SampleHash), Path.Combine(staging, "sample-input.json"));
            File.WriteAllText(Path.Combine(staging, "manifest.json"), Canonical(manifest) + "\n");
            if (manifest["reference"] is JsonObject stored)
            {
                Artifacts.CopyTo(ContentHash.Parse((string)stored["profile"]!), Path.Combine(staging, Monitoring.Reference.ProfileFile));
                Artifacts.CopyTo(ContentHash.Parse((string)stored["columns"]!), Path.Combine(staging, Monitoring.Reference.ColumnsFile));
            }
            if (Directory.Exists(target))
            {
                Directory.Move(target, old);
            }
            Directory.Move(staging, target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (!Directory.Exists(target) && Directory.Exists(old))
            {
                Directory.Move(old, target); // put the earlier bundle back
            }
            throw new UnavailableException($"Cannot write the bundle to {folder}: {e.Message}", "Name a folder you can write to.", e);
        }
        finally
        {
            DeleteTree(staging);
            DeleteTree(old);
        }
        return target;
    }

    private static void DeleteTree(string folder)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>An ML.NET model zip and the input schema it was saved with.</summary>
    internal static (ITransformer Model, DataViewSchema Input) LoadModel(Stream zip, string what)
    {
        var ml = new MLContext(seed: 0);
        ITransformer model;
        DataViewSchema input;
        using (var seekable = new MemoryStream())
        {
            using (zip)
            {
                zip.CopyTo(seekable);
            }
            seekable.Position = 0;
            try
            {
                model = ml.Model.Load(seekable, out input);
            }
            catch (Exception e) when (e is not MlopsException)
            {
                throw new MlopsException($"The {what} is not an ML.NET model: {e.GetBaseException().Message}",
                    "Register a zip written by mlContext.Model.Save(model, schema, path).");
            }
        }
        if (input is null)
        {
            throw new MlopsException($"The {what} was saved without its input schema.",
                "Save it with mlContext.Model.Save(model, trainingData.Schema, path) so that serving knows its columns.");
        }
        return (model, input);
    }

    /// <summary>
    /// The version's reference: from the data given, else from the run's recorded CSV input that has the columns the
    /// model needs, found in the data cache or the working tree by its hash. Without either, none.
    /// </summary>
    private static Monitoring.Reference? ReferenceOf(Run run, string name, ITransformer model, DataViewSchema schema,
        IReadOnlyDictionary<string, double?> metrics, Func<MLContext, DataViewSchema, IDataView>? referenceData, string storeLocation)
    {
        var ml = new MLContext(seed: 0);
        if (referenceData is not null)
        {
            return Monitoring.ModelReference.Build(model, schema, referenceData(ml, schema), name, run.RunId, metrics);
        }
        var needed = Monitoring.ModelReference.NeededColumns(model, schema);
        foreach (var input in run.Inputs.Where(i => i.Files == 1 && i.Path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)))
        {
            if (RecordedFile(input, storeLocation) is not { } file)
            {
                continue;
            }
            try
            {
                if (needed.All(Monitoring.CsvColumns.Columns(file).Contains))
                {
                    return Monitoring.ModelReference.Build(model, schema, Monitoring.ModelReference.LoadCsv(ml, file, schema), name, run.RunId, metrics);
                }
            }
            catch (MlopsException)
            {
                // an input that cannot be read as the model's data is not its reference; registering goes on
            }
        }
        return null;
    }

    /// <summary>
    /// The file holding a recorded data version's content: the data cache's copy, or the working tree's when its hash
    /// still matches; in the repository around the current directory or around the tracking store.
    /// </summary>
    private static string? RecordedFile(DataInput input, string storeLocation)
    {
        var places = new[] { Directory.GetCurrentDirectory(), File.Exists(storeLocation) ? Path.GetDirectoryName(Path.GetFullPath(storeLocation)) : null };
        foreach (var place in places.OfType<string>().Distinct())
        {
            try
            {
                using var repository = new DataRepository(place);
                var hash = ContentHash.Parse(input.Hash);
                if (repository.Cache.Contains(hash))
                {
                    return repository.Cache.PathOf(hash);
                }
                var file = Path.Combine(repository.Root, input.Path);
                if (File.Exists(file) && repository.Version(input.Path).Hash == hash)
                {
                    return file;
                }
            }
            catch (Exception e) when (e is MlopsException or IOException or UnauthorizedAccessException or FormatException)
            {
                // no repository here, or not this version: try the next place
            }
        }
        return null;
    }

    /// <summary>The keys of a manifest's "reference" that name objects by hash (what sync copies with a version).</summary>
    public static readonly IReadOnlyList<string> ReferenceObjectKeys = ["profile", "columns"];

    /// <summary>Stores the reference's two files by content and says where they are, for the manifest.</summary>
    /// <summary>
    /// The objects a version's stored manifest names beyond the version's own hashes (its reference for drift: profile
    /// and columns), so that gc keeps them. The one place besides <see cref="StoreReference"/> that knows where they are.
    /// </summary>
    public static IReadOnlyList<string> ObjectsNamedIn(byte[] manifest, string shown)
    {
        try
        {
            return JsonNode.Parse(manifest) is JsonObject { } root && root["reference"] is JsonObject reference
                ? [.. new[] { reference["profile"], reference["columns"] }.OfType<JsonValue>().Select(v => v.GetValue<string>())]
                : [];
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new MlopsException($"The manifest of {shown} is not a model manifest: {e.Message}",
                "Nothing was removed. Re-register the version, or remove it from the registry.", e);
        }
    }

    private JsonObject StoreReference(Monitoring.Reference reference)
    {
        using var columns = new MemoryStream();
        Monitoring.ReferenceColumns.Save(reference.WholeColumns(), columns);
        return new JsonObject
        {
            ["profile"] = Artifacts.PutBytes(Encoding.UTF8.GetBytes(Monitoring.ReferenceProfiles.ToJson(reference.Profile) + "\n")).ToString(),
            ["columns"] = Artifacts.PutBytes(columns.ToArray()).ToString(),
            ["rows"] = reference.Profile.Rows,
        };
    }

    private static JsonArray Columns(DataViewSchema schema) => new(schema.Where(c => !c.IsHidden).Select(c => (JsonNode)new JsonObject
    {
        ["name"] = c.Name,
        ["type"] = c.Type.ToString(), // ML.NET's own names: Single, String, Boolean, Vector<Single, 4>, Key<UInt32, 0-2>
    }).ToArray());

    /// <summary>One row of plausible values from the input schema: zeros, empty strings, false.</summary>
    private static JsonNode SampleFrom(JsonArray inputSchema) => new JsonObject(inputSchema.Select(column =>
    {
        var type = (string)column!["type"]!;
        JsonNode? value = type switch
        {
            "String" => "",
            "Boolean" => false,
            _ when type.StartsWith("Vector<", StringComparison.Ordinal) => new JsonArray(
                Enumerable.Repeat(0, int.TryParse(type.Split(',', '>')[1].Trim(), out var n) && n > 0 ? n : 1).Select(_ => (JsonNode?)0).ToArray()),
            _ => 0,
        };
        return KeyValuePair.Create<string, JsonNode?>((string)column["name"]!, value);
    }));

    // Sorted keys and fixed formatting: the same manifest always gives the same bytes, so the same hash.
    private static string Canonical(JsonNode node) => Sort(node)!.ToJsonString(new JsonSerializerOptions
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // files, not HTML: keep < > ` readable
    });

    private static JsonNode? Sort(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sort(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Sort).ToArray()),
        null => null,
        _ => JsonNode.Parse(node.ToJsonString()),
    };

    /// <summary>
    /// Whether a model or alias name is one the registry accepts. Readers of a bundle's manifest check it too: the name
    /// reaches routes, image labels, logs and manifests, so a bundle from elsewhere cannot bring quotes, slashes or lines.
    /// </summary>
    public static bool IsUsableName(string name) =>
        !string.IsNullOrWhiteSpace(name) && name.Length <= 100
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && !name.StartsWith('.');

    /// <summary>A name from a bundle as an error message may show it: quoted, escaped and cut, so it cannot forge a log line.</summary>
    public static string Quoted(string name) => System.Text.Json.JsonSerializer.Serialize(name.Length > 100 ? name[..100] + "…" : name);

    private static void ValidateName(string kind, string name)
    {
        if (!IsUsableName(name))
        {
            throw new InvalidNameException($"'{name}' is not a usable {kind} name.",
                "Use letters, digits, '-', '_' and '.', at most 100 characters, e.g. churn-classifier or production.");
        }
    }
}
