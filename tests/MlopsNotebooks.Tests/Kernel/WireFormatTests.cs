using System.Text;
using System.Text.Json.Nodes;
using MlopsNotebooks.Kernel.Jupyter;

namespace MlopsNotebooks.Tests.Kernel;

/// <summary>Jupyter's wire format: what is signed, what is refused, and cursor positions in code points.</summary>
public sealed class WireFormatTests
{
    private static JupyterMessage Request() =>
        JupyterMessage.Create("execute_request", new JsonObject { ["code"] = "1 + 1" }, parent: null, session: "s", identities: [[1, 2, 3]]);

    [Fact]
    public void A_message_encoded_with_the_key_decodes_with_its_identities_header_and_content()
    {
        var wire = new WireFormat("key");
        var decoded = wire.Decode(wire.Encode(Request()));
        Assert.Equal([1, 2, 3], Assert.Single(decoded.Identities));
        Assert.Equal("execute_request", decoded.Type);
        Assert.Equal("execute_reply", decoded.ReplyType);
        Assert.Equal("1 + 1", (string?)decoded.Content["code"]);
        Assert.Equal(JupyterMessage.ProtocolVersion, (string?)decoded.Header["version"]);
    }

    [Fact]
    public void The_signature_is_the_hex_hmac_sha256_of_header_parent_metadata_and_content_as_jupyter_client_computes_it()
    {
        var frames = new WireFormat("key").Encode(Request());
        using var hmac = new System.Security.Cryptography.HMACSHA256(Encoding.UTF8.GetBytes("key"));
        var expected = Convert.ToHexStringLower(hmac.ComputeHash(frames[3..7].SelectMany(f => f).ToArray()));
        Assert.Equal(expected, Encoding.ASCII.GetString(frames[2]));
    }

    [Fact]
    public void A_message_signed_with_another_key_or_tampered_with_is_refused()
    {
        var frames = new WireFormat("other").Encode(Request());
        Assert.Equal("bad signature", Assert.Throws<MalformedMessageException>(() => new WireFormat("key").Decode(frames)).Message);
        var tampered = new WireFormat("key").Encode(Request());
        tampered[5] = Encoding.UTF8.GetBytes("""{"code":"System.IO.File.Delete(\"x\")"}""");
        Assert.Equal("bad signature", Assert.Throws<MalformedMessageException>(() => new WireFormat("key").Decode(tampered)).Message);
        var unsigned = new WireFormat("").Encode(Request());
        Assert.Equal("bad signature", Assert.Throws<MalformedMessageException>(() => new WireFormat("key").Decode(unsigned)).Message);
    }

    [Fact]
    public void With_an_empty_key_messages_are_neither_signed_nor_checked()
    {
        var frames = new WireFormat("").Encode(Request());
        Assert.Empty(frames[2]);
        Assert.Equal("execute_request", new WireFormat("").Decode(new WireFormat("key").Encode(Request())).Type);
    }

    [Theory]
    [InlineData(new[] { "no delimiter" }, "no <IDS|MSG> delimiter")]
    [InlineData(new[] { "<IDS|MSG>", "sig", "{}" }, "2 frames after the delimiter, 5 expected")]
    [InlineData(new[] { "<IDS|MSG>", "", "not json", "{}", "{}", "{}" }, "the header is not JSON")]
    [InlineData(new[] { "<IDS|MSG>", "", "[]", "{}", "{}", "{}" }, "the header is not a JSON object")]
    [InlineData(new[] { "<IDS|MSG>", "", "{\"msg_id\":\"1\"}", "{}", "{}", "{}" }, "a header without msg_type or msg_id")]
    [InlineData(new[] { "<IDS|MSG>", "", "{\"msg_id\":\"1\",\"msg_type\":\"x\"}", "{}", "{}", "3" }, "the content is not a JSON object")]
    public void A_malformed_message_is_refused_saying_what_is_wrong(string[] frames, string reason)
    {
        var bytes = frames.Select(Encoding.UTF8.GetBytes).ToArray();
        Assert.Equal(reason, Assert.Throws<MalformedMessageException>(() => new WireFormat("").Decode(bytes)).Message);
    }

    [Theory]
    [InlineData("abc", 2, 2)]
    [InlineData("// 😀\nConsole.", 13, 12)]
    [InlineData("😀😀x", 5, 3)]
    [InlineData("ab", 9, 2)]
    public void Cursor_positions_convert_between_jupyters_code_points_and_dotnets_utf16(string text, int utf16, int codePoints)
    {
        Assert.Equal(Math.Min(utf16, text.Length), CodePoints.ToUtf16(text, codePoints));
        Assert.Equal(codePoints, CodePoints.FromUtf16(text, utf16));
    }
}
