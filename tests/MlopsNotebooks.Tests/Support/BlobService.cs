using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace MlopsNotebooks.Tests.Support;

/// <summary>
/// A blob service from tests/tools (Azurite, s3rver) as a process on a loopback port, with its data in a folder; it can
/// be stopped and started again on the same port and data (the fault tests restart it mid-push). A missing tool fails
/// the test with what to run.
/// </summary>
public sealed class BlobService : IDisposable
{
    private readonly string _tool;
    private readonly Func<int, string[]> _arguments;
    private readonly IDictionary<string, string?>? _environment;
    private Process? _process;

    public BlobService(string tool, Func<int, string[]> arguments, IDictionary<string, string?>? environment = null)
    {
        _tool = Path.Combine(Programs.RepositoryRoot, "tests", "tools", "node_modules", ".bin", tool);
        if (!File.Exists(_tool))
        {
            throw new Xunit.Sdk.XunitException($"{tool} is missing: run npm ci --prefix tests/tools --no-audit --no-fund (./test.sh does it).");
        }
        _arguments = arguments;
        _environment = environment;
        Port = Ports.Free();
        Start();
    }

    public int Port { get; }

    public string Address => $"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Starts the service and waits until it takes connections.</summary>
    public void Start()
    {
        _process = Programs.StartTool(_tool, _arguments(Port), environment: _environment);
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect("127.0.0.1", Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                Thread.Sleep(100);
            }
            catch (SocketException)
            {
                throw new Xunit.Sdk.XunitException($"{Path.GetFileName(_tool)} did not start on port {Port} in 30 s.");
            }
        }
    }

    /// <summary>Stops the service as a shutdown does (SIGTERM: it saves what it holds), or by force after 10 s.</summary>
    public void Stop()
    {
        if (_process is null || _process.HasExited)
        {
            return;
        }
        Programs.RunTool("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        if (!_process.WaitForExit(10_000))
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Stop();
        _process?.Dispose();
    }

    /// <summary>Starts a service shared by the test run, stopped when the process exits.</summary>
    internal static BlobService Shared(string tool, Func<int, string[]> arguments, IDictionary<string, string?>? environment = null)
    {
        var service = new BlobService(tool, arguments, environment);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => service.Dispose();
        return service;
    }
}
