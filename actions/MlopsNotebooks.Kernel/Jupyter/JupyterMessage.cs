using System.Text.Json.Nodes;

namespace MlopsNotebooks.Kernel.Jupyter;

/// <summary>
/// One message of Jupyter's protocol as it arrived or will be sent: the routing identities before the delimiter, then
/// header, parent header, metadata and content (JSON objects) and any binary buffers.
/// </summary>
public sealed record JupyterMessage(IReadOnlyList<byte[]> Identities, JsonObject Header, JsonObject ParentHeader, JsonObject Metadata, JsonObject Content)
{
    /// <summary>The protocol version this kernel speaks; every header it sends carries it.</summary>
    public const string ProtocolVersion = "5.3";

    public IReadOnlyList<byte[]> Buffers { get; init; } = [];

    public string Type => (string?)Header["msg_type"] ?? "";

    public string Id => (string?)Header["msg_id"] ?? "";

    /// <summary>A new message answering or caused by <paramref name="parent"/> (or by nothing), for the same client session.</summary>
    public static JupyterMessage Create(string type, JsonObject content, JupyterMessage? parent, string session, IReadOnlyList<byte[]>? identities = null) =>
        new(identities ?? parent?.Identities ?? [],
            new JsonObject
            {
                ["msg_id"] = Guid.NewGuid().ToString("N"),
                ["session"] = session,
                ["username"] = "kernel",
                ["date"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", System.Globalization.CultureInfo.InvariantCulture),
                ["msg_type"] = type,
                ["version"] = ProtocolVersion,
            },
            parent is null ? [] : (JsonObject)parent.Header.DeepClone(),
            [],
            content);

    /// <summary>The reply type to this request's type: kernel_info_request to kernel_info_reply.</summary>
    public string ReplyType => Type.EndsWith("_request", StringComparison.Ordinal) ? Type[..^"_request".Length] + "_reply" : Type + "_reply";
}
