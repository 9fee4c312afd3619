using System.Text.Json;
using System.Text.Json.Nodes;
using MlopsNotebooks.Notebooks;

namespace MlopsNotebooks.Kernel.Jupyter;

/// <summary>A cell's output as the IOPub message a Jupyter client renders: its type and content.</summary>
internal static class OutputMessages
{
    public static (string Type, JsonObject Content) Of(CellOutput output) => output.Kind switch
    {
        OutputKind.Stream => ("stream", new JsonObject { ["name"] = output.StreamName ?? "stdout", ["text"] = output.Text ?? "" }),
        OutputKind.Error => ("error", Error(output.ErrorName ?? "Error", output.ErrorValue ?? "", output.Traceback)),
        OutputKind.ExecuteResult => ("execute_result", new JsonObject
        {
            ["execution_count"] = output.ExecutionCount, ["data"] = Bundle(output.Data), ["metadata"] = new JsonObject(),
        }),
        _ => ("display_data", Display(output)),
    };

    /// <summary>update_display_data: the display's new bundle under the id it was shown with.</summary>
    public static JsonObject Update(CellOutput display) => Display(display);

    public static JsonObject Error(string name, string value, IEnumerable<string> traceback) => new()
    {
        ["ename"] = name, ["evalue"] = value, ["traceback"] = new JsonArray([.. traceback.Select(line => (JsonNode?)line)]),
    };

    private static JsonObject Display(CellOutput output)
    {
        var content = new JsonObject { ["data"] = Bundle(output.Data), ["metadata"] = new JsonObject() };
        if (output.DisplayId is { } id)
        {
            content["transient"] = new JsonObject { ["display_id"] = id };
        }
        return content;
    }

    /// <summary>A mime bundle: JSON mime types (application/json, application/vnd.plotly.v1+json) as JSON, the rest as text.</summary>
    private static JsonObject Bundle(IReadOnlyDictionary<string, string> data)
    {
        var bundle = new JsonObject();
        foreach (var (mime, value) in data)
        {
            bundle[mime] = IsJson(mime) && TryParse(value) is { } json ? json : value;
        }
        return bundle;
    }

    private static bool IsJson(string mime) => mime == "application/json" || mime.EndsWith("+json", StringComparison.Ordinal);

    private static JsonNode? TryParse(string value)
    {
        try
        {
            return JsonNode.Parse(value);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
