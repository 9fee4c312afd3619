using MlopsNotebooks.Storage;

namespace MlopsNotebooks.Registry;

/// <summary>
/// The model registry seam (as MLflow keeps it beside the tracking store): model names, numbered versions, aliases.
/// Backends are chosen by the tracking URI (<see cref="ModelRegistryStores"/>) and all pass the same test suite; the
/// SQL one keeps its tables in the tracking store's database, so a version can point at its run.
/// </summary>
public interface IModelRegistryStore : IDisposable
{
    /// <summary>Where the store is, for messages (never with a password).</summary>
    string Location { get; }

    /// <summary>Creates the next version of <see cref="NewModelVersion.Name"/> (registering the name on first use).</summary>
    ModelVersion CreateModelVersion(NewModelVersion version);

    ModelVersion? GetModelVersion(string name, int version);

    /// <summary>The version an alias points at, or null.</summary>
    ModelVersion? GetModelVersionByAlias(string name, string alias);

    /// <summary>Versions of one model (newest first), or of all models when <paramref name="name"/> is null.</summary>
    IReadOnlyList<ModelVersion> ListModelVersions(string? name);

    IReadOnlyList<RegisteredModel> ListModels();

    /// <summary>Points an alias at a version, moving it from wherever it pointed (one transaction).</summary>
    void SetAlias(string name, string alias, int version);

    /// <summary>Removes an alias; false if it did not exist.</summary>
    bool DeleteAlias(string name, string alias);

    /// <summary>Every content hash the registry refers to (models, manifests, samples), for garbage collection.</summary>
    IReadOnlyList<string> ReferencedHashes();

    /// <summary>
    /// Copies a version from another store keeping its number (registering the name with
    /// <paramref name="modelCreationTime"/> when it is new here), in one transaction. The same version here is left
    /// unchanged; one with another run, model, manifest, sample or time is left as it is and the result says why.
    /// </summary>
    ImportResult ImportModelVersion(ModelVersion version, DateTimeOffset modelCreationTime);
}
