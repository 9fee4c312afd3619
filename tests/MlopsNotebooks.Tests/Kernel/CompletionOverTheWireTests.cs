using System.Text.Json.Nodes;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Kernel;

/// <summary>
/// Completion and hover as a Jupyter client sees them: the kernel installed with `mlops kernel install`, started and
/// asked by Debian's jupyter_client, cursor positions counted in code points as the protocol counts them.
/// </summary>
public sealed class CompletionOverTheWireTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    // The first request builds the editor services and compiles the session (slow on a loaded machine), hence the long
    // timeouts. Runs each cell, then sends each request ({"complete"|"inspect": code, "cursor": code points}) and prints the replies.
    private const string Client = """
        import json, sys
        from jupyter_client.manager import KernelManager
        spec = json.load(open(sys.argv[1], encoding="utf-8"))
        manager = KernelManager(kernel_name=spec["kernel"])
        manager.start_kernel()
        client = manager.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=120)
            for cell in spec["cells"]:
                reply = client.execute_interactive(cell, timeout=120, output_hook=lambda _: None)
                assert reply["content"]["status"] == "ok", reply["content"]
            replies = []
            for request in spec["requests"]:
                if "complete" in request:
                    replies.append(client.complete(request["complete"], request["cursor"], reply=True, timeout=240)["content"])
                else:
                    replies.append(client.inspect(request["inspect"], request["cursor"], reply=True, timeout=240)["content"])
            print(json.dumps(replies))
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
        """;

    private JsonArray Ask(string[] cells, JsonArray requests)
    {
        const string name = "mlops-completion-test";
        var prefix = _dir.File("prefix");
        var (installed, _, installError) = Programs.Run(Programs.Mlops, ["kernel", "install", "--prefix", prefix, "--name", name]);
        Assert.True(installed == 0, installError);
        var script = _dir.File("client.py");
        File.WriteAllText(script, Client);
        var input = new JsonObject { ["kernel"] = name, ["cells"] = new JsonArray([.. cells.Select(c => (JsonNode?)c)]), ["requests"] = requests };
        File.WriteAllText(_dir.File("requests.json"), input.ToJsonString());
        var (code, output, error) = Programs.RunTool("/usr/bin/python3", [script, _dir.File("requests.json")], _dir.Path, new Dictionary<string, string?>
        {
            ["JUPYTER_PATH"] = Path.Combine(prefix, "share", "jupyter"),
            ["MLOPS_TRACKING_URI"] = _dir.File("mlops.db"),
        }, timeoutSeconds: 600);
        Assert.True(code == 0, error);
        return JsonNode.Parse(output)!.AsArray();
    }

    private static JsonObject Complete(string code, int cursor) => new() { ["complete"] = code, ["cursor"] = cursor };

    [Fact]
    public void A_cursor_after_an_emoji_counts_code_points_both_ways()
    {
        // "😀" is one code point (Jupyter's unit) and two UTF-16 units (.NET's): the request and the reply count it once.
        var code = "var mood = \"😀\"; var next = churn";
        var cursor = code.EnumerateRunes().Count();
        var replies = Ask(["var churnRate = 0.2;", "var threshold = churnRate * 2;"],
            [Complete(code, cursor), new JsonObject { ["inspect"] = "var mood = \"😀\"; Math.Max(1, 2)", ["cursor"] = "var mood = \"😀\"; Math.Ma".EnumerateRunes().Count() }]);

        var completion = replies[0]!;
        Assert.Equal("ok", (string?)completion["status"]);
        Assert.Equal(["churnRate"], completion["matches"]!.AsArray().Select(m => (string?)m));
        Assert.Equal((cursor - "churn".Length, cursor), ((int)completion["cursor_start"]!, (int)completion["cursor_end"]!));
        var kind = completion["metadata"]!["_jupyter_types_experimental"]![0]!;
        Assert.Equal(("churnRate", cursor - "churn".Length, cursor), ((string?)kind["text"], (int)kind["start"]!, (int)kind["end"]!));

        var hover = replies[1]!;
        Assert.True((bool)hover["found"]!);
        Assert.Contains("Math.Max(int val1, int val2)", (string?)hover["data"]!["text/plain"]);
    }
}
