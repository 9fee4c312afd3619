using Docker.DotNet;
using Docker.DotNet.Models;

namespace MlopsNotebooks.Deployment.Containers;

/// <summary>
/// The model server's images on one Docker engine: built from a generated context and the Dockerfile template, pushed
/// to a registry. The engine reports a failed build or push only in its progress stream, so both read that stream and
/// turn its error into an <see cref="MlopsException"/> with the engine's own message.
/// </summary>
public sealed class ContainerImages(DockerClient docker)
{
    /// <summary>Builds the image and tags it with the model version and the short commit; build output goes to <paramref name="log"/> line by line.</summary>
    public async Task<BuiltImage> BuildAsync(ImageBuildRequest request, IProgress<string> log, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(Path.Combine(request.ServerFolder, "mlops-server.dll")))
        {
            throw new NotFoundException($"The model server is not at {request.ServerFolder} (no mlops-server.dll).",
                "It is published beside the mlops tool at build time: rebuild or reinstall the tool (dotnet build, or dotnet pack and dotnet tool install).");
        }
        var version = await docker.System.GetVersionAsync(cancellationToken);
        using var context = new MemoryStream();
        BuildContext.Write(context, request.Bundle, request.ServerFolder, BuildContext.RuntimeFor(version.Arch));
        context.Position = 0;

        var references = request.Tags.Select(t => $"{request.Repository.Name}:{t}").ToList();
        var parameters = new ImageBuildParameters
        {
            Tags = references,
            Labels = request.Labels.ToDictionary(l => l.Key, l => l.Value),
            BuildArgs = new Dictionary<string, string> { ["BASE_IMAGE"] = request.BaseImage },
            Remove = true,
            ForceRemove = true,
        };
        var progress = new EngineProgress(log);
        try
        {
            await docker.Images.BuildImageFromDockerfileAsync(parameters, context, [], new Dictionary<string, string>(), progress, cancellationToken);
        }
        catch (DockerApiException e)
        {
            throw BuildFailed(DockerEngine.Message(e), request);
        }
        progress.Flush();
        if (progress.Error is { } error)
        {
            throw BuildFailed(error, request);
        }
        var image = await docker.Images.InspectImageAsync(references[0], cancellationToken);
        return new BuiltImage(image.ID, references, image.Size, request.Labels);
    }

    /// <summary>
    /// Pushes every reference of <paramref name="image"/> and returns the digest the registry gave. With a login, the
    /// registry is asked first, so a refused login pushes nothing.
    /// </summary>
    public async Task<string?> PushAsync(BuiltImage image, ImageRepository repository, RegistryLogin? login, IProgress<string> log, CancellationToken cancellationToken = default)
    {
        var auth = new AuthConfig { ServerAddress = repository.Registry };
        if (login is not null)
        {
            auth.Username = login.Username;
            auth.Password = login.Password;
            try
            {
                await docker.System.AuthenticateAsync(auth, cancellationToken);
            }
            catch (DockerApiException e)
            {
                throw LoginRefused(repository, login, DockerEngine.Message(e));
            }
        }
        foreach (var reference in image.References)
        {
            var progress = new EngineProgress(log);
            try
            {
                await docker.Images.PushImageAsync(repository.Name, new ImagePushParameters { Tag = reference[(repository.Name.Length + 1)..] }, auth, progress, cancellationToken);
            }
            catch (DockerApiException e)
            {
                throw PushFailed(repository, login, DockerEngine.Message(e));
            }
            progress.Flush();
            if (progress.Error is { } error)
            {
                throw PushFailed(repository, login, error);
            }
        }
        var pushed = await docker.Images.InspectImageAsync(image.Id, cancellationToken);
        return pushed.RepoDigests?.FirstOrDefault(d => d.StartsWith(repository.Name + "@", StringComparison.Ordinal)) is { } digest ? digest[(repository.Name.Length + 1)..] : null;
    }

    private static MlopsException BuildFailed(string message, ImageBuildRequest request) =>
        new($"The image build failed: {message.Trim()}",
            $"The engine's message says why. Check that the base image {request.BaseImage} exists on the engine or can be pulled (--base-image).");

    private static MlopsException LoginRefused(ImageRepository repository, RegistryLogin login, string message) =>
        new($"The registry at {repository.Registry} refused the login for {login.Username}: {message.Trim()}",
            "Check the user name (--registry-username) and the password (MLOPS_REGISTRY_PASSWORD or --registry-password-stdin). Nothing was pushed.");

    private static MlopsException PushFailed(ImageRepository repository, RegistryLogin? login, string message)
    {
        if (message.Contains("unauthorized", StringComparison.OrdinalIgnoreCase) || message.Contains("authentication required", StringComparison.OrdinalIgnoreCase)
            || message.Contains("denied", StringComparison.OrdinalIgnoreCase))
        {
            return login is null
                ? new MlopsException($"The registry at {repository.Registry} wants a login to push {repository.Name}: {message.Trim()}",
                    "Give --registry-username, and the password in MLOPS_REGISTRY_PASSWORD or on standard input with --registry-password-stdin.")
                : LoginRefused(repository, login, message);
        }
        return new UnavailableException($"Pushing {repository.Name} to {repository.Registry} failed: {message.Trim()}", "Check that the registry is reachable from the Docker engine, then push again.");
    }

    /// <summary>
    /// The engine's progress stream, reported in order as it arrives (Progress&lt;T&gt; would post it to the thread pool
    /// and reorder it): output in whole lines, and the first error kept.
    /// </summary>
    private sealed class EngineProgress(IProgress<string> log) : IProgress<JSONMessage>
    {
        private readonly System.Text.StringBuilder _partial = new();

        public string? Error { get; private set; }

        public void Report(JSONMessage value)
        {
            if (!string.IsNullOrEmpty(value.ErrorMessage) || value.Error?.Message is { Length: > 0 })
            {
                Error ??= string.IsNullOrEmpty(value.ErrorMessage) ? value.Error!.Message : value.ErrorMessage;
            }
            if (value.Progress is not null || !string.IsNullOrEmpty(value.ProgressMessage))
            {
                return; // a progress bar's ticks; the status lines around them say what moved
            }
            var text = value.Stream ?? (value.Status is { Length: > 0 } status ? $"{(string.IsNullOrEmpty(value.ID) ? "" : value.ID + ": ")}{status}\n" : null);
            if (text is null)
            {
                return;
            }
            _partial.Append(text);
            var all = _partial.ToString();
            var end = all.LastIndexOf('\n');
            if (end < 0)
            {
                return;
            }
            foreach (var line in all[..end].Split('\n'))
            {
                if (line.TrimEnd('\r').Length > 0)
                {
                    log.Report(line.TrimEnd('\r'));
                }
            }
            _partial.Clear().Append(all[(end + 1)..]);
        }

        public void Flush()
        {
            if (_partial.ToString().Trim() is { Length: > 0 } rest)
            {
                log.Report(rest);
            }
            _partial.Clear();
        }
    }
}
