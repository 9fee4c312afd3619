using System.Text.Json;

namespace MlopsNotebooks.Deployment;

/// <summary>One server behind the proxy and its share of new requests (0 takes none; its in-flight ones finish).</summary>
public sealed record ProxyDestination(string Name, Uri Address, int Weight);

/// <summary>
/// A routes file: <c>{"generation": 7, "destinations": [{"name": "churn-3", "address": "http://churn-3:8080", "weight": 90}]}</c>.
/// A deploy writes a new generation to move traffic; the proxy applies it only when the whole file is valid.
/// </summary>
public sealed record ProxyRoutes(long Generation, IReadOnlyList<ProxyDestination> Destinations)
{
    /// <summary>Reads and checks a routes file's text; anything wrong is an <see cref="MlopsException"/> saying what.</summary>
    public static ProxyRoutes Parse(ReadOnlySpan<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw Refused($"it is not valid JSON ({e.Message})");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Refused("it is not a JSON object");
            }
            CheckFields(root, "the file", "generation", "destinations");
            if (!root.TryGetProperty("generation", out var generationValue) || !generationValue.TryGetInt64(out var generation) || generation < 0)
            {
                throw Refused("\"generation\" must be a whole number, 0 or more");
            }
            if (!root.TryGetProperty("destinations", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            {
                throw Refused("\"destinations\" must be a non-empty array");
            }
            var destinations = list.EnumerateArray().Select(Destination).ToList();
            if (destinations.GroupBy(d => d.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            {
                throw Refused($"destination '{twice.Key}' is named twice");
            }
            if (destinations.Sum(d => d.Weight) == 0)
            {
                throw Refused("every weight is 0, so no destination would take requests");
            }
            return new ProxyRoutes(generation, destinations);
        }
    }

    /// <summary>The file's text, as a deploy writes it.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("generation", Generation);
            writer.WriteStartArray("destinations");
            foreach (var destination in Destinations)
            {
                writer.WriteStartObject();
                writer.WriteString("name", destination.Name);
                writer.WriteString("address", destination.Address.ToString());
                writer.WriteNumber("weight", destination.Weight);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static ProxyDestination Destination(JsonElement item, int index)
    {
        var where = $"destination {index}";
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw Refused($"{where} is not an object");
        }
        CheckFields(item, where, "name", "address", "weight");
        if (!item.TryGetProperty("name", out var nameValue) || nameValue.ValueKind != JsonValueKind.String
            || nameValue.GetString() is not { Length: > 0 and <= 200 } name || name.Any(char.IsControl))
        {
            throw Refused($"{where} needs a \"name\" (text)");
        }
        where = $"destination '{name}'";
        if (!item.TryGetProperty("address", out var addressValue) || addressValue.ValueKind != JsonValueKind.String
            || !Uri.TryCreate(addressValue.GetString(), UriKind.Absolute, out var address)
            || address.Scheme is not ("http" or "https") || address.Host.Length == 0)
        {
            throw Refused($"{where} needs an \"address\" that is an absolute http or https URL, e.g. http://churn-3:8080");
        }
        // The status page shows every address to anyone who reaches the proxy, so an address carries no secret; a query
        // or fragment would be silently dropped or merged into every forwarded request.
        if (address.UserInfo.Length > 0 || address.Query.Length > 0 || address.Fragment.Length > 0)
        {
            throw Refused($"{where} needs an \"address\" without a user name, password, query or fragment, e.g. http://churn-3:8080");
        }
        if (!item.TryGetProperty("weight", out var weightValue) || !weightValue.TryGetInt32(out var weight) || weight is < 0 or > 100)
        {
            throw Refused($"{where} needs a \"weight\" from 0 to 100");
        }
        return new ProxyDestination(name, address, weight);
    }

    /// <summary>An unknown field is most often a typo (<c>"wieght"</c>) that would otherwise silently change nothing.</summary>
    private static void CheckFields(JsonElement element, string where, params string[] known)
    {
        if (element.EnumerateObject().FirstOrDefault(p => !known.Contains(p.Name)) is { Value.ValueKind: not JsonValueKind.Undefined } unknown)
        {
            throw Refused($"{where} has an unknown field \"{unknown.Name}\" (known: {string.Join(", ", known)})");
        }
    }

    private static MlopsException Refused(string why) =>
        new($"The routes file was refused: {why}.", "Write the whole file again, with a higher generation; the proxy keeps its current routes until then.");
}
