using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Kernel;

/// <summary>The kernel over Jupyter's messaging protocol, driven by Jupyter's own clients from Debian.</summary>
public sealed class KernelProtocolTests(InstalledKernel kernel) : IClassFixture<InstalledKernel>
{
    [Fact]
    public void Jupyters_kernel_conformance_suite_passes()
    {
        var (code, output, error) = kernel.Python(["-m", "unittest", "-v", "kernel_conformance"]);
        var text = output + error;
        Assert.True(code == 0, text);
        Assert.Contains("Ran 12 tests", text);
        // Each protocol test the class gives samples for ran rather than skipping.
        foreach (var test in new[] { "test_kernel_info", "test_execute_stdout", "test_execute_stderr", "test_error", "test_execute_result", "test_display_data", "test_is_complete", "test_completion", "test_inspect" })
        {
            Assert.Matches($@"{test} \(kernel_conformance\.MlopsKernelTests\.{test}\) \.\.\. (ok|\n)", text);
        }
    }

    [Fact]
    public void A_message_with_a_bad_signature_or_no_delimiter_gets_no_reply_and_the_kernel_still_answers_a_good_one()
    {
        var (result, stderr) = kernel.Drive("bad-signature");
        Assert.False((bool)result["bad_answered"]!);
        Assert.True((bool)result["good_answered"]!);
        Assert.True((bool)result["alive"]!);
        Assert.Contains("dropped a message on shell: bad signature", stderr);
        Assert.Contains("dropped a message on shell: no <IDS|MSG> delimiter", stderr);
        Assert.False((bool)result["key_in_stderr"]!, "the kernel's stderr holds the key");
    }

    [Fact]
    public void A_kernel_the_client_restarts_is_a_new_process_with_a_fresh_session_that_runs_cells()
    {
        var (result, _) = kernel.Drive("restart");
        Assert.Equal("ok", (string?)result["before"]!["reply"]!["status"]);
        Assert.True((bool)result["new_process"]!);
        Assert.Equal("error", (string?)result["gone"]!["reply"]!["status"]);
        Assert.Contains("'before' does not exist", InstalledKernel.Shown(result["gone"]!));
        Assert.Equal("ok", (string?)result["fresh"]!["reply"]!["status"]);
        Assert.Contains("2", InstalledKernel.Shown(result["fresh"]!));
    }

    [Fact]
    public void A_kernel_asked_to_shut_down_ends_cleanly_with_exit_0()
    {
        var (result, stderr) = kernel.Drive("shutdown");
        Assert.Equal("ok", (string?)result["ran"]);
        Assert.True((int)result["exit_code"]! == 0, stderr);
        Assert.DoesNotContain("exception", stderr, StringComparison.OrdinalIgnoreCase);
        Assert.True((double)result["seconds"]! < 10, $"shutdown took {result["seconds"]} s");
    }

    [Fact]
    public void A_failed_cell_that_stops_on_error_aborts_the_cells_queued_behind_it_and_the_kernel_runs_the_next_one()
    {
        var (result, _) = kernel.Drive("abort");
        Assert.Equal("error", (string?)result["failed"]!["status"]);
        Assert.Contains("InvalidOperationException: queued", (string?)result["failed"]!["evalue"]);
        Assert.Equal(["aborted", "aborted"], result["queued"]!.AsArray().Select(s => (string?)s));
        Assert.Equal("ok", (string?)result["next"]!["reply"]!["status"]);
        Assert.Contains("after", InstalledKernel.Shown(result["next"]!));
    }

    [Fact]
    public void Busy_and_idle_surround_every_request_with_the_request_as_parent_and_a_silent_cell_shows_nothing()
    {
        var (result, _) = kernel.Drive("statuses");
        foreach (var request in result["requests"]!.AsArray())
        {
            Assert.Equal(["busy", "idle"], request!["states"]!.AsArray().Select(s => (string?)s));
        }
        Assert.Equal(5, result["requests"]!.AsArray().Count);
        Assert.Empty(result["silent"]!["outputs"]!.AsArray());
        Assert.Equal("ok", (string?)result["silent"]!["reply"]!["status"]);
        // A silent cell is not counted: the next counted cell takes the number after the first.
        Assert.Equal(2, (int?)result["counted"]!["reply"]!["execution_count"]);
    }

    [Fact]
    public void A_missing_or_malformed_connection_file_stops_the_kernel_with_exit_1_and_a_message()
    {
        using var dir = new TempDirectory();
        var missing = Programs.Run(Programs.Mlops, ["kernel", dir.File("nothing.json")]);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("cannot be read", missing.Error);

        File.WriteAllText(dir.File("bad.json"), "{ not json");
        var bad = Programs.Run(Programs.Mlops, ["kernel", dir.File("bad.json")]);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("is not JSON", bad.Error);

        File.WriteAllText(dir.File("ports.json"), """{"transport": "tcp", "ip": "127.0.0.1", "shell_port": "x", "key": "k", "signature_scheme": "hmac-sha256"}""");
        var ports = Programs.Run(Programs.Mlops, ["kernel", dir.File("ports.json")]);
        Assert.Equal(1, ports.ExitCode);
        Assert.Contains("no valid shell_port", ports.Error);

        File.WriteAllText(dir.File("scheme.json"), Connection(Ports.Free()).Replace("hmac-sha256", "hmac-md5"));
        var scheme = Programs.Run(Programs.Mlops, ["kernel", dir.File("scheme.json")]);
        Assert.Equal(1, scheme.ExitCode);
        Assert.Contains("signature scheme \"hmac-md5\"", scheme.Error);
        foreach (var run in new[] { missing, bad, ports, scheme })
        {
            Assert.DoesNotContain("   at ", run.Error);
        }
    }

    [Fact]
    public void A_port_another_program_holds_stops_the_kernel_with_exit_1_naming_the_port()
    {
        using var dir = new TempDirectory();
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var taken = ((IPEndPoint)holder.LocalEndpoint).Port;
        File.WriteAllText(dir.File("connection.json"), Connection(taken));
        var (code, _, error) = Programs.Run(Programs.Mlops, ["kernel", dir.File("connection.json")], timeoutSeconds: 60);
        Assert.Equal(1, code);
        Assert.Contains($"cannot listen on 127.0.0.1:{taken} (shell)", error);
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotContain("secret-key", error);
    }

    private static string Connection(int shellPort) => new JsonObject
    {
        ["transport"] = "tcp", ["ip"] = "127.0.0.1", ["shell_port"] = shellPort, ["iopub_port"] = Ports.Free(), ["stdin_port"] = Ports.Free(),
        ["control_port"] = Ports.Free(), ["hb_port"] = Ports.Free(), ["key"] = "secret-key", ["signature_scheme"] = "hmac-sha256",
    }.ToJsonString();
}
