namespace MlopsNotebooks.Registry;

/// <summary>
/// A numbered version of a registered model: the ML.NET model zip, its manifest (schemas, metrics, lineage) and a
/// sample input, all objects in the cache named by hash; aliases (<c>staging</c>, <c>production</c>, any name) point
/// at versions and move atomically.
/// </summary>
public sealed record ModelVersion(
    string Name,
    int Version,
    string? RunId,
    string ModelHash,
    string ManifestHash,
    string SampleHash,
    DateTimeOffset CreationTime,
    IReadOnlyList<string> Aliases)
{
    public override string ToString() => $"{Name}/{Version}";
}

/// <summary>A model name with its versions' count and its aliases.</summary>
public sealed record RegisteredModel(string Name, int LatestVersion, DateTimeOffset CreationTime, IReadOnlyDictionary<string, int> Aliases);

/// <summary>What a new version starts with (the store numbers it).</summary>
public sealed record NewModelVersion(string Name, string? RunId, string ModelHash, string ManifestHash, string SampleHash, DateTimeOffset CreationTime);
