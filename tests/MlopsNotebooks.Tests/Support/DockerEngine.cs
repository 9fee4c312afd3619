using Docker.DotNet;
using Docker.DotNet.Models;

namespace MlopsNotebooks.Tests.Support;

/// <summary>
/// The Docker engine test.sh starts, and the local base image (nothing can be pulled here), shared by the container
/// tests. A missing engine fails them with what to do; they are never skipped.
/// </summary>
public sealed class DockerEngineFixture : IAsyncLifetime
{
    /// <summary>The stand-in for the chiseled ASP.NET image, built by tests/tools/build-base-image.sh.</summary>
    public const string BaseImage = "mlops-test/aspnet:10.0";

    public DockerClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        try
        {
            Client = await MlopsNotebooks.Deployment.Containers.DockerEngine.ConnectAsync();
        }
        catch (MlopsException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\nRun ./test.sh, which installs and starts the Docker engine the container tests need.");
        }
        var script = Path.Combine(Programs.RepositoryRoot, "tests", "tools", "build-base-image.sh");
        var (exitCode, output, error) = Programs.RunTool("bash", [script, BaseImage], timeoutSeconds: 300);
        if (exitCode != 0)
        {
            throw new Xunit.Sdk.XunitException($"The base image {BaseImage} could not be built ({script}): {output}{error}");
        }
    }

    /// <summary>A name no other test or run uses, for an image repository or a container.</summary>
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    /// <summary>Removes images by reference or id, and whatever containers still use them; missing ones are fine.</summary>
    public async Task RemoveImagesAsync(IEnumerable<string> references)
    {
        foreach (var reference in references)
        {
            try
            {
                await Client.Images.DeleteImageAsync(reference, new ImageDeleteParameters { Force = true });
            }
            catch (DockerImageNotFoundException)
            {
            }
            catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
            }
        }
    }

    public async Task RemoveContainerAsync(string id)
    {
        try
        {
            await Client.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true });
        }
        catch (DockerContainerNotFoundException)
        {
        }
    }

    public Task DisposeAsync()
    {
        Client?.Dispose();
        return Task.CompletedTask;
    }
}
