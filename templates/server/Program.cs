// The model server as the container runs it: the bundle in MLOPS_BUNDLE (default /model), every interface, port
// MLOPS_PORT (default 8080). `mlops serve` runs the same server for a laptop.
using MlopsNotebooks.Serving;

return await ServerProgram.RunAsync(new ServerOptions(Environment.GetEnvironmentVariable("MLOPS_BUNDLE") ?? "/model")
{
    Host = Environment.GetEnvironmentVariable("MLOPS_HOST") ?? "0.0.0.0",
    Port = int.TryParse(Environment.GetEnvironmentVariable("MLOPS_PORT"), out var port) ? port : 8080,
}, Console.Out, Console.Error);
