using System.Text.Json;

namespace MlopsNotebooks.Serving;

/// <summary>A request the server refuses: its status (400, 413, 415, 404) and a message that names what was wrong.</summary>
internal sealed class RequestRejectedException(string message, int status = 400) : MlopsException(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// Reads request bodies into rows of the model's inputs, checked against the schema: every problem is a
/// <see cref="RequestRejectedException"/> naming the field, never anything else.
/// </summary>
internal sealed class TabularRequests(ServedModel model)
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 32 };

    public static JsonDocument Parse(ReadOnlyMemory<byte> body)
    {
        try
        {
            return JsonDocument.Parse(body, Options);
        }
        catch (JsonException e)
        {
            throw new RequestRejectedException($"The body is not valid JSON: {e.Message}");
        }
    }

    /// <summary>
    /// <c>POST /predict</c>: one object or an array of objects in the bundle's column names. Also whether it was one
    /// object, which is answered with one object.
    /// </summary>
    public (List<object?[]> Rows, bool Single) ReadPredict(JsonElement body)
    {
        switch (body.ValueKind)
        {
            case JsonValueKind.Object:
                return ([ReadObject(body, null)], true);
            case JsonValueKind.Array:
                var rows = new List<object?[]>(body.GetArrayLength());
                var index = 0;
                foreach (var item in body.EnumerateArray())
                {
                    rows.Add(item.ValueKind == JsonValueKind.Object ? ReadObject(item, index)
                        : throw new RequestRejectedException($"Row {index} is {Kind(item)}, not an object of the model's columns."));
                    index++;
                }
                return rows.Count > 0 ? (rows, false) : throw new RequestRejectedException("The array holds no rows.");
            default:
                throw new RequestRejectedException($"The body is {Kind(body)}; send one object of the model's columns or an array of them.");
        }
    }

    private object?[] ReadObject(JsonElement row, int? index)
    {
        var where = index is null ? "" : $" (row {index})";
        var values = new object?[model.Inputs.Count];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in row.EnumerateObject())
        {
            var column = model.Known.FirstOrDefault(c => c.Name == field.Name)
                ?? throw new RequestRejectedException($"Unknown field '{Shown(field.Name)}'{where}; the model's columns are {Columns()}.");
            if (!seen.Add(field.Name))
            {
                throw new RequestRejectedException($"Field '{field.Name}' is given twice{where}.");
            }
            var value = column.Type.Read(field.Value)
                ?? throw new RequestRejectedException($"Field '{field.Name}'{where} is {Kind(field.Value)}; it must be {column.Type.Expected} ({column.Type.Name}).");
            var position = IndexOf(column);
            if (position >= 0)
            {
                values[position] = value;
            }
        }
        foreach (var column in model.Inputs.Where(c => !seen.Contains(c.Name)))
        {
            throw new RequestRejectedException($"Field '{column.Name}' is missing{where}; it must be {column.Type.Expected} ({column.Type.Name}).");
        }
        return values;
    }

    /// <summary>
    /// <c>POST /v2/models/{name}/infer</c>, the tabular convention: one input per column, each with shape [N], the
    /// column's datatype and N values in <c>data</c>. Returns the rows and the outputs asked for (all when none are named).
    /// </summary>
    public (List<object?[]> Rows, IReadOnlyList<int> Outputs, string? Id) ReadInfer(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new RequestRejectedException($"The body is {Kind(body)}; an inference request is an object with \"inputs\".");
        }
        string? id = null;
        JsonElement? inputs = null, outputs = null;
        foreach (var property in body.EnumerateObject())
        {
            switch (property.Name)
            {
                case "id":
                    id = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : throw new RequestRejectedException("\"id\" must be a string.");
                    break;
                case "inputs":
                    inputs = property.Value;
                    break;
                case "outputs":
                    outputs = property.Value;
                    break;
                case "parameters":
                    break;
                default:
                    throw new RequestRejectedException($"Unknown field '{Shown(property.Name)}' in the request; it holds id, parameters, inputs and outputs.");
            }
        }
        if (inputs is not { ValueKind: JsonValueKind.Array } list || list.GetArrayLength() == 0)
        {
            throw new RequestRejectedException("\"inputs\" must be a non-empty array, one input per column.");
        }
        var columns = new Dictionary<string, (ServedColumn Column, object?[] Data)>(StringComparer.Ordinal);
        int? rows = null;
        foreach (var input in list.EnumerateArray())
        {
            var (column, data) = ReadTensor(input);
            if (rows is { } n && data.Length != n)
            {
                throw new RequestRejectedException($"Input '{column.Name}' has {data.Length} values, others have {n}: every column needs one value per row.");
            }
            rows = data.Length;
            if (!columns.TryAdd(column.Name, (column, data)))
            {
                throw new RequestRejectedException($"Input '{column.Name}' is given twice.");
            }
        }
        foreach (var column in model.Inputs.Where(c => !columns.ContainsKey(c.Name)))
        {
            throw new RequestRejectedException($"Input '{column.Name}' is missing; it must have datatype {column.Type.Datatype} and shape [N].");
        }
        var result = new List<object?[]>(rows!.Value);
        for (var r = 0; r < rows; r++)
        {
            result.Add(model.Inputs.Select(c => columns[c.Name].Data[r]).ToArray());
        }
        return (result, ReadOutputs(outputs), id);
    }

    private (ServedColumn Column, object?[] Data) ReadTensor(JsonElement input)
    {
        if (input.ValueKind != JsonValueKind.Object)
        {
            throw new RequestRejectedException($"An input is {Kind(input)}, not an object with name, shape, datatype and data.");
        }
        string? name = null, datatype = null;
        JsonElement? shape = null, data = null;
        foreach (var property in input.EnumerateObject())
        {
            switch (property.Name)
            {
                case "name":
                    name = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : throw new RequestRejectedException("An input's \"name\" must be a string.");
                    break;
                case "datatype":
                    datatype = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
                    break;
                case "shape":
                    shape = property.Value;
                    break;
                case "data":
                    data = property.Value;
                    break;
                case "parameters":
                    break;
                default:
                    throw new RequestRejectedException($"Unknown field '{Shown(property.Name)}' in an input; it holds name, shape, datatype, data and parameters.");
            }
        }
        if (name is null)
        {
            throw new RequestRejectedException("An input has no \"name\".");
        }
        var column = model.Known.FirstOrDefault(c => c.Name == name)
            ?? throw new RequestRejectedException($"Unknown input '{Shown(name)}'; the model's columns are {Columns()}.");
        if (datatype != column.Type.Datatype)
        {
            throw new RequestRejectedException($"Input '{name}' has datatype {(datatype is null ? "none" : $"'{Shown(datatype)}'")}; it must be {column.Type.Datatype}.");
        }
        if (shape is not { ValueKind: JsonValueKind.Array } dims || dims.GetArrayLength() != 1 || dims[0].ValueKind != JsonValueKind.Number || !dims[0].TryGetInt32(out var length) || length < 1)
        {
            throw new RequestRejectedException($"Input '{name}' must have shape [N], N the number of rows (at least 1).");
        }
        if (data is not { ValueKind: JsonValueKind.Array } values || values.GetArrayLength() != length)
        {
            throw new RequestRejectedException($"Input '{name}' has shape [{length}] but its \"data\" is not an array of {length} values.");
        }
        var result = new object?[length];
        var i = 0;
        foreach (var value in values.EnumerateArray())
        {
            result[i] = column.Type.Read(value)
                ?? throw new RequestRejectedException($"Input '{name}' value {i} is {Kind(value)}; {column.Type.Datatype} values must be {column.Type.Expected}.");
            i++;
        }
        return (column, result);
    }

    private IReadOnlyList<int> ReadOutputs(JsonElement? outputs)
    {
        if (outputs is null)
        {
            return Enumerable.Range(0, model.Outputs.Count).ToList();
        }
        if (outputs.Value.ValueKind != JsonValueKind.Array)
        {
            throw new RequestRejectedException("\"outputs\" must be an array of objects with a name.");
        }
        var wanted = new List<int>();
        foreach (var output in outputs.Value.EnumerateArray())
        {
            var name = output.ValueKind == JsonValueKind.Object && output.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()!
                : throw new RequestRejectedException("Each of \"outputs\" must be an object with a \"name\".");
            var index = model.Outputs.Select(c => c.Name).ToList().IndexOf(name);
            wanted.Add(index >= 0 ? index : throw new RequestRejectedException(
                $"Unknown output '{Shown(name)}'; the model answers {string.Join(", ", model.Outputs.Select(c => c.Name))}."));
        }
        return wanted.Count > 0 ? wanted : Enumerable.Range(0, model.Outputs.Count).ToList();
    }

    private int IndexOf(ServedColumn column)
    {
        for (var i = 0; i < model.Inputs.Count; i++)
        {
            if (ReferenceEquals(model.Inputs[i], column))
            {
                return i;
            }
        }
        return -1;
    }

    private string Columns() => string.Join(", ", model.Known.Select(c => c.Name));

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number (of another kind, or out of range)",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    // A name a client sent, shortened and with control characters escaped, so that an answer cannot be flooded or forged.
    private static string Shown(string text)
    {
        var cut = text.Length > 100 ? text[..100] + "..." : text;
        return string.Concat(cut.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
    }
}
