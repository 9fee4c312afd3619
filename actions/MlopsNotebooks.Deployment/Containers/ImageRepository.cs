using MlopsNotebooks.Deployment;

namespace MlopsNotebooks.Deployment.Containers;

/// <summary>
/// An image repository as --image names it, without a tag (containerize adds its own): an optional registry host (with a
/// port), then lower-case path components, e.g. ghcr.io/acme/churn or 127.0.0.1:5000/churn.
/// </summary>
public sealed record ImageRepository(string Name, string Registry)
{
    /// <summary>Docker Hub, where a repository without a registry host lives.</summary>
    public const string DockerHub = "docker.io";

    public static ImageRepository Parse(string text, string option = "--image")
    {
        var hint = $"Give {option} a repository without a tag, e.g. ghcr.io/acme/churn or 127.0.0.1:5000/churn; the tags are the model version and the commit.";
        var parts = text.Split('/');
        var hasHost = ImageReferences.NamesHost(parts);
        var path = hasHost ? parts[1..] : parts;
        if (text.Contains('@') || path[^1].Contains(':'))
        {
            throw new MlopsException($"{option} '{text}' carries a tag or digest.", hint);
        }
        if (text.Length > 255 || (hasHost && !ImageReferences.IsHost(parts[0])) || !path.All(ImageReferences.IsComponent))
        {
            throw new MlopsException($"{option} '{text}' is not an image repository (path parts are lower-case letters, digits and . _ - separators).", hint);
        }
        return new ImageRepository(text, hasHost ? parts[0] : DockerHub);
    }

    public override string ToString() => Name;
}
