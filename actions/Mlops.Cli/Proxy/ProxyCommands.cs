using System.CommandLine;
using MlopsNotebooks.Serving.Proxy;

namespace MlopsNotebooks.Cli.Proxy;

/// <summary><c>mlops proxy</c>: the traffic proxy of blue-green and canary deploys as a process, for a laptop and for tests; the container runs the same.</summary>
internal static class ProxyCommands
{
    public static Command Create()
    {
        var routes = new Option<string>("--routes") { Description = "The routes file to watch: {\"generation\", \"destinations\": [{\"name\", \"address\", \"weight\"}]}.", Required = true };
        var port = new Option<int>("--port") { Description = "The port (0 picks a free one).", DefaultValueFactory = _ => 8080 };
        var host = new Option<string>("--host") { Description = "The address to listen on; 0.0.0.0 for every interface.", DefaultValueFactory = _ => "127.0.0.1" };
        return new Command("proxy", "Forward requests to model servers by the weights of a routes file; GET /-/proxy says what serves.") { routes, port, host }
            .Handles(parse => new ProxySettings(parse.GetValue(routes)!, parse.GetValue(port), parse.GetValue(host)!), Proxy);
    }

    public static async Task<int> Proxy(ProxySettings settings, CliContext cli, CancellationToken stop)
    {
        await ProxyProgram.ProxyAsync(new ProxyOptions(Path.GetFullPath(settings.Routes)) { Host = settings.Host, Port = settings.Port }, cli.Output, stop);
        return MlopsCli.Ok;
    }
}

/// <summary><c>mlops proxy</c>: which routes file, and where to listen.</summary>
internal sealed record ProxySettings(string Routes, int Port, string Host);
