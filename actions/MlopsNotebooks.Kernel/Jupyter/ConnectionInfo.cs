using System.Text.Json;
using System.Text.Json.Nodes;

namespace MlopsNotebooks.Kernel.Jupyter;

/// <summary>
/// The connection file Jupyter writes for a kernel it starts: where to bind the five sockets and the key that signs
/// every message (an empty key: messages are not signed).
/// </summary>
public sealed record ConnectionInfo(string Transport, string Ip, int ShellPort, int IopubPort, int StdinPort, int ControlPort, int HbPort,
    string Key, string SignatureScheme)
{
    /// <summary>The one signature scheme Jupyter's clients use, and the only one this kernel speaks.</summary>
    public const string HmacSha256 = "hmac-sha256";

    public string Address(int port) => $"{Transport}://{Ip}:{port}";

    /// <summary>Reads a connection file; a missing, unreadable or malformed one is an error that says which field.</summary>
    public static ConnectionInfo Load(string path)
    {
        const string hint = "Jupyter writes the connection file when it starts the kernel: run the kernel from Jupyter (mlops kernel install, then choose \"C# (MlopsNotebooks)\").";
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MlopsException($"The connection file {path} cannot be read: {e.Message}", hint);
        }
        JsonObject json;
        try
        {
            json = JsonNode.Parse(text) as JsonObject ?? throw new MlopsException($"The connection file {path} is not a JSON object.", hint);
        }
        catch (JsonException e)
        {
            throw new MlopsException($"The connection file {path} is not JSON: {e.Message}", hint);
        }
        var transport = Text(json, "transport", path) ?? "tcp";
        if (transport != "tcp")
        {
            throw new MlopsException($"The connection file {path} asks for transport \"{transport}\"; this kernel speaks tcp only.", hint);
        }
        var scheme = Text(json, "signature_scheme", path) ?? HmacSha256;
        if (scheme != HmacSha256)
        {
            throw new MlopsException($"The connection file {path} asks for signature scheme \"{scheme}\"; this kernel signs with {HmacSha256} only.", hint);
        }
        return new ConnectionInfo(transport, Text(json, "ip", path) ?? "127.0.0.1",
            Port(json, "shell_port", path), Port(json, "iopub_port", path), Port(json, "stdin_port", path),
            Port(json, "control_port", path), Port(json, "hb_port", path), Text(json, "key", path) ?? "", scheme);
    }

    private static string? Text(JsonObject json, string name, string path) => json[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw new MlopsException($"The connection file {path} has a {name} that is not a string.", "Let Jupyter write the connection file."),
    };

    private static int Port(JsonObject json, string name, string path) =>
        json[name] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var port) && port is > 0 and < 65536
            ? port
            : throw new MlopsException($"The connection file {path} has no valid {name} (a port from 1 to 65535).", "Let Jupyter write the connection file.");
}
