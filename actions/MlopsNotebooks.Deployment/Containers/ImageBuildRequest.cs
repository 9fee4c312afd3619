namespace MlopsNotebooks.Deployment.Containers;

/// <summary>
/// What an image is built from: a checked bundle, the published model server (a folder holding mlops-server.dll), the
/// base image, and the provenance its labels and tags carry.
/// </summary>
/// <param name="Commit">The git commit the image comes from (a tag of its short form and a label); null for none.</param>
/// <param name="Source">The source repository's URL, for the org.opencontainers.image.source label; null for none.</param>
public sealed record ImageBuildRequest(ContainerBundle Bundle, ImageRepository Repository, string BaseImage, string ServerFolder,
    string? Commit, string? Source, DateTimeOffset Created)
{
    /// <summary>Checked on the way in: it becomes a tag and a label, and GITHUB_SHA is whatever the environment says.</summary>
    public string? Commit { get; init; } = Commit is null || (Commit.Length is >= 7 and <= 64 && Commit.All(char.IsAsciiHexDigit)) ? Commit
        : throw new MlopsException($"The commit {Registry.ModelRegistry.Quoted(Commit)} is not a git commit id. Nothing was built.",
            "Set GITHUB_SHA to the commit the image comes from (hexadecimal, as `git rev-parse HEAD` prints it), or unset it to use the current directory's HEAD.");

    /// <summary>Microsoft's chiseled ASP.NET runtime: small, no shell, non-root.</summary>
    public const string DefaultBaseImage = "mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled";

    /// <summary>The tags: the model version, and the short commit when there is one.</summary>
    public IReadOnlyList<string> Tags => Commit is { Length: > 0 } commit ? [Bundle.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), commit[..Math.Min(7, commit.Length)]]
        : [Bundle.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    /// <summary>The OCI annotations and the kit's own labels; labels without a value are left out.</summary>
    public IReadOnlyDictionary<string, string> Labels
    {
        get
        {
            var labels = new SortedDictionary<string, string?>(StringComparer.Ordinal)
            {
                ["org.opencontainers.image.title"] = Bundle.Name,
                ["org.opencontainers.image.version"] = Bundle.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["org.opencontainers.image.revision"] = Commit,
                ["org.opencontainers.image.created"] = Created.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
                ["org.opencontainers.image.source"] = Source,
                ["io.mlopsnotebooks.model.name"] = Bundle.Name,
                ["io.mlopsnotebooks.model.version"] = Bundle.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["io.mlopsnotebooks.run-id"] = Bundle.RunId,
            };
            return labels.Where(l => !string.IsNullOrEmpty(l.Value)).ToDictionary(l => l.Key, l => l.Value!, StringComparer.Ordinal);
        }
    }
}

/// <summary>A built image: its id, its references (repository:tag), its size in bytes and its labels.</summary>
public sealed record BuiltImage(string Id, IReadOnlyList<string> References, long Size, IReadOnlyDictionary<string, string> Labels);

/// <summary>A login to a registry. The password never reaches a log, a message or a layer.</summary>
public sealed record RegistryLogin(string Username, string Password)
{
    public override string ToString() => $"RegistryLogin {{ Username = {Username} }}";
}
