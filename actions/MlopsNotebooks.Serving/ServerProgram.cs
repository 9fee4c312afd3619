using System.Runtime.InteropServices;

namespace MlopsNotebooks.Serving;

/// <summary>Runs a model server until it is stopped: what <c>mlops serve</c> and the container's Program.cs do.</summary>
public static class ServerProgram
{
    /// <summary>
    /// Starts the server, says where it listens and when it is ready, and serves until <paramref name="stop"/> (or, when
    /// none is given, SIGINT or SIGTERM). A bundle that cannot be served is an <see cref="MlopsException"/>.
    /// </summary>
    public static Task ServeAsync(ServerOptions options, TextWriter output, CancellationToken stop = default) =>
        UntilStoppedAsync(stop, output, async token =>
        {
            var server = await ModelServer.StartAsync(options, token);
            output.WriteLine($"Serving {server.ModelName} version {server.ModelVersion?.ToString() ?? "?"} at {server.Address} (loading the model)");
            await server.Ready;
            var log = options.PredictionLog is { } logged
                ? $"; predictions logged to {Path.GetFullPath(logged.Folder)}{(options.LogSample < 1 ? $" (a share of {options.LogSample.ToString(System.Globalization.CultureInfo.InvariantCulture)} of requests)" : "")}, feedback at {server.Address}feedback"
                : "";
            output.WriteLine($"Ready: POST {server.Address}predict, {server.Address}v2/models/{server.ModelName}/infer; metrics at {server.Address}metrics{log}");
            return server;
        });

    /// <summary><see cref="ServeAsync"/> with its errors printed: exit code 0, or 1 with the message and hint.</summary>
    public static Task<int> RunAsync(ServerOptions options, TextWriter output, TextWriter error, CancellationToken stop = default) =>
        ExitCodeAsync(() => ServeAsync(options, output, stop), error);

    /// <summary>
    /// Starts a server of the kit and keeps it until <paramref name="stop"/> (or, when none is given, SIGINT or SIGTERM),
    /// then disposes of it, which lets its in-flight requests finish.
    /// </summary>
    internal static async Task UntilStoppedAsync(CancellationToken stop, TextWriter output, Func<CancellationToken, Task<IAsyncDisposable>> start)
    {
        using var signals = stop.CanBeCanceled ? null : new CancellationTokenSource();
        using var interrupt = signals is null ? null : PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel(signals));
        using var terminate = signals is null ? null : PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel(signals));
        var token = signals?.Token ?? stop;
        await using var server = await start(token);
        try
        {
            await Task.Delay(Timeout.Infinite, token);
        }
        catch (OperationCanceledException)
        {
            output.WriteLine("Stopping.");
        }
    }

    /// <summary>Runs <paramref name="run"/>: exit code 0, or the error's code with its message and hint printed.</summary>
    internal static async Task<int> ExitCodeAsync(Func<Task> run, TextWriter error)
    {
        try
        {
            await run();
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
