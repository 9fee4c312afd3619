using System.Text.RegularExpressions;

namespace MlopsNotebooks.Deployment;

/// <summary>
/// The grammar of an image reference as the distribution spec writes it: an optional registry host (with a port), then
/// lower-case path components, then a tag, a digest or both. Shared by containerize (a repository, no tag) and the
/// Kubernetes manifests (a full reference), so an image a cluster would refuse at pull time is refused when written.
/// </summary>
public static partial class ImageReferences
{
    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")]
    private static partial Regex Component();

    [GeneratedRegex(@"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")]
    private static partial Regex Host();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex Tag();

    [GeneratedRegex(@"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-fA-F0-9]{32,}$")]
    private static partial Regex Digest();

    public static bool IsHost(string text) => Host().IsMatch(text);

    public static bool IsComponent(string text) => Component().IsMatch(text);

    /// <summary>Whether the first part of a reference names a registry host rather than a path component.</summary>
    public static bool NamesHost(string[] parts) => parts.Length > 1 && (parts[0].Contains('.') || parts[0].Contains(':') || parts[0] == "localhost");

    /// <summary>A repository with a tag, a digest or both (ghcr.io/acme/churn:3, 127.0.0.1:5000/churn@sha256:...).</summary>
    public static bool IsReference(string text)
    {
        if (text.Length > 512)
        {
            return false;
        }
        var at = text.IndexOf('@');
        if (at >= 0 && !Digest().IsMatch(text[(at + 1)..]))
        {
            return false;
        }
        var named = at >= 0 ? text[..at] : text;
        var colon = named.LastIndexOf(':');
        if (colon > named.LastIndexOf('/'))
        {
            if (!Tag().IsMatch(named[(colon + 1)..]))
            {
                return false;
            }
            named = named[..colon];
        }
        else if (at < 0)
        {
            return false;
        }
        var parts = named.Split('/');
        var hasHost = NamesHost(parts);
        return named.Length <= 255 && (!hasHost || IsHost(parts[0])) && (hasHost ? parts[1..] : parts).All(IsComponent);
    }
}
