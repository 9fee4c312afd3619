using System.Net;
using Microsoft.AspNetCore.Builder;

namespace MlopsNotebooks.Serving;

/// <summary>What the kit's servers (the model server and the traffic proxy) share: where they listen, how they start and stop.</summary>
internal static class ServerApp
{
    /// <summary>The address to listen on; a host or port that cannot be is an <see cref="MlopsException"/>.</summary>
    public static IPAddress ListenAddress(string host, int port)
    {
        if (!IPAddress.TryParse(host == "localhost" ? "127.0.0.1" : host, out var address))
        {
            throw new MlopsException($"'{host}' is not an IP address to listen on.", "Use 127.0.0.1 (the default), 0.0.0.0 for every interface, or ::.");
        }
        if (port is < 0 or > 65535)
        {
            throw new MlopsException($"{port} is not a port.", "Use a port from 1 to 65535, or 0 for a free one.");
        }
        return address;
    }

    /// <summary>Starts listening; a port that is taken disposes of <paramref name="server"/> and is an <see cref="UnavailableException"/>.</summary>
    public static async Task StartAsync(WebApplication app, string host, int port, IAsyncDisposable server, CancellationToken cancellationToken)
    {
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            await server.DisposeAsync();
            throw new UnavailableException($"Cannot listen on {host}:{port}: {e.GetBaseException().Message}",
                "Pick another port with --port (0 picks a free one), or stop what uses this one.", e);
        }
    }

    /// <summary>Stops listening, letting in-flight requests finish, and disposes of the app.</summary>
    public static async Task StopAsync(WebApplication app)
    {
        try
        {
            await app.StopAsync(CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            // it never started
        }
        await app.DisposeAsync();
    }
}
