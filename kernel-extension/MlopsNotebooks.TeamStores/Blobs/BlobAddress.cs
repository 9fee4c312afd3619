using System.Text.RegularExpressions;

namespace MlopsNotebooks.TeamStores.Blobs;

/// <summary>
/// A blob remote's URL, <c>azure://container/prefix</c> or <c>s3://bucket/prefix</c>: where the objects live, never
/// how to get in. Credentials come from the SDKs' usual sources (the environment, profiles), because a URL is written
/// to mlops.yaml and committed: one that carries a user, a password, a SAS or a key is refused without echoing it.
/// </summary>
internal sealed partial record BlobAddress(string Scheme, string Container, string Prefix)
{
    /// <summary>The URL without anything secret, for messages.</summary>
    public override string ToString() => Prefix.Length == 0 ? $"{Scheme}://{Container}" : $"{Scheme}://{Container}/{Prefix}";

    /// <param name="url">The remote's URL as written in mlops.yaml.</param>
    /// <param name="containerWord">What the service calls the top level: "container" or "bucket".</param>
    /// <param name="containerName">The service's rule for its name.</param>
    public static BlobAddress Parse(string url, string containerWord, Regex containerName)
    {
        var scheme = url[..url.IndexOf("://", StringComparison.Ordinal)].ToLowerInvariant();
        var rest = url[(scheme.Length + 3)..];
        var slash = rest.IndexOf('/');
        var container = slash < 0 ? rest : rest[..slash];
        if (container.Contains('@') || rest.IndexOfAny(['?', '#', ';']) >= 0)
        {
            // Not echoed: what follows the scheme may be the secret itself.
            throw new MlopsException($"A {scheme}:// remote URL must not carry credentials (a user, a password, a SAS or a key).",
                $"Write it as {scheme}://{containerWord}/prefix and give the credentials in the environment: {CredentialSources(scheme)}");
        }
        var prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
        if (!containerName.IsMatch(container))
        {
            throw new MlopsException($"'{container}' is not a usable {scheme}:// {containerWord} name.",
                $"Write the remote as {scheme}://{containerWord}/prefix; a {containerWord} name is 3 to 63 lowercase letters, digits and '-'.");
        }
        if (prefix.Split('/').Any(part => part is "." or ".." || (part.Length == 0 && prefix.Length > 0)))
        {
            throw new MlopsException($"The prefix '{prefix}' of the {scheme}:// remote has an empty, '.' or '..' part.",
                $"Write the remote as {scheme}://{container}/folder/subfolder.");
        }
        return new BlobAddress(scheme, container, prefix);
    }

    /// <summary>Where the credentials of a scheme are read from, for hints.</summary>
    public static string CredentialSources(string scheme) => scheme == "s3"
        ? "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile (AWS_PROFILE); AWS_ENDPOINT_URL_S3 for an S3-compatible server."
        : "AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN.";

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$")]
    public static partial Regex AzureContainerName();

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    public static partial Regex S3BucketName();
}
