using System.Formats.Tar;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Docker.DotNet.Models;
using MlopsNotebooks.Tests.Serving;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Containers;

/// <summary>`mlops containerize` against a real Docker engine, a base image built here and an htpasswd registry.</summary>
[Collection(ContainersCollection.Name)]
public sealed class ContainerizeTests(ContainerTestBed bed)
{
    private Docker.DotNet.DockerClient Docker => bed.Engine.Client;

    [Fact]
    public async Task The_image_carries_the_model_labels_and_both_tags_runs_as_a_non_root_user_and_stays_under_150_MB()
    {
        var image = await Docker.Images.InspectImageAsync($"{bed.Repository}:1");
        var labels = image.Config.Labels;
        Assert.Equal("churn", labels["org.opencontainers.image.title"]);
        Assert.Equal("1", labels["org.opencontainers.image.version"]);
        Assert.Equal(ContainerTestBed.Commit, labels["org.opencontainers.image.revision"]);
        Assert.True(DateTimeOffset.TryParse(labels["org.opencontainers.image.created"], out _));
        Assert.Equal("churn", labels["io.mlopsnotebooks.model.name"]);
        Assert.Equal("1", labels["io.mlopsnotebooks.model.version"]);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(bed.Bundle.Folder, "manifest.json")))!;
        Assert.Equal((string)manifest["run_id"]!, labels["io.mlopsnotebooks.run-id"]);

        Assert.Equal([$"{bed.Repository}:0123456", $"{bed.Repository}:1"], image.RepoTags.Order(StringComparer.Ordinal));
        Assert.Equal(image.ID, (string)bed.Built["id"]!);
        Assert.Equal("1654:1654", image.Config.User);
        Assert.Contains("MLOPS_HOST=0.0.0.0", image.Config.Env);
        Assert.Contains("8080/tcp", image.Config.ExposedPorts.Keys);
        Assert.Equal(["dotnet", "/app/mlops-server.dll"], image.Config.Entrypoint);
        Assert.InRange(image.Size, 1, 150_000_000);
    }

    [Fact]
    public async Task A_container_from_the_image_gets_ready_and_answers_predict_as_the_model_does_in_process()
    {
        var created = await Docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = $"{bed.Repository}:1",
            Name = DockerEngineFixture.UniqueName("mlops-tests-serve"),
            HostConfig = new HostConfig
            {
                PortBindings = new Dictionary<string, IList<PortBinding>> { ["8080/tcp"] = [new PortBinding { HostIP = "127.0.0.1", HostPort = "" }] },
            },
        });
        try
        {
            await Docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters());
            var inspected = await Docker.Containers.InspectContainerAsync(created.ID);
            var port = inspected.NetworkSettings.Ports["8080/tcp"][0].HostPort;
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(5) };
            await WaitUntilReady(http, created.ID);

            var rows = ServedBundle.Rows(20, seed: 11);
            var expected = rows.Select(bed.Bundle.InProcess).ToList();
            var (status, answers) = await ModelServerTests.Post(http, "/predict", new JsonArray(rows.Select(r => (JsonNode?)ModelServerTests.Row(r)).ToArray()).ToJsonString());
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(expected.Select(e => (e.PredictedLabel, e.Probability)),
                answers!.AsArray().Select(a => ((bool)a!["PredictedLabel"]!, (float)a["Probability"]!)));
        }
        finally
        {
            await bed.Engine.RemoveContainerAsync(created.ID);
        }
    }

    [Fact]
    public async Task Pushing_with_the_right_password_puts_both_tags_in_the_registry_and_no_layer_holds_the_password()
    {
        var repository = bed.NewRepository("mlops-tests/pushed");
        var (exitCode, output, error) = bed.ContainerizeWith(new Dictionary<string, string?> { ["MLOPS_REGISTRY_PASSWORD"] = bed.Registry.Password },
            "churn@candidate", "--image", $"{bed.Registry.Host}/{repository}", "--push", "--registry-username", ContainerRegistry.Username, "--json");

        Assert.True(exitCode == 0, error);
        Assert.Equal(["0123456", "1"], (await bed.Registry.TagsAsync(repository)).Order(StringComparer.Ordinal));
        var result = JsonNode.Parse(output)!;
        Assert.True((bool)result["pushed"]!);
        Assert.StartsWith("sha256:", (string)result["digest"]!);
        Assert.DoesNotContain(bed.Registry.Password, output + error);

        // Every layer and the image's config, as `docker save` exports them (kept in a file: the engine's chunked
        // stream ends before a tar reader's last padding read).
        using var temp = new TempDirectory();
        await using (var saved = await Docker.Images.SaveImageAsync((string)result["id"]!, CancellationToken.None))
        await using (var file = File.Create(temp.File("image.tar")))
        {
            await saved.CopyToAsync(file);
        }
        var files = 0;
        await using var archive = new TarReader(File.OpenRead(temp.File("image.tar")));
        while (await archive.GetNextEntryAsync() is { } entry)
        {
            if (entry.DataStream is null)
            {
                continue;
            }
            using var content = new MemoryStream();
            await entry.DataStream.CopyToAsync(content);
            Assert.False(Contains(content.ToArray(), Encoding.UTF8.GetBytes(bed.Registry.Password)), $"{entry.Name} holds the registry password.");
            files++;
        }
        Assert.True(files > 2, "docker save exported no layers.");
    }

    [Fact]
    public async Task A_wrong_password_is_refused_with_a_clear_message_exit_1_and_nothing_pushed()
    {
        var repository = bed.NewRepository("mlops-tests/refused");
        var (exitCode, output, error) = bed.ContainerizeWith(new Dictionary<string, string?> { ["MLOPS_REGISTRY_PASSWORD"] = "not-the-password" },
            "churn@candidate", "--image", $"{bed.Registry.Host}/{repository}", "--push", "--registry-username", ContainerRegistry.Username);

        Assert.Equal(1, exitCode);
        Assert.Contains($"error: The registry at {bed.Registry.Host} refused the login for {ContainerRegistry.Username}", error);
        Assert.Contains("MLOPS_REGISTRY_PASSWORD", error);
        Assert.DoesNotContain("not-the-password", output + error);
        Assert.Empty(await bed.Registry.TagsAsync(repository));
    }

    [Fact]
    public async Task A_base_image_the_engine_cannot_find_fails_the_build_with_the_engine_message_and_exit_1()
    {
        var repository = bed.NewRepository("mlops-tests/no-base");
        var (exitCode, _, error) = bed.Containerize("churn@candidate", "--image", repository, "--base-image", "mlops-tests/no-such-base:1");

        Assert.Equal(1, exitCode);
        Assert.Contains("error: The image build failed: ", error);
        Assert.Contains("mlops-tests/no-such-base", error);
        Assert.DoesNotContain("internal error", error);
        Assert.Empty(await bed.LocalTagsAsync(repository));
    }

    [Fact]
    public void An_unreachable_engine_exits_1_with_a_hint_naming_DOCKER_HOST()
    {
        var (exitCode, _, error) = bed.ContainerizeWith(new Dictionary<string, string?> { ["DOCKER_HOST"] = "unix:///nonexistent.sock" },
            "churn@candidate", "--image", "mlops-tests/unreachable");

        Assert.Equal(1, exitCode);
        Assert.Contains("error: No Docker engine answers at unix:///nonexistent.sock", error);
        Assert.Contains("DOCKER_HOST", error);
        Assert.DoesNotContain("internal error", error);
    }

    [Theory]
    [InlineData("ZZ/../!x")]
    [InlineData("0123456789abcdef0123456789abcdef01234567\nio.mlopsnotebooks.model.name=evil")]
    public async Task A_GITHUB_SHA_that_is_not_a_commit_is_refused_with_exit_1_before_anything_is_built(string sha)
    {
        var repository = bed.NewRepository("mlops-tests/no-commit");

        var (exitCode, output, error) = bed.ContainerizeWith(new Dictionary<string, string?> { ["GITHUB_SHA"] = sha }, "churn@candidate", "--image", repository);

        Assert.Equal(1, exitCode);
        Assert.Contains("is not a git commit", error);
        Assert.DoesNotContain("internal error", error);
        Assert.DoesNotContain("Step 1/", output + error);
        Assert.Empty(await bed.LocalTagsAsync(repository));
    }

    [Theory]
    [InlineData("corrupt", "is corrupt: model.zip hashes to sha256:")]
    [InlineData("missing", "has no model.zip")]
    [InlineData("hostile run id", "records the run id \"abc\\nio.mlopsnotebooks.model.name=evilAAAA")]
    [InlineData("hostile name", "names the model \"churn\\u0022\\norg.opencontainers.image.vendor=evil\", which is not a model name")]
    public async Task A_bundle_with_a_corrupt_or_missing_model_or_a_hostile_name_or_run_id_is_refused_before_anything_is_built(string fault, string message)
    {
        using var temp = new TempDirectory();
        var bundle = bed.Bundle.Copy(temp);
        var model = Path.Combine(bundle, "model.zip");
        if (fault == "corrupt")
        {
            var bytes = File.ReadAllBytes(model);
            bytes[bytes.Length / 2] ^= 0x40;
            File.WriteAllBytes(model, bytes);
        }
        else if (fault == "missing")
        {
            File.Delete(model);
        }
        else if (fault == "hostile run id")
        {
            // The run id becomes a label too: a new line would forge another, 100,000 characters would bloat every layer's config.
            var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(bundle, "manifest.json")))!.AsObject();
            manifest["run_id"] = "abc\nio.mlopsnotebooks.model.name=evil" + new string('A', 100_000);
            File.WriteAllText(Path.Combine(bundle, "manifest.json"), manifest.ToJsonString());
        }
        else
        {
            // The name becomes the image's title label: a quote and a new line would forge another label.
            var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(bundle, "manifest.json")))!.AsObject();
            manifest["name"] = "churn\"\norg.opencontainers.image.vendor=evil";
            File.WriteAllText(Path.Combine(bundle, "manifest.json"), manifest.ToJsonString());
        }
        var repository = bed.NewRepository("mlops-tests/broken");

        var (exitCode, output, error) = bed.Containerize(bundle, "--image", repository);

        Assert.Equal(1, exitCode);
        Assert.Contains(message, error);
        Assert.DoesNotContain("Step 1/", output + error);
        Assert.Empty(await bed.LocalTagsAsync(repository));
    }

    [Fact]
    public async Task A_bundle_file_that_links_to_a_file_outside_the_bundle_is_refused_and_its_target_never_reaches_a_layer()
    {
        using var temp = new TempDirectory();
        var bundle = bed.Bundle.Copy(temp);
        var secret = Path.Combine(temp.Path, "secret.txt");
        File.WriteAllText(secret, "not for any image");
        var sample = Path.Combine(bundle, "sample-input.json");
        File.Delete(sample);
        File.CreateSymbolicLink(sample, secret);
        var repository = bed.NewRepository("mlops-tests/linked");

        var (exitCode, output, error) = bed.Containerize(bundle, "--image", repository);

        Assert.Equal(1, exitCode);
        Assert.Contains("sample-input.json is a link", error);
        Assert.DoesNotContain("Step 1/", output + error);
        Assert.Empty(await bed.LocalTagsAsync(repository));
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    private async Task WaitUntilReady(HttpClient http, string container)
    {
        for (var attempt = 0; attempt < 150; attempt++)
        {
            try
            {
                if ((await http.GetAsync("/v2/health/ready")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            var state = (await Docker.Containers.InspectContainerAsync(container)).State;
            if (!state.Running)
            {
                var logs = await Docker.Containers.GetContainerLogsAsync(container, false, new ContainerLogsParameters { ShowStdout = true, ShowStderr = true });
                var (stdout, stderr) = await logs.ReadOutputToEndAsync(CancellationToken.None);
                throw new Xunit.Sdk.XunitException($"The container exited ({state.ExitCode}): {stdout}{stderr}");
            }
            await Task.Delay(200);
        }
        throw new Xunit.Sdk.XunitException("The container was not ready in 30 s.");
    }
}
