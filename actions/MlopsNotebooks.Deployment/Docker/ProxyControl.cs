using System.Diagnostics;
using System.Formats.Tar;
using System.Text;
using System.Text.Json.Nodes;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace MlopsNotebooks.Deployment.Docker;

/// <summary>What the proxy says it routes: the generation of the routes it applied, the last routes file it refused, and each destination's in-flight requests.</summary>
internal sealed record ProxyStatus(long Generation, string? Error, IReadOnlyList<(string Name, int Weight, int InFlight)> Destinations);

/// <summary>
/// Moves an environment's traffic: writes the proxy's routes file into its container through the engine's archive API
/// (so it works wherever the engine is) and waits until the proxy reports the new generation applied.
/// </summary>
internal sealed class ProxyControl(IDockerClient docker, HttpClient http, string container, Uri address, string routesFile)
{
    public Uri Address { get; } = address;

    public async Task WaitAnsweringAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await StatusAsync(cancellationToken);
                return;
            }
            catch (HttpRequestException) when (clock.Elapsed < timeout)
            {
                await Task.Delay(100, cancellationToken);
            }
            catch (HttpRequestException e)
            {
                throw new MlopsException($"The proxy at {Address} did not answer within {timeout.TotalSeconds:0} s: {e.Message}",
                    "Look at its log with `docker logs`; another program may hold the port.");
            }
        }
    }

    public async Task<ProxyStatus> StatusAsync(CancellationToken cancellationToken)
    {
        var status = JsonNode.Parse(await http.GetStringAsync(new Uri(Address, "/-/proxy"), cancellationToken))!;
        return new ProxyStatus(
            (long?)status["generation"] ?? 0,
            (string?)status["error"],
            (status["destinations"] as JsonArray ?? []).Select(d => ((string)d!["name"]!, (int)d["weight"]!, (int?)d["in_flight"] ?? 0)).ToList());
    }

    /// <summary>Applies new routes and returns once the proxy serves them.</summary>
    public async Task RouteAsync(IReadOnlyList<ProxyDestination> destinations, CancellationToken cancellationToken)
    {
        var generation = (await StatusAsync(cancellationToken)).Generation + 1;
        using var archive = new MemoryStream();
        await using (var tar = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
        {
            // The proxy's own format, written by the type it parses with.
            var bytes = Encoding.UTF8.GetBytes(new ProxyRoutes(generation, destinations).ToJson());
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, Path.GetFileName(routesFile))
            {
                DataStream = new MemoryStream(bytes),
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                ModificationTime = DateTimeOffset.UtcNow,
            }, cancellationToken);
        }
        archive.Position = 0;
        await docker.Containers.ExtractArchiveToContainerAsync(container, new ContainerPathStatParameters { Path = Path.GetDirectoryName(routesFile)! }, archive, cancellationToken);

        var clock = Stopwatch.StartNew();
        while (true)
        {
            var status = await StatusAsync(cancellationToken);
            if (status.Generation >= generation)
            {
                return;
            }
            if (clock.Elapsed > TimeSpan.FromSeconds(15))
            {
                throw new MlopsException($"The proxy at {Address} did not apply routes generation {generation}{(status.Error is null ? "" : $": {status.Error}")}.",
                    "Look at the proxy's log with `docker logs`.");
            }
            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>Waits until a destination that takes no new requests has finished the ones it holds, up to <paramref name="timeout"/>.</summary>
    public async Task DrainAsync(string name, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            var status = await StatusAsync(cancellationToken);
            if (!status.Destinations.Any(d => d.Name == name && d.InFlight > 0))
            {
                return;
            }
            await Task.Delay(50, cancellationToken);
        }
    }
}
