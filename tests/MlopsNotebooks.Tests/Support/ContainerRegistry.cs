using System.Net;

namespace MlopsNotebooks.Tests.Support;

/// <summary>
/// A container registry on 127.0.0.1 (Debian's docker-registry, the CNCF distribution) with htpasswd logins and its
/// storage in a temp folder: started once for the container tests, stopped after them. The engine treats 127.0.0.0/8
/// as an insecure registry, so plain HTTP works without configuring it.
/// </summary>
public sealed class ContainerRegistry : IAsyncLifetime
{
    public const string Username = "mlops-ci";

    private readonly TempDirectory _folder = new();
    private System.Diagnostics.Process? _process;

    /// <summary>A fresh password per run: the tests look for it in every layer of the images they push.</summary>
    public string Password { get; } = "pw-" + Guid.NewGuid().ToString("N");

    /// <summary>host:port, as an image repository's first part names it.</summary>
    public string Host { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var (exitCode, htpasswd, error) = Programs.RunTool("htpasswd", ["-Bbn", Username, Password]);
        if (exitCode != 0)
        {
            throw new Xunit.Sdk.XunitException($"htpasswd failed: {error}; run ./test.sh, which installs apache2-utils.");
        }
        File.WriteAllText(_folder.File("htpasswd"), htpasswd);
        var port = Ports.Free();
        Host = $"127.0.0.1:{port}";
        File.WriteAllText(_folder.File("config.yml"), $"""
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: {_folder.File("storage")}
              delete:
                enabled: true
            http:
              addr: {Host}
            auth:
              htpasswd:
                realm: mlops-tests
                path: {_folder.File("htpasswd")}
            """);
        _process = Programs.StartTool("docker-registry", ["serve", _folder.File("config.yml")]);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (_process.HasExited)
            {
                throw new Xunit.Sdk.XunitException($"docker-registry exited: {await _process.StandardError.ReadToEndAsync()}");
            }
            try
            {
                // 401 without a login: it is up and asks for one.
                if ((await http.GetAsync($"http://{Host}/v2/")).StatusCode == HttpStatusCode.Unauthorized)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        throw new Xunit.Sdk.XunitException($"docker-registry did not answer on {Host} in 10 s.");
    }

    /// <summary>The tags the registry holds for a repository (an empty list when it holds none), read with the login.</summary>
    public async Task<IReadOnlyList<string>> TagsAsync(string repository)
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{Username}:{Password}")));
        var response = await http.GetAsync($"http://{Host}/v2/{repository}/tags/list");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }
        response.EnsureSuccessStatusCode();
        var tags = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())?["tags"]?.AsArray();
        return tags?.Select(t => t!.GetValue<string>()).ToList() ?? [];
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        _process?.Dispose();
        _folder.Dispose();
        return Task.CompletedTask;
    }
}
