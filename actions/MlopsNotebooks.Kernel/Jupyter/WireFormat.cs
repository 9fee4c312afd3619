using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MlopsNotebooks.Kernel.Jupyter;

/// <summary>A message that failed to decode: why, in words safe to print (never the key or the signature).</summary>
public sealed class MalformedMessageException(string reason) : Exception(reason);

/// <summary>
/// Jupyter's wire format: identities, <c>&lt;IDS|MSG&gt;</c>, the hex HMAC-SHA256 signature, header, parent header,
/// metadata, content, buffers. The signature covers the four JSON frames (as jupyter_client's Session signs them); an
/// empty key means messages are neither signed nor checked.
/// </summary>
public sealed class WireFormat(string key)
{
    private static readonly byte[] Delimiter = "<IDS|MSG>"u8.ToArray();
    private readonly byte[] _key = Encoding.UTF8.GetBytes(key);

    public byte[][] Encode(JupyterMessage message)
    {
        var frames = new[] { message.Header, message.ParentHeader, message.Metadata, message.Content }
            .Select(part => Encoding.UTF8.GetBytes(part.ToJsonString()))
            .ToArray();
        return [.. message.Identities, Delimiter, Encoding.ASCII.GetBytes(Sign(frames)), .. frames, .. message.Buffers];
    }

    /// <summary>Decodes and checks a message's frames; throws <see cref="MalformedMessageException"/> for anything wrong.</summary>
    public JupyterMessage Decode(IReadOnlyList<byte[]> frames)
    {
        var delimiter = -1;
        for (var i = 0; i < frames.Count && delimiter < 0; i++)
        {
            if (frames[i].AsSpan().SequenceEqual(Delimiter))
            {
                delimiter = i;
            }
        }
        if (delimiter < 0)
        {
            throw new MalformedMessageException("no <IDS|MSG> delimiter");
        }
        if (frames.Count < delimiter + 6)
        {
            throw new MalformedMessageException($"{frames.Count - delimiter - 1} frames after the delimiter, 5 expected");
        }
        var parts = frames.Skip(delimiter + 2).Take(4).ToArray();
        if (_key.Length > 0 && !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(parts)), frames[delimiter + 1]))
        {
            throw new MalformedMessageException("bad signature");
        }
        var header = Object(parts[0], "header");
        if (header["msg_type"] is not JsonValue type || type.GetValueKind() != JsonValueKind.String || header["msg_id"] is null)
        {
            throw new MalformedMessageException("a header without msg_type or msg_id");
        }
        return new JupyterMessage(frames.Take(delimiter).ToArray(), header, Object(parts[1], "parent_header"), Object(parts[2], "metadata"), Object(parts[3], "content"))
        {
            Buffers = frames.Skip(delimiter + 6).ToArray(),
        };
    }

    private string Sign(IEnumerable<byte[]> parts)
    {
        if (_key.Length == 0)
        {
            return "";
        }
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        foreach (var part in parts)
        {
            hmac.AppendData(part);
        }
        return Convert.ToHexStringLower(hmac.GetHashAndReset());
    }

    private static JsonObject Object(byte[] frame, string name)
    {
        try
        {
            return JsonNode.Parse(frame) as JsonObject ?? throw new MalformedMessageException($"the {name} is not a JSON object");
        }
        catch (JsonException)
        {
            throw new MalformedMessageException($"the {name} is not JSON");
        }
    }
}
