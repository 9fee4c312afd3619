using Docker.DotNet;

namespace MlopsNotebooks.Deployment.Containers;

/// <summary>
/// The Docker engine the containers run on: the one DOCKER_HOST names (unix:// or tcp://), else the local socket. The
/// client speaks the engine's own API version (none is pinned), so Debian's 20.10 (API 1.41) and newer engines both work.
/// </summary>
public static class DockerEngine
{
    public const string DefaultEndpoint = "unix:///var/run/docker.sock";

    private const string Hint = "Start the engine (dockerd, or Docker Desktop), or point DOCKER_HOST at one, e.g. unix:///var/run/docker.sock or tcp://127.0.0.1:2375.";

    /// <summary>The engine's address: DOCKER_HOST when set, else the local socket.</summary>
    public static Uri Endpoint()
    {
        var text = Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } set ? set : DefaultEndpoint;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("unix" or "tcp" or "npipe"))
        {
            throw new MlopsException($"DOCKER_HOST is '{text}', which is not an engine address.", "Use unix:///path/to/docker.sock or tcp://host:port, or unset it for the local socket.");
        }
        return uri;
    }

    /// <summary>A client of the engine, once it has answered a ping; an engine that does not answer is a clear error.</summary>
    public static async Task<DockerClient> ConnectAsync(CancellationToken cancellationToken = default)
    {
        var endpoint = Endpoint();
        var client = new DockerClientConfiguration(endpoint, defaultTimeout: Timeout.InfiniteTimeSpan).CreateClient();
        try
        {
            using var ping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            ping.CancelAfter(TimeSpan.FromSeconds(10));
            await client.System.PingAsync(ping.Token);
            return client;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or System.Net.Sockets.SocketException or DockerApiException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            client.Dispose();
            throw new UnavailableException($"No Docker engine answers at {endpoint}: {Innermost(e).Message}", Hint, e);
        }
    }

    /// <summary>The engine's own words for a failure of one of its calls (its JSON body carries a "message").</summary>
    internal static string Message(DockerApiException e)
    {
        try
        {
            return System.Text.Json.JsonDocument.Parse(e.ResponseBody).RootElement.GetProperty("message").GetString() ?? e.ResponseBody;
        }
        catch (Exception parse) when (parse is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or ArgumentNullException)
        {
            return string.IsNullOrWhiteSpace(e.ResponseBody) ? e.StatusCode.ToString() : e.ResponseBody.Trim();
        }
    }

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);
}
