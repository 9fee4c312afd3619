using System.Net;
using Octokit;

namespace MlopsNotebooks.GitHub.Toolkit;

/// <summary>
/// Calls to GitHub through Octokit as every step makes them: server errors and unreachable hosts are retried twice,
/// and GitHub's refusals become <see cref="MlopsException"/>s that say what to change (the step gives the hints for a
/// token without the permission and for a 404), with secrets redacted from every message.
/// </summary>
public sealed class GitHubCalls(ActionRunner actions, string forbiddenHint, string notFoundHint, string step)
{
    /// <summary>A client of the REST API at <paramref name="apiUrl"/> (GITHUB_API_URL), authenticated with the token.</summary>
    public static IGitHubClient Client(string apiUrl, string token) => new GitHubClient(new Connection(
        new ProductHeaderValue("mlops-notebooks"), new Uri(apiUrl.TrimEnd('/') + "/"), new Octokit.Internal.InMemoryCredentialStore(new Credentials(token))));

    public async Task<T> Call<T>(string what, Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (ApiException e) when ((int)e.StatusCode >= 500 && attempt < 3)
            {
                actions.Log($"GitHub answered {(int)e.StatusCode} when trying to {what}; trying again.");
                await Task.Delay(TimeSpan.FromSeconds(attempt * 2));
            }
            catch (ApiException e)
            {
                throw Explain(what, e);
            }
            catch (HttpRequestException e) when (attempt < 3)
            {
                actions.Log($"GitHub could not be reached when trying to {what} ({e.Message}); trying again.");
                await Task.Delay(TimeSpan.FromSeconds(attempt * 2));
            }
            catch (HttpRequestException e)
            {
                throw new UnavailableException($"GitHub could not be reached when trying to {what}: {actions.Redact(e.Message)}",
                    "Check GITHUB_API_URL and the runner's network, then run the job again.");
            }
            catch (TaskCanceledException e)
            {
                throw new UnavailableException($"GitHub did not answer in time when trying to {what}: {actions.Redact(e.Message)}", "Run the job again.");
            }
            catch (System.Runtime.Serialization.SerializationException e)
            {
                // Octokit reads GitHub's answer as JSON of the documented shape; anything else (a proxy's HTML page) lands here.
                throw new UnavailableException($"GitHub's answer when trying to {what} is not what GitHub's API returns ({e.GetType().Name}: {actions.Redact(e.Message)}).",
                    "Check GITHUB_API_URL: it must be GitHub's REST API (https://api.github.com or https://<host>/api/v3).");
            }
        }
    }

    private MlopsException Explain(string what, ApiException e)
    {
        var detail = actions.Redact(e.ApiError?.Message ?? e.Message);
        var errors = e.ApiError?.Errors is { Count: > 0 } list ? " (" + string.Join("; ", list.Select(x => actions.Redact($"{x.Field} {x.Code} {x.Message}".Trim()))) + ")" : "";
        var status = (int)e.StatusCode;
        return e.StatusCode switch
        {
            HttpStatusCode.Unauthorized => new MlopsException($"GitHub refused the token ({status}) when trying to {what}: {detail}.",
                "Pass github-token: ${{ secrets.GITHUB_TOKEN }} (or a token that is still valid)."),
            HttpStatusCode.Forbidden => new MlopsException($"GitHub did not allow the token to {what} ({status}): {detail}.",
                forbiddenHint),
            HttpStatusCode.NotFound => new NotFoundException($"GitHub found nothing when trying to {what} ({status}): {detail}.",
                notFoundHint),
            HttpStatusCode.UnprocessableEntity => new MlopsException($"GitHub rejected the request to {what} ({status}): {detail}{errors}.",
                $"This is a bug of the {step} if the message names a field; report it."),
            _ => new UnavailableException($"GitHub answered {status} when trying to {what}: {detail}.", "GitHub may be having trouble; run the job again."),
        };
    }
}
