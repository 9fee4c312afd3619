using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tests.Versioning;

namespace MlopsNotebooks.Tests.Storage;

/// <summary>
/// A team store's objects on the blob services: the remote artifact root, sync and gc on a remote, on Azure Blob storage
/// (Azurite) and S3 (s3rver), as they run on a directory remote. The services' variables are set in this process, as a
/// user sets them in a shell, so the code under test and the mlops processes the tests start read them as they would.
/// </summary>
internal static class BlobTeamStores
{
    private static readonly object Gate = new();

    public static string NewAzureUrl(string prefix)
    {
        Use(Azurite.Environment(Azurite.Shared));
        return $"azure://{Azurite.NewContainer(Azurite.Shared)}/{prefix}";
    }

    public static string NewS3Url(string prefix)
    {
        Use(S3rver.Environment(S3rver.Shared));
        return $"s3://{S3rver.NewBucket(S3rver.Shared)}/{prefix}";
    }

    // The same values every time (one shared service each), so tests running side by side agree on them.
    private static void Use(Dictionary<string, string?> variables)
    {
        lock (Gate)
        {
            foreach (var (name, value) in variables)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }
}

public sealed class AzureRemoteArtifactRootTests : RemoteArtifactRootContract
{
    protected override string NewRemoteUrl() => BlobTeamStores.NewAzureUrl("artifacts");
}

public sealed class S3RemoteArtifactRootTests : RemoteArtifactRootContract
{
    protected override string NewRemoteUrl() => BlobTeamStores.NewS3Url("artifacts");
}

public sealed class AzureStoreSyncTests : StoreSyncContract
{
    protected override string NewRemoteUrl() => BlobTeamStores.NewAzureUrl("artifacts");
}

public sealed class S3StoreSyncTests : StoreSyncContract
{
    protected override string NewRemoteUrl() => BlobTeamStores.NewS3Url("artifacts");
}

public sealed class AzureRemoteGcTests : RemoteGcContract
{
    protected override string NewRemoteUrl() => BlobTeamStores.NewAzureUrl("data");
}

public sealed class S3RemoteGcTests : RemoteGcContract
{
    protected override string NewRemoteUrl() => BlobTeamStores.NewS3Url("data");
}
