using System.Text;
using System.Text.RegularExpressions;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace MlopsNotebooks.TeamStores.Blobs;

/// <summary>
/// A remote in an Azure Blob storage container, <c>azure://container/prefix</c>. Credentials are read as DVC reads them:
/// AZURE_STORAGE_CONNECTION_STRING, else AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN; on
/// first use, so that <c>mlops remote add</c> works on a machine without them. A large object is a block blob: its
/// blocks are staged with ids made from their place in the file, so a push interrupted after some blocks finds them
/// among the blob's uncommitted blocks and sends only the rest, and the blob appears when its block list is committed.
/// </summary>
internal sealed partial class AzureBlobRemote : BlobRemote
{
    private readonly Lazy<BlobContainerClient> _container;

    public AzureBlobRemote(string name, BlobAddress address, Func<string, string?> environment, int partSize = DefaultPartSize)
        : base(name, address, partSize)
    {
        _container = new(() => Connect(environment));
    }

    /// <summary>Opens <paramref name="url"/>, reading the credentials from <paramref name="environment"/> when first used.</summary>
    public static AzureBlobRemote Open(string name, string url, Func<string, string?> environment) =>
        new(name, BlobAddress.Parse(url, "container", BlobAddress.AzureContainerName()), environment);

    private BlobContainerClient Container => _container.Value;

    private BlockBlobClient Blob(string key) => Container.GetBlockBlobClient(key);

    protected override bool Exists(string key) => Blob(key).Exists().Value;

    protected override void UploadWhole(string key, string sourceFile, CancellationToken cancellationToken)
    {
        using var stream = File.OpenRead(sourceFile);
        try
        {
            // One Put Blob: the service applies it whole; If-None-Match: * keeps an existing blob as it is.
            Blob(key).Upload(stream, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken);
            Sent(stream.Length);
        }
        catch (RequestFailedException e) when (AlreadyThere(e))
        {
        }
    }

    protected override void UploadInParts(string key, string sourceFile, IReadOnlyList<FilePart> parts, CancellationToken cancellationToken)
    {
        var blob = Blob(key);
        var staged = Uncommitted(blob, cancellationToken);
        ForEachPart(parts.Where(p => staged.GetValueOrDefault(BlockId(p)) != p.Length).ToList(), cancellationToken, async (part, ct) =>
        {
            using var content = new MemoryStream(Read(sourceFile, part));
            await blob.StageBlockAsync(BlockId(part), content, cancellationToken: ct);
            Sent(part.Length);
        });
        try
        {
            blob.CommitBlockList(parts.Select(BlockId),
                new CommitBlockListOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken);
        }
        catch (RequestFailedException e) when (AlreadyThere(e))
        {
        }
    }

    protected override bool DownloadTo(string key, string targetFile, CancellationToken cancellationToken)
    {
        try
        {
            Blob(key).DownloadTo(targetFile, conditions: null, new StorageTransferOptions { MaximumConcurrency = PartsAtOnce }, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.BlobNotFound)
        {
            return false;
        }
    }

    protected override IEnumerable<(string Key, long Size, DateTimeOffset LastModified)> ListKeys(string prefix) =>
        Container.GetBlobs(new GetBlobsOptions { Prefix = prefix })
            .Select(b => (b.Name, b.Properties.ContentLength ?? 0, b.Properties.LastModified ?? DateTimeOffset.MinValue));

    protected override void Delete(string key) => Blob(key).DeleteIfExists();

    protected override MlopsException? Translate(Exception error) => error switch
    {
        RequestFailedException { Status: 0 } or HttpRequestException or IOException => new UnavailableException(
            $"Cannot reach the Azure blob service of {Location} ({Address}) at {Container.Uri.Host}:{Container.Uri.Port}.",
            "Check the network and that the storage account (or Azurite) is up, then run the command again: a push goes on where it stopped."),
        RequestFailedException { Status: 401 or 403 } e => new MlopsException(
            $"The Azure blob service refused the credentials of {Location} ({Address}): {e.ErrorCode ?? e.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)}.",
            $"Check {BlobAddress.CredentialSources("azure")} They must be those of the storage account that holds container '{Address.Container}'."),
        RequestFailedException e when e.ErrorCode == BlobErrorCode.ContainerNotFound => new NotFoundException(
            $"The container '{Address.Container}' of {Location} ({Address}) does not exist.",
            $"Create it (az storage container create --name {Address.Container}) or fix the remote's URL in mlops.yaml."),
        RequestFailedException e => new UnavailableException(
            $"The Azure blob service failed a request of {Location} ({Address}): {e.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)} {e.ErrorCode}.",
            "Run the command again; if it keeps failing, check the storage account's health."),
        _ => null,
    };

    private BlobContainerClient Connect(Func<string, string?> environment)
    {
        var options = new BlobClientOptions();
        options.Retry.MaxRetries = 3;
        var connectionString = environment("AZURE_STORAGE_CONNECTION_STRING");
        if (!string.IsNullOrEmpty(connectionString))
        {
            try
            {
                return new BlobServiceClient(connectionString, options).GetBlobContainerClient(Address.Container);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
            {
                // Not echoed: a connection string holds the account key.
                throw new MlopsException("AZURE_STORAGE_CONNECTION_STRING is not a valid connection string.",
                    "Copy it from the storage account's Access keys page: AccountName=...;AccountKey=...;EndpointSuffix=... or BlobEndpoint=...;SharedAccessSignature=....");
            }
        }
        var account = environment("AZURE_STORAGE_ACCOUNT");
        if (string.IsNullOrEmpty(account))
        {
            throw new MlopsException($"No Azure credentials for {Location} ({Address}).", $"Set {BlobAddress.CredentialSources("azure")}");
        }
        if (!AccountName().IsMatch(account))
        {
            throw new MlopsException($"AZURE_STORAGE_ACCOUNT '{account}' is not a storage account name.", "A storage account name is 3 to 24 lowercase letters and digits.");
        }
        var endpoint = new Uri($"https://{account}.blob.core.windows.net");
        if (environment("AZURE_STORAGE_KEY") is { Length: > 0 } key)
        {
            StorageSharedKeyCredential credential;
            try
            {
                credential = new StorageSharedKeyCredential(account, key);
            }
            catch (FormatException)
            {
                throw new MlopsException("AZURE_STORAGE_KEY is not a storage account key (base64).", "Copy key1 or key2 from the storage account's Access keys page.");
            }
            return new BlobServiceClient(endpoint, credential, options).GetBlobContainerClient(Address.Container);
        }
        if (environment("AZURE_STORAGE_SAS_TOKEN") is { Length: > 0 } sas)
        {
            return new BlobServiceClient(endpoint, new AzureSasCredential(sas.TrimStart('?')), options).GetBlobContainerClient(Address.Container);
        }
        throw new MlopsException($"AZURE_STORAGE_ACCOUNT is set but neither AZURE_STORAGE_KEY nor AZURE_STORAGE_SAS_TOKEN is, for {Location} ({Address}).",
            "Set one of them, or AZURE_STORAGE_CONNECTION_STRING instead.");
    }

    /// <summary>The blob's uncommitted blocks (id to size): what an interrupted push already sent.</summary>
    private static Dictionary<string, long> Uncommitted(BlockBlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            return blob.GetBlockList(BlockListTypes.Uncommitted, cancellationToken: cancellationToken).Value.UncommittedBlocks
                .ToDictionary(b => b.Name, b => b.SizeLong);
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.BlobNotFound)
        {
            return [];
        }
    }

    /// <summary>
    /// A block's id from the part size and its place, all of one length as the service requires: the same part of
    /// the same object gets the same id in every push, which is what lets a later push reuse it.
    /// </summary>
    private string BlockId(FilePart part) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes($"{PartSize:x8}{part.Index:x8}"));

    private static bool AlreadyThere(RequestFailedException e) =>
        e.Status == 412 || e.ErrorCode == BlobErrorCode.BlobAlreadyExists;

    [GeneratedRegex("^[a-z0-9]{3,24}$")]
    private static partial Regex AccountName();
}
