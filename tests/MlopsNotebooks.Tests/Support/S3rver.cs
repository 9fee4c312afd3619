using Amazon.Runtime;
using Amazon.S3;

namespace MlopsNotebooks.Tests.Support;

/// <summary>
/// s3rver (npm, tests/tools), an S3-compatible server, started once for the test run with its data in a temp folder;
/// <see cref="OnDisk"/> starts one of a test's own, to restart it. Its one account's keys are s3rver's published
/// defaults (not a secret), given as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY as users do.
/// </summary>
public static class S3rver
{
    private const string KeyId = "S3RVER";
    private const string Secret = "S3RVER";

    // s3rver 3.7.1 encrypts its ListObjectsV2 continuation tokens with DES, which Node's OpenSSL 3 only has in its legacy
    // provider: without it, a listing of more than 1,000 objects fails with a 500.
    private static readonly Dictionary<string, string?> Node = new() { ["NODE_OPTIONS"] = "--openssl-legacy-provider" };

    private static readonly Lazy<BlobService> Service = new(() =>
        BlobService.Shared("s3rver", port => Arguments(port, Path.Combine(Path.GetTempPath(), "mlops-tests", "s3rver-" + Guid.NewGuid().ToString("N")[..8])), Node));

    public static BlobService Shared => Service.Value;

    /// <summary>An s3rver of the caller's own, keeping its data in <paramref name="folder"/> across restarts.</summary>
    public static BlobService OnDisk(string folder) => new("s3rver", port => Arguments(port, folder), Node);

    /// <summary>
    /// The environment a process needs to reach <paramref name="service"/>, with another access key id when given
    /// (s3rver checks the key id; it does not check V4 signatures, so a wrong secret would pass).
    /// </summary>
    public static Dictionary<string, string?> Environment(BlobService service, string? keyId = null) => new()
    {
        ["AWS_ACCESS_KEY_ID"] = keyId ?? KeyId,
        ["AWS_SECRET_ACCESS_KEY"] = Secret,
        ["AWS_ENDPOINT_URL_S3"] = service.Address,
        ["AWS_REGION"] = "us-east-1",
    };

    /// <summary>A new, empty bucket; its name.</summary>
    public static string NewBucket(BlobService service)
    {
        var name = "b" + Guid.NewGuid().ToString("N");
        using var client = new AmazonS3Client(new BasicAWSCredentials(KeyId, Secret),
            new AmazonS3Config { ServiceURL = service.Address, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        client.PutBucketAsync(name).GetAwaiter().GetResult();
        return name;
    }

    private static string[] Arguments(int port, string folder) =>
        ["--address", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--directory", folder, "--silent"];
}
