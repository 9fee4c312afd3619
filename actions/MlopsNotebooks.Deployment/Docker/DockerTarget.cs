using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.Net;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace MlopsNotebooks.Deployment.Docker;

/// <summary>
/// One machine's deployments on a Docker engine. Each environment of a model has a stable address, a proxy container
/// the kit runs (the model image itself, started as <c>mlops-server proxy</c>), and one container per version on a
/// network of its own. A deploy starts the new version beside the old, waits until it is ready, smoke-tests it with the
/// sample input baked into its image, then moves traffic through the proxy: all at once (blue-green) or step by step
/// while the canary's metrics are judged. The old version is drained before it stops. Until traffic moves, any failure
/// removes the new version and leaves the old one serving; a canary that breaks its rules is rolled back the same way.
/// </summary>
public sealed class DockerTarget(IDockerClient docker, DockerTargetOptions options, HttpClient http) : IDeploymentTarget
{
    internal const string DeploymentLabel = "io.mlopsnotebooks.deployment";
    internal const string RoleLabel = "io.mlopsnotebooks.role";
    private const int ServerPort = 8080;
    private const string RoutesFile = "/tmp/routes.json";

    public async Task<DeploymentOutcome> DeployAsync(DeploymentRequest request, IProgress<string> log, CancellationToken cancellationToken)
    {
        request.Canary?.Check();
        var deployment = DeploymentName(request.Model, request.Environment);
        await EnsureImageAsync(request.Image, cancellationToken);
        await EnsureNetworkAsync(deployment, cancellationToken);
        var proxy = await EnsureProxyAsync(deployment, request.Image, log, cancellationToken);
        var status = await proxy.StatusAsync(cancellationToken);
        var others = await VersionsAsync(deployment, cancellationToken);
        var serving = status.Destinations.Where(d => d.Weight > 0).OrderByDescending(d => d.Weight).Select(d => others.FirstOrDefault(o => o.Name == d.Name)).FirstOrDefault(o => o is not null);

        var candidate = await StartVersionAsync(deployment, request, log, cancellationToken);
        var promoted = false;
        try
        {
            try
            {
                await WaitReadyAsync(candidate, log, cancellationToken);
                await SmokeTestAsync(candidate, log, cancellationToken);
            }
            catch (Exception e) when (e is MlopsException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return new DeploymentOutcome(DeploymentStatus.RolledBack,
                    $"{request.Model}/{request.Version} was not deployed to {request.Environment}: {e.Message} " +
                    (serving is null ? "Nothing was serving there before." : $"{serving.Name} keeps serving."), []);
            }

            if (request.Canary is { } canary)
            {
                if (serving is null)
                {
                    log.Report("No version serves this environment yet: nothing to compare a canary with, so the new version takes all traffic.");
                }
                else if (await CanaryAsync(proxy, serving, candidate, canary, log, cancellationToken) is { } verdict)
                {
                    log.Report($"Rolling back: {verdict}");
                    return new DeploymentOutcome(DeploymentStatus.RolledBack,
                        $"{request.Model}/{request.Version} was rolled back in {request.Environment}: {verdict} {serving.Name} serves all traffic again.", []);
                }
            }

            // Promote: the new version takes every new request, the old ones finish theirs, then stop.
            var leaving = others.Where(o => o.Name != candidate.Name).ToList();
            await proxy.RouteAsync([new(candidate.Name, candidate.Address, 100), .. leaving.Select(o => new ProxyDestination(o.Name, o.Address, 0))], cancellationToken);
            promoted = true;
            log.Report($"Traffic: {candidate.Name} 100%.");
            foreach (var old in leaving)
            {
                await proxy.DrainAsync(old.Name, options.DrainTimeout, cancellationToken);
            }
            await proxy.RouteAsync([new(candidate.Name, candidate.Address, 100)], cancellationToken);
            foreach (var old in leaving)
            {
                await RemoveAsync(old.Id);
                log.Report($"Stopped {old.Name}.");
            }
            return new DeploymentOutcome(DeploymentStatus.Promoted,
                $"{request.Model}/{request.Version} serves {request.Environment} at {proxy.Address}.", []);
        }
        finally
        {
            if (!promoted)
            {
                await WithdrawAsync(proxy, serving, candidate, log);
            }
        }
    }

    /// <summary>
    /// Whatever stopped a deploy before the new version took all traffic (a failed check, a broken canary step, an error,
    /// a cancelled command): the old version gets every request back, the new one finishes what it holds and is removed.
    /// </summary>
    private async Task WithdrawAsync(ProxyControl proxy, VersionContainer? serving, VersionContainer candidate, IProgress<string> log)
    {
        using var bounded = new CancellationTokenSource(options.DrainTimeout + TimeSpan.FromSeconds(30));
        try
        {
            var status = await proxy.StatusAsync(bounded.Token);
            if (serving is not null && status.Destinations.Any(d => d.Name == candidate.Name))
            {
                await proxy.RouteAsync([new(serving.Name, serving.Address, 100), new(candidate.Name, candidate.Address, 0)], bounded.Token);
                await proxy.DrainAsync(candidate.Name, options.DrainTimeout, bounded.Token);
                await proxy.RouteAsync([new(serving.Name, serving.Address, 100)], bounded.Token);
            }
        }
        catch (Exception e) when (e is MlopsException or HttpRequestException or OperationCanceledException)
        {
            log.Report($"Could not give {serving?.Name ?? "the old version"} its traffic back through the proxy: {e.Message}");
        }
        await RemoveAsync(candidate.Id);
        log.Report($"Removed {candidate.Name}.");
    }

    /// <summary>Container and network names: mlops-{model}-{environment}, which Docker's name rules accept for every model name the registry takes.</summary>
    internal static string DeploymentName(string model, string environment) => $"mlops-{model}-{environment}";

    /// <summary>Walks the canary's steps; null when every step passed, else why it failed.</summary>
    private async Task<string?> CanaryAsync(ProxyControl proxy, VersionContainer serving, VersionContainer candidate, CanaryPolicy canary, IProgress<string> log, CancellationToken cancellationToken)
    {
        foreach (var share in canary.Steps)
        {
            await proxy.RouteAsync([new(serving.Name, serving.Address, 100 - share), new(candidate.Name, candidate.Address, share)], cancellationToken);
            log.Report($"Canary: {candidate.Name} {share}%, {serving.Name} {100 - share}%.");
            var verdict = await JudgeStepAsync(serving, candidate, canary, cancellationToken);
            if (verdict.Failed)
            {
                return verdict.Reason;
            }
            log.Report($"Canary step {share}% passed: {verdict.Reason}");
        }
        return null;
    }

    private async Task<CanaryJudgement> JudgeStepAsync(VersionContainer serving, VersionContainer candidate, CanaryPolicy canary, CancellationToken cancellationToken)
    {
        string before, servingBefore;
        try
        {
            before = await ScrapeAsync(candidate, cancellationToken);
            servingBefore = await ScrapeAsync(serving, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            return CanaryJudgement.Fail($"the metrics of {candidate.Name} or {serving.Name} could not be read: {e.Message}");
        }
        // A step with too few requests to judge is held once more; still too few, and nothing is promoted without evidence.
        for (var attempt = 0; ; attempt++)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < canary.StepDuration)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, Math.Max(50, canary.StepDuration.TotalMilliseconds / 10))), cancellationToken);
                if (!await RunningAsync(candidate.Id, cancellationToken))
                {
                    return CanaryJudgement.Fail($"{candidate.Name} stopped during the canary step.");
                }
            }
            string after, servingAfter;
            try
            {
                after = await ScrapeAsync(candidate, cancellationToken);
                servingAfter = await ScrapeAsync(serving, cancellationToken);
            }
            catch (HttpRequestException e)
            {
                return CanaryJudgement.Fail($"the metrics of {candidate.Name} or {serving.Name} could not be read: {e.Message}");
            }
            var verdict = CanaryJudgement.Of(before, after, servingBefore, servingAfter, canary);
            if (!verdict.NotEnoughRequests || attempt == 1)
            {
                return verdict.NotEnoughRequests ? CanaryJudgement.Fail($"too few requests reached {candidate.Name} to judge it ({verdict.Reason}).") : verdict;
            }
        }
    }

    private Task<string> ScrapeAsync(VersionContainer version, CancellationToken cancellationToken) =>
        http.GetStringAsync(new Uri(version.Probe, "/metrics"), cancellationToken);

    private async Task EnsureImageAsync(string image, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Images.InspectImageAsync(image, cancellationToken);
        }
        catch (DockerImageNotFoundException)
        {
            throw new MlopsException($"The Docker engine has no image {image}.",
                "Build it with `mlops containerize`, or pull it first (docker pull, after docker login for a private registry).");
        }
    }

    private async Task EnsureNetworkAsync(string deployment, CancellationToken cancellationToken)
    {
        var networks = await docker.Networks.ListNetworksAsync(new NetworksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["name"] = new Dictionary<string, bool> { [deployment] = true } },
        }, cancellationToken);
        if (!networks.Any(n => n.Name == deployment))
        {
            await docker.Networks.CreateNetworkAsync(new NetworksCreateParameters
            {
                Name = deployment,
                Driver = "bridge",
                Labels = new Dictionary<string, string> { [DeploymentLabel] = deployment },
            }, cancellationToken);
        }
    }

    private async Task<ProxyControl> EnsureProxyAsync(string deployment, string image, IProgress<string> log, CancellationToken cancellationToken)
    {
        var name = deployment + "-proxy";
        var found = (await ListAsync(deployment, "proxy", cancellationToken)).FirstOrDefault();
        var address = new Uri($"http://{ProbeHost}:{options.Port.ToString(CultureInfo.InvariantCulture)}");
        if (found is null)
        {
            var created = await docker.Containers.CreateContainerAsync(new CreateContainerParameters
            {
                Name = name,
                Image = image,
                Cmd = ["proxy"],
                Env = ["MLOPS_HOST=0.0.0.0", $"MLOPS_PORT={ServerPort}", $"MLOPS_ROUTES={RoutesFile}"],
                Labels = new Dictionary<string, string> { [DeploymentLabel] = deployment, [RoleLabel] = "proxy" },
                ExposedPorts = new Dictionary<string, EmptyStruct> { [$"{ServerPort}/tcp"] = default },
                HostConfig = new HostConfig
                {
                    NetworkMode = deployment,
                    RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.UnlessStopped },
                    PortBindings = new Dictionary<string, IList<PortBinding>>
                    {
                        [$"{ServerPort}/tcp"] = [new PortBinding { HostIP = options.Bind, HostPort = options.Port.ToString(CultureInfo.InvariantCulture) }],
                    },
                },
            }, cancellationToken);
            try
            {
                await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
            }
            catch (DockerApiException e)
            {
                await RemoveAsync(created.ID);
                throw new MlopsException($"The proxy of {deployment} could not start on {options.Bind}:{options.Port}: {EngineMessage(e)}",
                    "Choose a free port with --port, or stop what listens there.");
            }
            log.Report($"Started the proxy {name} at {address}.");
            found = new ContainerListResponse { ID = created.ID };
        }
        else if (found.State != "running")
        {
            await docker.Containers.StartContainerAsync(found.ID, new ContainerStartParameters(), cancellationToken);
        }
        var proxy = new ProxyControl(docker, http, found.ID, address, RoutesFile);
        await proxy.WaitAnsweringAsync(options.ReadyTimeout, cancellationToken);
        return proxy;
    }

    private async Task<IReadOnlyList<VersionContainer>> VersionsAsync(string deployment, CancellationToken cancellationToken)
    {
        var versions = new List<VersionContainer>();
        foreach (var container in await ListAsync(deployment, "model", cancellationToken))
        {
            versions.Add(await DescribeAsync(container.ID, cancellationToken));
        }
        return versions;
    }

    private Task<IList<ContainerListResponse>> ListAsync(string deployment, string role, CancellationToken cancellationToken) =>
        docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{DeploymentLabel}={deployment}"] = true, [$"{RoleLabel}={role}"] = true },
            },
        }, cancellationToken);

    private async Task<VersionContainer> StartVersionAsync(string deployment, DeploymentRequest request, IProgress<string> log, CancellationToken cancellationToken)
    {
        var name = $"{deployment}-v{request.Version.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid().ToString("N")[..6]}";
        var host = new HostConfig
        {
            NetworkMode = deployment,
            RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.UnlessStopped },
            // Published on the bind address for the deploy's own probes; clients go through the proxy.
            PortBindings = new Dictionary<string, IList<PortBinding>> { [$"{ServerPort}/tcp"] = [new PortBinding { HostIP = options.Bind, HostPort = "" }] },
        };
        if (options.Cpus is { } cpus)
        {
            host.NanoCPUs = (long)(cpus * 1e9);
        }
        if (options.MemoryBytes is { } memory)
        {
            host.Memory = memory;
        }
        var created = await docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = name,
            Image = request.Image,
            Labels = new Dictionary<string, string> { [DeploymentLabel] = deployment, [RoleLabel] = "model" },
            ExposedPorts = new Dictionary<string, EmptyStruct> { [$"{ServerPort}/tcp"] = default },
            HostConfig = host,
        }, cancellationToken);
        log.Report($"Starting {name} from {request.Image}.");
        try
        {
            await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
            return await DescribeAsync(created.ID, cancellationToken);
        }
        catch (DockerApiException e)
        {
            await RemoveAsync(created.ID);
            throw new MlopsException($"{name} could not start: {EngineMessage(e)}", "Check the image with `docker run` and the engine's log.");
        }
    }

    private async Task<VersionContainer> DescribeAsync(string id, CancellationToken cancellationToken)
    {
        var inspected = await docker.Containers.InspectContainerAsync(id, cancellationToken);
        var name = inspected.Name.TrimStart('/');
        var published = inspected.NetworkSettings?.Ports is { } ports && ports.TryGetValue($"{ServerPort}/tcp", out var bindings) && bindings?.Count > 0
            ? bindings[0].HostPort : null;
        var probe = new Uri($"http://{ProbeHost}:{published ?? "0"}");
        return new VersionContainer(id, name, new Uri($"http://{name}:{ServerPort}"), probe);
    }

    private async Task WaitReadyAsync(VersionContainer version, IProgress<string> log, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (!await RunningAsync(version.Id, cancellationToken))
            {
                throw new MlopsException($"{version.Name} exited before it was ready. Its last lines:\n{await LogTailAsync(version.Id, cancellationToken)}");
            }
            try
            {
                using var answer = await http.GetAsync(new Uri(version.Probe, "/v2/health/ready"), cancellationToken);
                if (answer.StatusCode == HttpStatusCode.OK)
                {
                    log.Report($"{version.Name} is ready after {clock.Elapsed.TotalSeconds:0.0} s.");
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            if (clock.Elapsed > options.ReadyTimeout)
            {
                throw new MlopsException($"{version.Name} was not ready after {options.ReadyTimeout.TotalSeconds:0} s. Its last lines:\n{await LogTailAsync(version.Id, cancellationToken)}");
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>Predicts the sample input the image carries (the bundle's sample-input.json), through the new version's own port.</summary>
    private async Task SmokeTestAsync(VersionContainer version, IProgress<string> log, CancellationToken cancellationToken)
    {
        string sample;
        try
        {
            var archive = await docker.Containers.GetArchiveFromContainerAsync(version.Id, new GetArchiveFromContainerParameters { Path = "/model/sample-input.json" }, false, cancellationToken);
            using var stream = archive.Stream;
            using var tar = new TarReader(stream);
            var entry = await tar.GetNextEntryAsync(copyData: true, cancellationToken) ?? throw new InvalidDataException("empty archive");
            using var reader = new StreamReader(entry.DataStream!, Encoding.UTF8);
            sample = await reader.ReadToEndAsync(cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
            throw new MlopsException($"{version.Name} stopped before its smoke test.");
        }
        catch (DockerApiException e)
        {
            throw new MlopsException($"The image of {version.Name} has no /model/sample-input.json to smoke-test with ({EngineMessage(e)}); build it with `mlops containerize`.");
        }
        using var content = new StringContent(sample, Encoding.UTF8, "application/json");
        using var answer = await http.PostAsync(new Uri(version.Probe, "/predict"), content, cancellationToken);
        var body = await answer.Content.ReadAsStringAsync(cancellationToken);
        if (answer.StatusCode != HttpStatusCode.OK)
        {
            throw new MlopsException($"The smoke test of {version.Name} failed: POST /predict of its sample input answered {(int)answer.StatusCode} {Shorten(body)}.");
        }
        log.Report($"Smoke test of {version.Name} passed: {Shorten(body)}");
    }

    private async Task<bool> RunningAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            var inspected = await docker.Containers.InspectContainerAsync(id, cancellationToken);
            return inspected.State.Running && !inspected.State.Restarting;
        }
        catch (DockerContainerNotFoundException)
        {
            return false;
        }
    }

    private async Task<string> LogTailAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            using var stream = await docker.Containers.GetContainerLogsAsync(id, tty: false, new ContainerLogsParameters { ShowStdout = true, ShowStderr = true, Tail = "20" }, cancellationToken);
            var (stdout, stderr) = await stream.ReadOutputToEndAsync(cancellationToken);
            return (stdout + stderr).TrimEnd();
        }
        catch (DockerApiException e)
        {
            return $"(no log: {EngineMessage(e)})";
        }
    }

    /// <summary>Stops (Kestrel finishes what it holds within the grace period) and removes a container; gone already is fine.</summary>
    private async Task RemoveAsync(string id)
    {
        try
        {
            await docker.Containers.StopContainerAsync(id, new ContainerStopParameters { WaitBeforeKillSeconds = 10 }, CancellationToken.None);
        }
        catch (DockerApiException)
        {
            // Not running, or gone.
        }
        try
        {
            await docker.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true }, CancellationToken.None);
        }
        catch (DockerContainerNotFoundException)
        {
        }
    }

    private string ProbeHost => options.Bind is "0.0.0.0" or "::" or "" ? "127.0.0.1" : options.Bind;

    internal static string EngineMessage(DockerApiException e) => e.ResponseBody is { Length: > 0 } body ? body.Trim() : e.Message;

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "...";

    private sealed record VersionContainer(string Id, string Name, Uri Address, Uri Probe);
}
