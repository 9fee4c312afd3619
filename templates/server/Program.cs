// The model server as the container runs it: the bundle in MLOPS_BUNDLE (default /model), the address in MLOPS_HOST
// (loopback unless told otherwise: the container's Dockerfile sets 0.0.0.0), port MLOPS_PORT (default 8080).
// `mlops serve` runs the same server for a laptop.
using MlopsNotebooks.Serving;

return await ServerProgram.RunAsync(new ServerOptions(Environment.GetEnvironmentVariable("MLOPS_BUNDLE") ?? "/model")
{
    Host = Environment.GetEnvironmentVariable("MLOPS_HOST") ?? "127.0.0.1",
    Port = int.TryParse(Environment.GetEnvironmentVariable("MLOPS_PORT"), out var port) ? port : 8080,
}, Console.Out, Console.Error);
