using System.Security.Cryptography;

namespace MlopsNotebooks.Versioning;

/// <summary>
/// A content hash with its algorithm named beside the value, <c>sha256:9ad8...</c>, so that stores and pointer files
/// say how to check what they hold.
/// </summary>
public readonly record struct ContentHash(string Algorithm, string Hex)
{
    public const string Sha256 = "sha256";

    public override string ToString() => $"{Algorithm}:{Hex}";

    public static ContentHash FromSha256(ReadOnlySpan<byte> digest) => new(Sha256, Convert.ToHexString(digest).ToLowerInvariant());

    public static ContentHash Of(ReadOnlySpan<byte> content) => FromSha256(SHA256.HashData(content));

    public static ContentHash Parse(string text) =>
        TryParse(text, out var hash)
            ? hash
            : throw new MlopsException($"'{text}' is not a content hash.", "Hashes look like sha256: followed by 64 hexadecimal digits.");

    public static bool TryParse(string? text, out ContentHash hash)
    {
        hash = default;
        if (text is null || !text.StartsWith(Sha256 + ":", StringComparison.Ordinal))
        {
            return false;
        }
        // A plain loop: this runs for every file of a folder's state and manifest.
        if (text.Length != Sha256.Length + 1 + 64)
        {
            return false;
        }
        for (var i = Sha256.Length + 1; i < text.Length; i++)
        {
            if (!(char.IsAsciiDigit(text[i]) || text[i] is >= 'a' and <= 'f'))
            {
                return false;
            }
        }
        hash = new ContentHash(Sha256, text[(Sha256.Length + 1)..]);
        return true;
    }

    /// <summary>Hashes a file, streaming it in large blocks.</summary>
    public static ContentHash OfFile(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return OfStream(file);
    }

    public static ContentHash OfStream(Stream stream)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                sha.AppendData(buffer, 0, read);
            }
            return FromSha256(sha.GetHashAndReset());
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>An object whose bytes do not match its name: a flipped bit, a truncated copy. It is never used.</summary>
public sealed class CorruptObjectException(ContentHash expected, ContentHash actual, string location)
    : UnavailableException(
        $"The object {expected} at {location} is corrupt: its content hashes to {actual}.",
        "It was not used. Remove it and fetch it again with `mlops data pull`, or re-add the data with `mlops data add`.")
{
    public ContentHash Expected { get; } = expected;
    public ContentHash Actual { get; } = actual;
}

/// <summary>An object that should be in the cache but is not.</summary>
public sealed class MissingObjectException(ContentHash hash, string what)
    : NotFoundException($"The data of {what} ({hash}) is not in the local cache.",
        "Data: fetch it from the remote with `mlops data pull` (set a remote with `mlops remote add`). Run artifacts and model versions are kept in this cache only, not on a data remote.")
{
    public ContentHash Hash { get; } = hash;
}
