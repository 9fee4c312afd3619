using System.Collections.Concurrent;
using System.Formats.Tar;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Docker.DotNet.Models;
using Microsoft.ML;
using MlopsNotebooks.Registry;
using MlopsNotebooks.Tests.Serving;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Containers;

/// <summary>
/// `mlops deploy --target docker` on a real engine: the proxy container, blue-green under load, a canary promoted and
/// one rolled back, versions that never get ready, and the registry aliases a deploy moves (or does not).
/// </summary>
[Collection(ContainersCollection.Name)]
public sealed class DeployDockerTests(ContainerTestBed bed) : IAsyncLifetime
{
    private static readonly SemaphoreSlim Building = new(1, 1);
    private static Versions? _versions;
    private readonly List<string> _environments = [];

    /// <summary>Images of churn/1 (the bed's), churn/2 (retrained), churn/3 (wants a Region column clients do not send), and one that exits at start.</summary>
    private sealed record Versions(string One, string Two, string NeedsRegion, string NeverReady);

    public sealed class RegionRow
    {
        public float Tenure { get; set; }
        public float Calls { get; set; }
        public string Plan { get; set; } = "";
        public string Region { get; set; } = "";
        public bool Label { get; set; }
    }

    public async Task InitializeAsync()
    {
        await Building.WaitAsync();
        try
        {
            _versions ??= await BuildVersionsAsync();
        }
        finally
        {
            Building.Release();
        }
    }

    private async Task<Versions> BuildVersionsAsync()
    {
        using (var client = new TrackingClient(bed.Bundle.StoreUri))
        {
            var registry = new ModelRegistry(client);
            var ml = new MLContext(seed: 2);
            var retrained = ml.Data.LoadFromEnumerable(ServedBundle.Rows(300, seed: 7));
            var two = ml.Transforms.Categorical.OneHotEncoding("PlanKey", "Plan")
                .Append(ml.Transforms.Concatenate("Features", "Tenure", "Calls", "PlanKey"))
                .Append(ml.BinaryClassification.Trainers.FastTree(numberOfLeaves: 4, numberOfTrees: 8, minimumExampleCountPerLeaf: 2));
            var run = client.CreateRun("deploy", "retrained");
            Assert.Equal(2, registry.Register(run.RunId, two.Fit(retrained), retrained.Schema, "churn", sampleInput: new { Tenure = 12, Calls = 1, Plan = "basic" }).Version);
            client.SetTerminated(run.RunId);

            var regional = ml.Data.LoadFromEnumerable(ServedBundle.Rows(300, seed: 8).Select((r, i) => new RegionRow { Tenure = r.Tenure, Calls = r.Calls, Plan = r.Plan, Region = i % 2 == 0 ? "north" : "south", Label = r.Label }));
            var three = ml.Transforms.Categorical.OneHotEncoding("PlanKey", "Plan")
                .Append(ml.Transforms.Categorical.OneHotEncoding("RegionKey", "Region"))
                .Append(ml.Transforms.Concatenate("Features", "Tenure", "Calls", "PlanKey", "RegionKey"))
                .Append(ml.BinaryClassification.Trainers.FastTree(numberOfLeaves: 4, numberOfTrees: 8, minimumExampleCountPerLeaf: 2));
            run = client.CreateRun("deploy", "regional");
            Assert.Equal(3, registry.Register(run.RunId, three.Fit(regional), regional.Schema, "churn", sampleInput: new { Tenure = 12, Calls = 1, Plan = "basic", Region = "north" }).Version);
            client.SetTerminated(run.RunId);
        }
        var repository = bed.NewRepository("mlops-tests/deploy");
        foreach (var version in new[] { "churn/2", "churn/3" })
        {
            var (exitCode, _, error) = bed.Containerize(version, "--image", repository);
            Assert.True(exitCode == 0, error);
        }

        // An image whose server cannot find its bundle: it exits at start, as a broken release would.
        var broken = $"{repository}:never-ready";
        using var context = new MemoryStream();
        await using (var tar = new TarWriter(context, leaveOpen: true))
        {
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "Dockerfile")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes($"FROM {bed.Repository}:1\nENV MLOPS_BUNDLE=/nowhere\n")),
            });
        }
        context.Position = 0;
        string? buildError = null;
        await bed.Engine.Client.Images.BuildImageFromDockerfileAsync(new ImageBuildParameters { Tags = [broken] }, context, null, null,
            new Progress<JSONMessage>(m => buildError ??= m.ErrorMessage));
        Assert.Null(buildError);
        return new Versions($"{bed.Repository}:1", $"{repository}:2", $"{repository}:3", broken);
    }

    private Versions Images => _versions!;

    private string NewEnvironment()
    {
        var environment = $"t{Guid.NewGuid():N}"[..9];
        _environments.Add(environment);
        return environment;
    }

    private (int ExitCode, string Output, string Error) Deploy(string model, string image, string environment, int port, params string[] more) =>
        Programs.Run(Programs.Mlops, ["deploy", model, "--image", image, "--environment", environment, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tracking-uri", bed.Bundle.StoreUri, "--ready-timeout", "60s", .. more], timeoutSeconds: 240);

    private int? Alias(string environment)
    {
        using var client = new TrackingClient(bed.Bundle.StoreUri);
        return new ModelRegistry(client).List().Single(m => m.Name == "churn").Aliases.TryGetValue(environment, out var version) ? version : null;
    }

    private async Task<IList<ContainerListResponse>> ContainersAsync(string environment) =>
        await bed.Engine.Client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"io.mlopsnotebooks.deployment=mlops-churn-{environment}"] = true } },
        });

    private async Task<List<string>> ModelVersionsRunningAsync(string environment) =>
        [.. (await ContainersAsync(environment)).Where(c => c.Labels["io.mlopsnotebooks.role"] == "model").Select(c => c.Labels["io.mlopsnotebooks.model.version"]).Order()];

    [Fact]
    public async Task A_first_deploy_serves_the_version_at_the_stable_address_behind_a_proxy_and_moves_the_environment_alias()
    {
        var environment = NewEnvironment();
        var port = Ports.Free();
        var (exitCode, output, error) = Deploy("churn@candidate", Images.One, environment, port);
        Assert.True(exitCode == 0, output + error);
        Assert.Contains("Smoke test", output);
        Assert.Contains($"churn@{environment} now names version 1", output);
        Assert.Equal(1, Alias(environment));

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var (status, answer) = await ModelServerTests.Post(http, "/v2/models/churn/infer", ModelServerTests.Infer(ServedBundle.Rows(3, seed: 5)).ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("1", (string)answer!["model_version"]!);
        var containers = await ContainersAsync(environment);
        Assert.Equal(["model", "proxy"], containers.Select(c => c.Labels["io.mlopsnotebooks.role"]).Order());
        // Published on loopback only, as every server of the kit.
        Assert.All(containers.SelectMany(c => c.Ports), p => Assert.Equal("127.0.0.1", p.IP));
    }

    [Fact]
    public async Task A_blue_green_switch_under_load_loses_no_request_and_leaves_only_the_new_version_running()
    {
        var environment = NewEnvironment();
        var port = Ports.Free();
        Assert.Equal(0, Deploy("churn/1", Images.One, environment, port).ExitCode);
        await using var load = new Load(port);
        await load.UntilAsync(50);
        var (exitCode, output, error) = Deploy("churn/2", Images.Two, environment, port);
        await load.UntilAsync(load.Count + 50);
        var answers = await load.StopAsync();

        Assert.True(exitCode == 0, output + error);
        Assert.DoesNotContain(answers, a => a.Status != 200);
        Assert.Contains(answers, a => a.Version == "1");
        Assert.Equal("2", answers[^1].Version);
        Assert.Equal(["2"], await ModelVersionsRunningAsync(environment));
        Assert.Equal(2, Alias(environment));
    }

    [Fact]
    public async Task A_canary_that_keeps_its_rules_is_promoted_step_by_step()
    {
        var environment = NewEnvironment();
        var port = Ports.Free();
        Assert.Equal(0, Deploy("churn/1", Images.One, environment, port).ExitCode);
        await using var load = new Load(port);
        await load.UntilAsync(50);
        var (exitCode, output, error) = Deploy("churn/2", Images.Two, environment, port,
            "--canary", "--canary-steps", "20,50", "--canary-step-duration", "2s", "--max-p99-ms", "2000");
        var answers = await load.StopAsync();

        Assert.True(exitCode == 0, output + error);
        Assert.Contains("Canary step 20% passed", output);
        Assert.Contains("Canary step 50% passed", output);
        Assert.DoesNotContain(answers, a => a.Status != 200);
        Assert.Equal(["2"], await ModelVersionsRunningAsync(environment));
        Assert.Equal(2, Alias(environment));
    }

    [Fact]
    public async Task A_canary_whose_new_version_refuses_what_clients_send_is_rolled_back_and_moves_no_alias()
    {
        var environment = NewEnvironment();
        var port = Ports.Free();
        Assert.Equal(0, Deploy("churn/1", Images.One, environment, port).ExitCode);
        await using var load = new Load(port);
        await load.UntilAsync(50);
        var (exitCode, output, error) = Deploy("churn/3", Images.NeedsRegion, environment, port,
            "--canary", "--canary-steps", "25,50", "--canary-step-duration", "2s");
        var rolledBack = load.Count;
        await load.UntilAsync(rolledBack + 100);
        var answers = await load.StopAsync();

        Assert.Equal(1, exitCode);
        Assert.Contains("rolled back", output + error);
        Assert.Contains("refused", output + error);
        Assert.DoesNotContain("Canary step 50%", output);
        Assert.Equal(["1"], await ModelVersionsRunningAsync(environment));
        Assert.Equal(1, Alias(environment));
        // The canary's share was refused while it lasted; after the rollback, the old version answers everything.
        Assert.Contains(answers, a => a.Status == 400);
        Assert.All(answers.Skip(rolledBack), a => Assert.Equal((200, "1"), (a.Status, a.Version)));
    }

    [Fact]
    public async Task A_canary_version_that_crashes_under_traffic_is_rolled_back_and_the_old_one_answers_everything_again()
    {
        var environment = NewEnvironment();
        var port = Ports.Free();
        Assert.Equal(0, Deploy("churn/1", Images.One, environment, port).ExitCode);
        await using var load = new Load(port);
        await load.UntilAsync(50);
        var deploying = Task.Run(() => Deploy("churn/2", Images.Two, environment, port, "--canary", "--canary-steps", "50", "--canary-step-duration", "5s"));

        // Once the canary takes its share, its container dies, as a version that crashes under real traffic would.
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        string? canary = null;
        for (var i = 0; i < 600 && canary is null && !deploying.IsCompleted; i++)
        {
            var status = JsonNode.Parse(await http.GetStringAsync("/-/proxy"))!;
            canary = status["destinations"]!.AsArray().Where(d => (int)d!["weight"]! == 50 && ((string)d["name"]!).Contains("-v2-", StringComparison.Ordinal))
                .Select(d => (string)d!["name"]!).FirstOrDefault();
            await Task.Delay(100);
        }
        Assert.NotNull(canary);
        await bed.Engine.Client.Containers.KillContainerAsync(canary, new ContainerKillParameters());
        var (exitCode, output, error) = await deploying;
        var rolledBack = load.Count;
        await load.UntilAsync(rolledBack + 100);
        var answers = await load.StopAsync();

        Assert.Equal(1, exitCode);
        Assert.Contains("rolled back", output + error);
        Assert.Equal(["1"], await ModelVersionsRunningAsync(environment));
        Assert.Equal(1, Alias(environment));
        Assert.All(answers.Skip(rolledBack), a => Assert.Equal((200, "1"), (a.Status, a.Version)));
    }

    [Fact]
    public async Task A_version_that_exits_before_it_is_ready_is_removed_and_the_old_one_keeps_serving()
    {
        var environment = NewEnvironment();
        var port = Ports.Free();
        Assert.Equal(0, Deploy("churn/1", Images.One, environment, port).ExitCode);
        var (exitCode, output, error) = Deploy("churn/2", Images.NeverReady, environment, port);

        Assert.Equal(1, exitCode);
        Assert.Contains("exited before it was ready", output + error);
        Assert.Contains("/nowhere", output + error); // the server's own last lines say why
        Assert.Equal(["1"], await ModelVersionsRunningAsync(environment));
        Assert.Equal(1, Alias(environment));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var (status, answer) = await ModelServerTests.Post(http, "/v2/models/churn/infer", ModelServerTests.Infer(ServedBundle.Rows(2, seed: 6)).ToJsonString());
        Assert.Equal((HttpStatusCode.OK, "1"), (status, (string?)answer!["model_version"]));
    }

    [Fact]
    public async Task Bad_targets_are_refused_before_anything_starts()
    {
        var environment = NewEnvironment();
        var port = Ports.Free();
        var missing = Deploy("churn/1", "mlops-tests/no-such-image:1", environment, port);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("has no image mlops-tests/no-such-image:1", missing.Error);
        Assert.Empty(await ContainersAsync(environment));

        using (var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, port))
        {
            taken.Start();
            var busy = Deploy("churn/1", Images.One, environment, port);
            Assert.Equal(1, busy.ExitCode);
            Assert.Contains($"could not start on 127.0.0.1:{port}", busy.Error);
            Assert.Contains("--port", busy.Error);
            Assert.Empty(await ContainersAsync(environment));
        }

        var unreachable = Programs.Run(Programs.Mlops, ["deploy", "churn/1", "--image", Images.One, "--environment", environment, "--tracking-uri", bed.Bundle.StoreUri],
            environment: new Dictionary<string, string?> { ["DOCKER_HOST"] = "unix:///nonexistent.sock" });
        Assert.Equal(1, unreachable.ExitCode);
        Assert.Contains("DOCKER_HOST", unreachable.Error);
        Assert.Null(Alias(environment));
        Assert.DoesNotContain("   at ", missing.Error + unreachable.Error);
    }

    public async Task DisposeAsync()
    {
        foreach (var environment in _environments)
        {
            foreach (var container in await ContainersAsync(environment))
            {
                await bed.Engine.RemoveContainerAsync(container.ID);
            }
            try
            {
                await bed.Engine.Client.Networks.DeleteNetworkAsync($"mlops-churn-{environment}");
            }
            catch (Docker.DotNet.DockerNetworkNotFoundException)
            {
            }
            catch (Docker.DotNet.DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
            }
        }
    }

    /// <summary>Four clients sending infer requests through the stable address until stopped, each answer recorded in order.</summary>
    private sealed class Load : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentQueue<(int Status, string? Version)> _answers = new();
        private readonly Task[] _clients;
        private readonly HttpClient _http;

        public Load(int port)
        {
            _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var body = ModelServerTests.Infer(ServedBundle.Rows(2, seed: 9)).ToJsonString();
            _clients = [.. Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    try
                    {
                        var (status, answer) = await ModelServerTests.Post(_http, "/v2/models/churn/infer", body);
                        _answers.Enqueue(((int)status, (string?)answer?["model_version"]));
                    }
                    catch (HttpRequestException)
                    {
                        _answers.Enqueue((0, null)); // a refused or broken connection is a lost request
                    }
                }
            }))];
        }

        public int Count => _answers.Count;

        public async Task UntilAsync(int answers)
        {
            for (var waited = 0; _answers.Count < answers && waited < 600; waited++)
            {
                await Task.Delay(50);
            }
        }

        public async Task<List<(int Status, string? Version)>> StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_clients);
            return [.. _answers];
        }

        public async ValueTask DisposeAsync()
        {
            if (!_stop.IsCancellationRequested)
            {
                await StopAsync();
            }
            _http.Dispose();
            _stop.Dispose();
        }
    }
}
