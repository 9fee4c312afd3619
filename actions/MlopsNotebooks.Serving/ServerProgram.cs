using System.Runtime.InteropServices;

namespace MlopsNotebooks.Serving;

/// <summary>Runs a model server until it is stopped: what <c>mlops serve</c> and the container's Program.cs do.</summary>
public static class ServerProgram
{
    /// <summary>
    /// Starts the server, says where it listens and when it is ready, and serves until <paramref name="stop"/> (or, when
    /// none is given, SIGINT or SIGTERM). A bundle that cannot be served is an <see cref="MlopsException"/>.
    /// </summary>
    public static async Task ServeAsync(ServerOptions options, TextWriter output, CancellationToken stop = default)
    {
        using var signals = stop.CanBeCanceled ? null : new CancellationTokenSource();
        using var interrupt = signals is null ? null : PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel(signals));
        using var terminate = signals is null ? null : PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel(signals));
        var token = signals?.Token ?? stop;
        await using var server = await ModelServer.StartAsync(options, token);
        output.WriteLine($"Serving {server.ModelName} version {server.ModelVersion?.ToString() ?? "?"} at {server.Address} (loading the model)");
        await server.Ready;
        output.WriteLine($"Ready: POST {server.Address}predict, {server.Address}v2/models/{server.ModelName}/infer; metrics at {server.Address}metrics");
        try
        {
            await Task.Delay(Timeout.Infinite, token);
        }
        catch (OperationCanceledException)
        {
            output.WriteLine("Stopping.");
        }
    }

    /// <summary><see cref="ServeAsync"/> with its errors printed: exit code 0, or 1 with the message and hint.</summary>
    public static async Task<int> RunAsync(ServerOptions options, TextWriter output, TextWriter error, CancellationToken stop = default)
    {
        try
        {
            await ServeAsync(options, output, stop);
            return 0;
        }
        catch (MlopsException e)
        {
            error.WriteLine($"error: {e.Describe()}");
            return ErrorKinds.ExitCode(e.Kind);
        }
    }

    private static Action<PosixSignalContext> Cancel(CancellationTokenSource source) => context =>
    {
        context.Cancel = true; // stop the server, not the process: the hook and the host finish first
        source.Cancel();
    };
}
