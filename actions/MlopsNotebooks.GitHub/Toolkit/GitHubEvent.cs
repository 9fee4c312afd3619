using System.Text.Json.Nodes;

namespace MlopsNotebooks.GitHub.Toolkit;

/// <summary>The payload of the event that started the workflow (GITHUB_EVENT_PATH), as GitHub sends it.</summary>
public static class GitHubEvent
{
    public static JsonObject? Read(ActionRunner actions)
    {
        if (actions.Variable("GITHUB_EVENT_PATH") is not { } path || !File.Exists(path))
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new MlopsException($"The event payload {path} is not JSON: {e.Message}", "GITHUB_EVENT_PATH must point at the runner's event file.");
        }
    }
}
