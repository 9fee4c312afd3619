using System.CommandLine;
using System.Globalization;
using MlopsNotebooks.Monitoring;
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
        var log = new Option<string?>("--log-predictions") { Description = "Log predictions to this folder (JSON Lines, rotated) and take labels at POST /feedback." };
        var sample = new Option<string>("--log-sample") { Description = "The share of requests logged, more than 0 and at most 1.", DefaultValueFactory = _ => "1" };
        var flush = new Option<string>("--log-flush-interval") { Description = "How often logged lines reach the disk: what a crash can lose.", DefaultValueFactory = _ => "1s" };
        var fileBytes = new Option<long>("--log-max-file-bytes") { Description = "A log file that would grow past this is closed and the next begins.", DefaultValueFactory = _ => 64L * 1024 * 1024 };
        return new Command("serve", "Serve a model over HTTP: the Open Inference Protocol (V2), POST /predict and GET /metrics.") { model, port, host, maxBody, log, sample, flush, fileBytes }
            .Handles(parse => new ServeSettings(parse.GetValue(model)!, parse.GetValue(port), parse.GetValue(host)!, parse.GetValue(maxBody))
            {
                LogFolder = parse.GetValue(log),
                LogSample = Share(parse.GetValue(sample)!),
                LogFlushInterval = Arguments.Duration(parse.GetValue(flush)!, "--log-flush-interval"),
                LogMaxFileBytes = parse.GetValue(fileBytes),
            }, Serve);
    }

    public static async Task<int> Serve(ServeSettings settings, CliContext cli, CancellationToken stop)
    {
        if (settings.MaxBodyBytes < 1)
        {
            throw new MlopsException($"--max-body-bytes {settings.MaxBodyBytes} is not a size.", "Give a number of bytes, e.g. 1048576.");
        }
        if (settings.LogFlushInterval <= TimeSpan.Zero)
        {
            throw new MlopsException("--log-flush-interval must be more than zero.", "Give a duration such as 1s or 5s.");
        }
        if (settings.LogMaxFileBytes < 1)
        {
            throw new MlopsException($"--log-max-file-bytes {settings.LogMaxFileBytes} is not a size.", "Give a number of bytes, e.g. 67108864.");
        }
        return await RegisteredBundle.UseAsync(settings.Model, cli, async bundle =>
        {
            var options = new ServerOptions(bundle)
            {
                Host = settings.Host,
                Port = settings.Port,
                MaxBodyBytes = settings.MaxBodyBytes,
                PredictionLog = settings.LogFolder is { } folder ? new PredictionLogOptions(folder) { FlushInterval = settings.LogFlushInterval, MaxFileBytes = settings.LogMaxFileBytes } : null,
                LogSample = settings.LogSample,
            };
            await ServerProgram.ServeAsync(options, cli.Output, stop);
            return MlopsCli.Ok;
        });
    }

    /// <summary>--log-sample: a share of requests, more than 0 and at most 1.</summary>
    private static double Share(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var share) && share is > 0 and <= 1
            ? share
            : throw new MlopsException($"--log-sample '{text}' is not a share of requests.", "Give a number more than 0 and at most 1, e.g. 0.1 to log one request in ten.");
}

/// <summary><c>mlops serve</c>: what to serve and where, and where its predictions are logged (none when <see cref="LogFolder"/> is null).</summary>
internal sealed record ServeSettings(string Model, int Port, string Host, long MaxBodyBytes)
{
    public string? LogFolder { get; init; }

    public double LogSample { get; init; } = 1;

    public TimeSpan LogFlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    public long LogMaxFileBytes { get; init; } = 64L * 1024 * 1024;
}
