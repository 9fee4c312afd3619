// The model server as the container runs it: the bundle in MLOPS_BUNDLE (default /model), the address in MLOPS_HOST
// (loopback unless told otherwise: the container's Dockerfile sets 0.0.0.0), port MLOPS_PORT (default 8080).
// `mlops-server proxy` runs the traffic proxy of blue-green and canary deploys from the same image instead, with its
// routes file in MLOPS_ROUTES (default /config/routes.json). `mlops serve` and `mlops proxy` run the same for a laptop.
// Predictions are logged only when MLOPS_PREDICTION_LOG names a folder: mount one the server's user (1654) can write,
// e.g. `install -d -o 1654 -g 1654 ./predictions` and `docker run -v "$PWD/predictions:/predictions"
// -e MLOPS_PREDICTION_LOG=/predictions ...`; MLOPS_LOG_SAMPLE (default 1) logs a share of the requests.
using System.Globalization;
using MlopsNotebooks.Monitoring;
using MlopsNotebooks.Serving;
using MlopsNotebooks.Serving.Proxy;

var host = Environment.GetEnvironmentVariable("MLOPS_HOST") ?? "127.0.0.1";
var port = int.TryParse(Environment.GetEnvironmentVariable("MLOPS_PORT"), out var number) ? number : 8080;
var log = Environment.GetEnvironmentVariable("MLOPS_PREDICTION_LOG") is { Length: > 0 } folder ? new PredictionLogOptions(folder) : null;
// A sample that is not a number is passed on as one the server refuses, with its message, rather than ignored.
var sample = Environment.GetEnvironmentVariable("MLOPS_LOG_SAMPLE") is { Length: > 0 } share
    ? double.TryParse(share, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) ? r : double.NaN
    : 1;
return args switch
{
    [] => await ServerProgram.RunAsync(new ServerOptions(Environment.GetEnvironmentVariable("MLOPS_BUNDLE") ?? "/model") { Host = host, Port = port, PredictionLog = log, LogSample = sample },
        Console.Out, Console.Error),
    ["proxy"] => await ProxyProgram.RunAsync(new ProxyOptions(Environment.GetEnvironmentVariable("MLOPS_ROUTES") ?? "/config/routes.json") { Host = host, Port = port },
        Console.Out, Console.Error),
    _ => Usage(),
};

int Usage()
{
    Console.Error.WriteLine($"error: unknown arguments '{string.Join(' ', args)}'.");
    Console.Error.WriteLine("Run mlops-server with no arguments to serve the model in MLOPS_BUNDLE, or `mlops-server proxy` to run the traffic proxy.");
    return 2;
}
