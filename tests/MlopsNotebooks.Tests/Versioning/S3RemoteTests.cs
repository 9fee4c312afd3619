using MlopsNotebooks.TeamStores.Blobs;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Versioning;

/// <summary>The remote contract on S3 (s3rver, an S3-compatible server), through <c>s3://bucket/prefix</c>.</summary>
public sealed class S3RemoteTests : BlobRemoteContract
{
    protected override string Scheme => "s3";

    protected override BlobService SharedService => S3rver.Shared;

    protected override bool ReusesSentParts => false;

    protected override string WrongSecret => "AKIAWRONGKEY0F3C9A";

    protected override BlobService OnDisk(string folder) => S3rver.OnDisk(folder);

    protected override string NewContainer(BlobService service) => S3rver.NewBucket(service);

    protected override Dictionary<string, string?> Environment(BlobService service, string? wrongSecret = null) => S3rver.Environment(service, wrongSecret);

    private protected override BlobRemote Open(string url, Dictionary<string, string?> environment, int partSize = BlobRemote.DefaultPartSize) =>
        new S3Remote("shared", BlobAddress.Parse(url, "bucket", BlobAddress.S3BucketName()), environment.GetValueOrDefault, partSize);
}
