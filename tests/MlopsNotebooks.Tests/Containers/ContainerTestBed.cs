using MlopsNotebooks.Tests.Serving;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Containers;

[CollectionDefinition(Name)]
public sealed class ContainersCollection : ICollectionFixture<ContainerTestBed>
{
    public const string Name = "Containers";
}

/// <summary>
/// What the container tests share, made once per run: the engine and base image, the htpasswd registry, the churn bundle
/// registered in a store, and one image of it built by `mlops containerize` as a user runs it. Every image made under
/// its repositories is removed at the end.
/// </summary>
public sealed class ContainerTestBed : IAsyncLifetime
{
    /// <summary>The commit the images are said to come from (GITHUB_SHA), so the commit tag is known.</summary>
    public const string Commit = "0123456789abcdef0123456789abcdef01234567";

    private readonly List<string> _repositories = [];

    public DockerEngineFixture Engine { get; } = new();

    public ContainerRegistry Registry { get; } = new();

    public ServedBundle Bundle { get; } = new();

    /// <summary>The image built once from churn@candidate: its repository (without a tag) and what the tool printed as JSON.</summary>
    public string Repository { get; private set; } = "";

    public System.Text.Json.Nodes.JsonNode Built { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Engine.InitializeAsync();
        await Registry.InitializeAsync();
        Repository = NewRepository("mlops-tests/churn");
        var (exitCode, output, error) = Containerize("churn@candidate", "--image", Repository, "--json");
        if (exitCode != 0)
        {
            throw new Xunit.Sdk.XunitException($"mlops containerize failed ({exitCode}): {error}");
        }
        Built = System.Text.Json.Nodes.JsonNode.Parse(output)!;
    }

    /// <summary>A repository name of its own, removed with every tag at the end.</summary>
    public string NewRepository(string prefix)
    {
        var repository = DockerEngineFixture.UniqueName(prefix);
        _repositories.Add(repository);
        return repository;
    }

    /// <summary>Runs `mlops containerize` on the bundle's store, on the local base image, with the fixed commit.</summary>
    public (int ExitCode, string Output, string Error) Containerize(string model, params string[] args) =>
        ContainerizeWith(new Dictionary<string, string?>(), model, args);

    public (int ExitCode, string Output, string Error) ContainerizeWith(IDictionary<string, string?> environment, string model, params string[] args)
    {
        var variables = new Dictionary<string, string?> { ["GITHUB_SHA"] = Commit, ["MLOPS_REGISTRY_PASSWORD"] = null };
        foreach (var (key, value) in environment)
        {
            variables[key] = value;
        }
        string[] baseImage = args.Contains("--base-image") ? [] : ["--base-image", DockerEngineFixture.BaseImage];
        return Programs.Run(Programs.Mlops, ["containerize", model, "--tracking-uri", Bundle.StoreUri, .. baseImage, .. args],
            environment: variables, timeoutSeconds: 300);
    }

    /// <summary>The tags of every image on the engine in one of the tests' repositories.</summary>
    public async Task<IReadOnlyList<string>> LocalTagsAsync(string repository)
    {
        var images = await Engine.Client.Images.ListImagesAsync(new Docker.DotNet.Models.ImagesListParameters { All = true });
        return images.SelectMany(i => i.RepoTags ?? []).Where(t => t.StartsWith(repository + ":", StringComparison.Ordinal)).ToList();
    }

    public async Task DisposeAsync()
    {
        var images = await Engine.Client.Images.ListImagesAsync(new Docker.DotNet.Models.ImagesListParameters { All = true });
        var ours = images.SelectMany(i => i.RepoTags ?? [])
            .Where(t => _repositories.Any(r => t.StartsWith(r + ":", StringComparison.Ordinal) || t.Contains("/" + r + ":", StringComparison.Ordinal)))
            .ToList();
        await Engine.RemoveImagesAsync(ours);
        await Registry.DisposeAsync();
        await Engine.DisposeAsync();
        Bundle.Dispose();
    }
}
