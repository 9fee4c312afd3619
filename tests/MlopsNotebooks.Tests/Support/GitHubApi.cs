using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace MlopsNotebooks.Tests.Support;

/// <summary>
/// GitHub's REST API as a contract: Prism serving GitHub's published OpenAPI description (npm @octokit/openapi, in
/// tests/tools), started once for the test run. Prism checks every request against the description (422 with the
/// reasons) and answers with its examples.
/// </summary>
public static class Prism
{
    private static readonly Lazy<Task<Uri>> Server = new(StartAsync);

    public static Task<Uri> AddressAsync() => Server.Value;

    private static async Task<Uri> StartAsync()
    {
        var spec = Path.Combine(Tools, "@octokit", "openapi", "generated", "api.github.com.json");
        var (process, address) = await MockAsync(spec);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } };
        return address;
    }

    private static string Tools => Path.Combine(Programs.RepositoryRoot, "tests", "tools", "node_modules");

    /// <summary>Starts Prism mocking <paramref name="spec"/> on a free loopback port; the caller stops the process.</summary>
    public static async Task<(System.Diagnostics.Process Process, Uri Address)> MockAsync(string spec)
    {
        var cli = Path.Combine(Tools, "@stoplight", "prism-cli", "dist", "index.js");
        if (!File.Exists(cli) || !File.Exists(spec))
        {
            throw new Xunit.Sdk.XunitException($"Prism or {spec} is missing; run ./test.sh (npm ci in tests/tools).");
        }
        var port = Ports.Free();
        var process = Programs.StartTool("node", [cli, "mock", "-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), spec]);
        var ready = new TaskCompletionSource();
        var log = new StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            lock (log)
            {
                log.AppendLine(e.Data);
            }
            if (e.Data?.Contains("Prism is listening", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(90))) != ready.Task)
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"Prism did not start in 90 s:\n{log}");
        }
        return (process, new Uri($"http://127.0.0.1:{port}/"));
    }
}

/// <summary>
/// One request the code under test sent to GitHub: the status it got, and Prism's own (422 when the request breaks
/// GitHub's description, whatever the test answered).
/// </summary>
public sealed record GitHubRequest(string Method, string Path, string Body, int Status, int PrismStatus);

/// <summary>
/// A pass-through in front of Prism for one test: it records every request, asks for JSON (Prism serves only
/// application/json, while GitHub clients ask for application/vnd.github+json), drops the examples' Link header (it
/// points at the real host), and can answer a request itself (a stored comment Prism's stateless examples lack, or a
/// server error) while still sending it to Prism, so that it is still checked against the description.
/// </summary>
public sealed class GitHubApi : IDisposable
{
    private readonly HttpListener _listener;
    private readonly HttpClient _prism = new();
    private readonly Uri _upstream;
    private readonly ConcurrentQueue<GitHubRequest> _requests = new();
    private readonly List<(string Method, string PathPrefix, Func<int, (int Status, string? Body)?> Answer)> _rules = [];
    private readonly Dictionary<string, int> _counts = [];

    private GitHubApi(Uri upstream)
    {
        _upstream = upstream;
        // A port found free can be taken before the listener binds it (the suite starts servers side by side): take another.
        for (var attempt = 1; ; attempt++)
        {
            Address = new Uri($"http://127.0.0.1:{Ports.Free()}/");
            var listener = new HttpListener();
            listener.Prefixes.Add(Address.ToString());
            try
            {
                listener.Start();
                _listener = listener;
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
        _ = Task.Run(ServeAsync);
    }

    public static async Task<GitHubApi> StartAsync() => new(await Prism.AddressAsync());

    public Uri Address { get; }

    public IReadOnlyList<GitHubRequest> Requests => [.. _requests];

    /// <summary>
    /// Answers requests whose method and path start so: <paramref name="answer"/> gets the count of such requests so far
    /// (1 for the first) and returns a status and body, or null to pass Prism's answer on. A status alone (body null) asks
    /// Prism for that documented response (its Prefer: code=...).
    /// </summary>
    public void Answer(string method, string pathPrefix, Func<int, (int Status, string? Body)?> answer) => _rules.Add((method, pathPrefix, answer));

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var path = request.Url!.PathAndQuery;
        var body = await new StreamReader(request.InputStream, Encoding.UTF8).ReadToEndAsync();
        (int Status, string? Body)? answer = null;
        foreach (var rule in _rules.Where(r => r.Method == request.HttpMethod && path.StartsWith(r.PathPrefix, StringComparison.Ordinal)))
        {
            int count;
            lock (_counts)
            {
                count = _counts[rule.Method + rule.PathPrefix] = _counts.GetValueOrDefault(rule.Method + rule.PathPrefix) + 1;
            }
            answer = rule.Answer(count);
        }
        using var forward = new HttpRequestMessage(new HttpMethod(request.HttpMethod), new Uri(_upstream, path));
        forward.Headers.Accept.ParseAdd("application/json");
        if (request.Headers["Authorization"] is { } authorization)
        {
            forward.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        if (answer is { Body: null } forced)
        {
            forward.Headers.TryAddWithoutValidation("Prefer", $"code={forced.Status}");
        }
        if (body.Length > 0)
        {
            forward.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        using var response = await _prism.SendAsync(forward);
        var responseBody = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        _requests.Enqueue(new GitHubRequest(request.HttpMethod, path, body, answer is { Body: not null } a && status != 422 ? a.Status : status, status));
        if (status == 422)
        {
            // Prism found the request invalid against GitHub's description: pass that on whatever the rule says.
            answer = null;
        }
        context.Response.StatusCode = answer is { Body: not null } own ? own.Status : status;
        context.Response.ContentType = "application/json";
        var bytes = Encoding.UTF8.GetBytes(answer is { Body: { } ownBody } ? ownBody : responseBody);
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }

    public void Dispose()
    {
        // Close alone: on Unix, Stop then Close removes the listener twice, and the second removal binds the port again
        // (dotnet/runtime's managed HttpListener), failing when another test has taken it meanwhile.
        _listener.Close();
        _prism.Dispose();
    }
}
