using System.CommandLine;
using MlopsNotebooks.Serving;

namespace MlopsNotebooks.Cli.Serve;

/// <summary><c>mlops serve</c>: the model server as a process, for a laptop and for tests; the container runs the same.</summary>
internal static class ServeCommands
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "name@alias or name/3 (a registered version), or an export bundle's folder." };
        var port = new Option<int>("--port") { Description = "The port (0 picks a free one).", DefaultValueFactory = _ => 8080 };
        var host = new Option<string>("--host") { Description = "The address to listen on; 0.0.0.0 for every interface.", DefaultValueFactory = _ => "127.0.0.1" };
        var maxBody = new Option<long>("--max-body-bytes") { Description = "Larger request bodies are refused with 413.", DefaultValueFactory = _ => 1024 * 1024 };
        return new Command("serve", "Serve a model over HTTP: the Open Inference Protocol (V2), POST /predict and GET /metrics.") { model, port, host, maxBody }
            .Handles(parse => new ServeSettings(parse.GetValue(model)!, parse.GetValue(port), parse.GetValue(host)!, parse.GetValue(maxBody)), Serve);
    }

    public static async Task<int> Serve(ServeSettings settings, CliContext cli, CancellationToken stop)
    {
        if (settings.MaxBodyBytes < 1)
        {
            throw new MlopsException($"--max-body-bytes {settings.MaxBodyBytes} is not a size.", "Give a number of bytes, e.g. 1048576.");
        }
        return await RegisteredBundle.UseAsync(settings.Model, cli, async bundle =>
        {
            var options = new ServerOptions(bundle) { Host = settings.Host, Port = settings.Port, MaxBodyBytes = settings.MaxBodyBytes };
            await ServerProgram.ServeAsync(options, cli.Output, stop);
            return MlopsCli.Ok;
        });
    }
}

/// <summary><c>mlops serve</c>: what to serve and where.</summary>
internal sealed record ServeSettings(string Model, int Port, string Host, long MaxBodyBytes);
