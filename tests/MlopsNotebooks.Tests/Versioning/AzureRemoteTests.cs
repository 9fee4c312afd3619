using MlopsNotebooks.TeamStores.Blobs;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Versioning;

/// <summary>The remote contract on Azure Blob storage (Azurite), through <c>azure://container/prefix</c>.</summary>
public sealed class AzureRemoteTests : BlobRemoteContract
{
    protected override string Scheme => "azure";

    protected override BlobService SharedService => Azurite.Shared;

    protected override bool ReusesSentParts => true;

    protected override string WrongSecret { get; } = Convert.ToBase64String(Guid.NewGuid().ToByteArray());

    protected override BlobService OnDisk(string folder) => Azurite.OnDisk(folder);

    protected override string NewContainer(BlobService service) => Azurite.NewContainer(service);

    protected override Dictionary<string, string?> Environment(BlobService service, string? wrongSecret = null) => Azurite.Environment(service, wrongSecret);

    private protected override BlobRemote Open(string url, Dictionary<string, string?> environment, int partSize = BlobRemote.DefaultPartSize) =>
        new AzureBlobRemote("shared", BlobAddress.Parse(url, "container", BlobAddress.AzureContainerName()), environment.GetValueOrDefault, partSize);

    [Fact]
    public void Without_credentials_in_the_environment_the_message_names_the_variables_to_set()
    {
        var remote = AzureBlobRemote.Open("shared", "azure://team/data", _ => null);
        var error = Assert.Throws<MlopsException>(() => remote.Has([MlopsNotebooks.Versioning.ContentHash.Of("x"u8)]));
        Assert.Equal("No Azure credentials for remote 'shared' (azure://team/data).", error.Message);
        Assert.Equal("Set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN.", error.Hint);
    }
}
