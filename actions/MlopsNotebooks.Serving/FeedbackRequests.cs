using System.Text.Json;
using MlopsNotebooks.Monitoring;

namespace MlopsNotebooks.Serving;

/// <summary>
/// <c>POST /feedback</c>: the true labels of logged predictions, <c>{"id": "...", "row": 0, "label": ...}</c> or an
/// array of those, where id is the <c>X-Request-Id</c> the prediction's answer carried and row the row in its request.
/// </summary>
internal static class FeedbackRequests
{
    private static readonly HashSet<string> Fields = ["id", "row", "label"];

    public static List<Feedback> Read(JsonElement body)
    {
        var items = body.ValueKind == JsonValueKind.Array ? body.EnumerateArray().ToList() : [body];
        if (items.Count == 0)
        {
            throw new RequestRejectedException("The body holds no label; send {\"id\": ..., \"row\": 0, \"label\": ...} or an array of those.");
        }
        return items.Select((item, i) => One(item, items.Count == 1 && body.ValueKind != JsonValueKind.Array ? "" : $"Item {i}: ")).ToList();
    }

    private static Feedback One(JsonElement item, string where)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw new RequestRejectedException($"{where}A label is an object {{\"id\": ..., \"row\": 0, \"label\": ...}}, not {Kind(item)}.");
        }
        foreach (var member in item.EnumerateObject())
        {
            if (!Fields.Contains(member.Name))
            {
                throw new RequestRejectedException($"{where}Unknown field '{member.Name}'; a label has id, row and label.");
            }
        }
        if (!item.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String || !PredictionLog.IsRequestId(id.GetString()))
        {
            throw new RequestRejectedException(
                $"{where}The id must be the X-Request-Id of the prediction's answer: 1 to 128 letters, digits, '.', '_', ':' or '-'.");
        }
        if (!item.TryGetProperty("row", out var row) || row.ValueKind != JsonValueKind.Number || !row.TryGetInt32(out var index) || index < 0)
        {
            throw new RequestRejectedException($"{where}The row must be the row's place in its request, a whole number from 0.");
        }
        if (!item.TryGetProperty("label", out var label) || label.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False))
        {
            throw new RequestRejectedException($"{where}The label must be the true value: a number, a string, true or false.");
        }
        return new Feedback(id.GetString()!, index, label.Clone());
    }

    private static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.Null => "null",
        _ => "true or false",
    };
}
