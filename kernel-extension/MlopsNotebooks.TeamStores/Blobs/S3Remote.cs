using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace MlopsNotebooks.TeamStores.Blobs;

/// <summary>
/// A remote in an S3 bucket, <c>s3://bucket/prefix</c>. Credentials come from the AWS SDK's default chain
/// (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE and the shared files, instance roles); AWS_ENDPOINT_URL_S3 or
/// AWS_ENDPOINT_URL names an S3-compatible server (then addressed path-style) and AWS_REGION the region. A large object
/// goes up as a multipart upload, completed last; a push interrupted midway finds its upload again
/// (ListMultipartUploads, ListParts) and sends only the parts that are not there with the right content (their ETag is
/// their MD5), where the server offers those calls.
/// </summary>
internal sealed class S3Remote : BlobRemote
{
    private readonly Lazy<(AmazonS3Client Client, string Service)> _client;

    public S3Remote(string name, BlobAddress address, Func<string, string?> environment, int partSize = DefaultPartSize)
        : base(name, address, partSize)
    {
        _client = new(() => Connect(environment));
    }

    /// <summary>Opens <paramref name="url"/>, reading the configuration from <paramref name="environment"/> when first used.</summary>
    public static S3Remote Open(string name, string url, Func<string, string?> environment) =>
        new(name, BlobAddress.Parse(url, "bucket", BlobAddress.S3BucketName()), environment);

    private AmazonS3Client Client => _client.Value.Client;

    private string Bucket => Address.Container;

    protected override bool Exists(string key)
    {
        try
        {
            Wait(Client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Bucket, Key = key }));
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
        {
            return false;
        }
    }

    protected override void UploadWhole(string key, string sourceFile, CancellationToken cancellationToken)
    {
        try
        {
            // If-None-Match: * keeps an existing object as it is where the server honours it (S3 does).
            Wait(Client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = Bucket, Key = key, FilePath = sourceFile, IfNoneMatch = "*", UseChunkEncoding = false,
            }, cancellationToken));
            Sent(new FileInfo(sourceFile).Length);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.PreconditionFailed)
        {
        }
    }

    protected override void UploadInParts(string key, string sourceFile, IReadOnlyList<FilePart> parts, CancellationToken cancellationToken)
    {
        var uploadId = UnfinishedUpload(key, cancellationToken);
        var there = uploadId is null ? [] : PartsOf(key, uploadId, cancellationToken);
        uploadId ??= Wait(Client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = Bucket, Key = key }, cancellationToken)).UploadId;
        var etags = new string[parts.Count];
        ForEachPart(parts, cancellationToken, async (part, ct) =>
        {
            if (there.TryGetValue(part.Index + 1, out var sent) && sent.Size == part.Length && SameContent(sent.ETag, sourceFile, part))
            {
                etags[part.Index] = sent.ETag;
                return;
            }
            var response = await Client.UploadPartAsync(new UploadPartRequest
            {
                BucketName = Bucket, Key = key, UploadId = uploadId, PartNumber = part.Index + 1,
                FilePath = sourceFile, FilePosition = part.Offset, PartSize = part.Length, UseChunkEncoding = false,
            }, ct);
            etags[part.Index] = response.ETag;
            Sent(part.Length);
        });
        try
        {
            Wait(Client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = Bucket, Key = key, UploadId = uploadId, IfNoneMatch = "*",
                PartETags = parts.Select(p => new PartETag(p.Index + 1, etags[p.Index])).ToList(),
            }, cancellationToken));
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.PreconditionFailed)
        {
            Wait(Client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Bucket, Key = key, UploadId = uploadId }, CancellationToken.None));
        }
    }

    protected override bool DownloadTo(string key, string targetFile, CancellationToken cancellationToken)
    {
        try
        {
            using var response = Wait(Client.GetObjectAsync(new GetObjectRequest { BucketName = Bucket, Key = key }, cancellationToken));
            Wait(response.WriteResponseStreamToFileAsync(targetFile, append: false, cancellationToken));
            return true;
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchKey")
        {
            return false;
        }
    }

    protected override IEnumerable<(string Key, long Size, DateTimeOffset LastModified)> ListKeys(string prefix)
    {
        var request = new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix };
        while (true)
        {
            var page = Wait(Client.ListObjectsV2Async(request));
            foreach (var o in page.S3Objects ?? [])
            {
                yield return (o.Key, o.Size ?? 0, o.LastModified is { } time ? new DateTimeOffset(time.ToUniversalTime(), TimeSpan.Zero) : DateTimeOffset.MinValue);
            }
            if (page.IsTruncated != true)
            {
                yield break;
            }
            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    protected override void Delete(string key) => Wait(Client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Bucket, Key = key }));

    protected override MlopsException? Translate(Exception error) => error switch
    {
        AmazonS3Exception { ErrorCode: "NoSuchBucket" } => new NotFoundException(
            $"The bucket '{Bucket}' of {Location} ({Address}) does not exist.",
            $"Create it (aws s3 mb s3://{Bucket}) or fix the remote's URL in mlops.yaml."),
        AmazonS3Exception { StatusCode: HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized } e => new MlopsException(
            $"The S3 service refused the credentials of {Location} ({Address}): {e.ErrorCode ?? ((int)e.StatusCode).ToString(CultureInfo.InvariantCulture)}.",
            $"Check {BlobAddress.CredentialSources("s3")} They must belong to an identity that may read and write bucket '{Bucket}'."),
        AmazonServiceException e when e.StatusCode != 0 => new UnavailableException(
            $"The S3 service failed a request of {Location} ({Address}): {((int)e.StatusCode).ToString(CultureInfo.InvariantCulture)} {e.ErrorCode}.",
            "Run the command again; if it keeps failing, check the service's health."),
        _ when Unreachable(error) => new UnavailableException(
            $"Cannot reach the S3 service of {Location} ({Address}) at {_client.Value.Service}.",
            "Check the network and that the service is up, then run the command again: a push goes on where it stopped."),
        AmazonClientException => new MlopsException(
            $"The AWS SDK found no usable credentials or region for {Location} ({Address}).",
            $"Set {BlobAddress.CredentialSources("s3")} Set AWS_REGION too."),
        _ => null,
    };

    private static bool Unreachable(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException or IOException or System.Net.Sockets.SocketException)
            {
                return true;
            }
        }
        return false;
    }

    private (AmazonS3Client, string) Connect(Func<string, string?> environment)
    {
        var config = new AmazonS3Config
        {
            MaxErrorRetry = 3,
            // S3-compatible servers do not all take the flexible checksums the SDK sends by default.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        var region = environment("AWS_REGION") is { Length: > 0 } r ? r : environment("AWS_DEFAULT_REGION");
        var endpoint = environment("AWS_ENDPOINT_URL_S3") is { Length: > 0 } s ? s : environment("AWS_ENDPOINT_URL");
        var service = "S3";
        if (!string.IsNullOrEmpty(endpoint))
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new MlopsException("AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) is not an http(s) URL.", "Set it to the server's address, e.g. http://127.0.0.1:9000.");
            }
            config.ServiceURL = endpoint;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = string.IsNullOrEmpty(region) ? "us-east-1" : region;
            service = $"{uri.Host}:{uri.Port.ToString(CultureInfo.InvariantCulture)}";
        }
        else if (!string.IsNullOrEmpty(region))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }
        var keyId = environment("AWS_ACCESS_KEY_ID");
        var secret = environment("AWS_SECRET_ACCESS_KEY");
        try
        {
            if (!string.IsNullOrEmpty(keyId) && !string.IsNullOrEmpty(secret))
            {
                AWSCredentials credentials = environment("AWS_SESSION_TOKEN") is { Length: > 0 } token
                    ? new SessionAWSCredentials(keyId, secret, token)
                    : new BasicAWSCredentials(keyId, secret);
                return (new AmazonS3Client(credentials, config), service);
            }
            return (new AmazonS3Client(config), service);
        }
        catch (AmazonClientException)
        {
            throw new MlopsException($"The AWS SDK found no usable credentials or region for {Location} ({Address}).",
                $"Set {BlobAddress.CredentialSources("s3")} Set AWS_REGION too.");
        }
    }

    /// <summary>The newest unfinished multipart upload of the key, from an interrupted push; null when none or not offered.</summary>
    private string? UnfinishedUpload(string key, CancellationToken cancellationToken)
    {
        try
        {
            var uploads = Wait(Client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = Bucket, Prefix = key }, cancellationToken));
            return (uploads.MultipartUploads ?? []).Where(u => u.Key == key).OrderByDescending(u => u.Initiated).FirstOrDefault()?.UploadId;
        }
        catch (AmazonS3Exception e) when (NotOffered(e))
        {
            return null;
        }
    }

    /// <summary>The parts an unfinished upload holds, by number: size and ETag.</summary>
    private Dictionary<int, (long Size, string ETag)> PartsOf(string key, string uploadId, CancellationToken cancellationToken)
    {
        var parts = new Dictionary<int, (long, string)>();
        try
        {
            var request = new ListPartsRequest { BucketName = Bucket, Key = key, UploadId = uploadId };
            while (true)
            {
                var page = Wait(Client.ListPartsAsync(request, cancellationToken));
                foreach (var part in page.Parts ?? [])
                {
                    parts[part.PartNumber ?? 0] = (part.Size ?? 0, part.ETag);
                }
                if (page.IsTruncated != true)
                {
                    return parts;
                }
                request.PartNumberMarker = page.NextPartNumberMarker?.ToString(CultureInfo.InvariantCulture);
            }
        }
        catch (AmazonS3Exception e) when (NotOffered(e) || e.ErrorCode == "NoSuchUpload")
        {
            return parts;
        }
    }

    /// <summary>Whether a sent part holds this part of the file: S3 names a part by the MD5 of its bytes.</summary>
    private static bool SameContent(string etag, string file, FilePart part) =>
        string.Equals(etag.Trim('"'), Convert.ToHexString(MD5.HashData(Read(file, part))), StringComparison.OrdinalIgnoreCase);

    // s3rver, for one, answers NotImplemented or MethodNotAllowed: the upload then starts afresh.
    private static bool NotOffered(AmazonS3Exception e) =>
        e.StatusCode is HttpStatusCode.NotImplemented or HttpStatusCode.MethodNotAllowed;

    private static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();

    private static void Wait(Task task) => task.GetAwaiter().GetResult();
}
