using System.Globalization;
using System.Text.Json;
using Microsoft.ML.Data;

namespace MlopsNotebooks.Serving;

/// <summary>
/// A column type the server reads and writes: its name in the manifest (ML.NET's), its Open Inference Protocol datatype,
/// the CLR type of a row's field, and how a JSON value becomes one.
/// </summary>
internal sealed class ColumnType
{
    private readonly Func<JsonElement, object?> _read;

    private ColumnType(string name, string datatype, Type clr, DataViewType dataView, string expected, Func<JsonElement, object?> read)
    {
        Name = name;
        Datatype = datatype;
        Clr = clr;
        DataView = dataView;
        Expected = expected;
        _read = read;
    }

    /// <summary>ML.NET's name, as the manifest records it (<c>Single</c>, <c>String</c>, ...).</summary>
    public string Name { get; }

    /// <summary>The Open Inference Protocol's name: FP32, FP64, INT32, INT64, BOOL, BYTES.</summary>
    public string Datatype { get; }

    public Type Clr { get; }

    public DataViewType DataView { get; }

    /// <summary>What a JSON value of this column must be, in a client's words.</summary>
    public string Expected { get; }

    public static readonly IReadOnlyList<ColumnType> All =
    [
        new("Single", "FP32", typeof(float), NumberDataViewType.Single, "a number", e => ReadNumber(e) is { } d && Math.Abs(d) <= float.MaxValue ? (float)d : null),
        new("Double", "FP64", typeof(double), NumberDataViewType.Double, "a number", e => ReadNumber(e)),
        new("Int32", "INT32", typeof(int), NumberDataViewType.Int32, "a whole number", e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var i) ? i : null),
        new("Int64", "INT64", typeof(long), NumberDataViewType.Int64, "a whole number", e => e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var l) ? l : null),
        new("Boolean", "BOOL", typeof(bool), BooleanDataViewType.Instance, "true or false", e => e.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => null,
        }),
        new("String", "BYTES", typeof(string), TextDataViewType.Instance, "a string", e => e.ValueKind == JsonValueKind.String ? e.GetString() : null),
    ];

    /// <summary>The type named <paramref name="name"/> in a manifest, or null when the server cannot carry it.</summary>
    public static ColumnType? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    /// <summary>The value, or null when <paramref name="value"/> is not of this type.</summary>
    public object? Read(JsonElement value) => _read(value);

    /// <summary>A value as JSON, as the prediction log writes it too.</summary>
    public static void Write(Utf8JsonWriter writer, object? value) => MlopsNotebooks.Monitoring.JsonValues.Write(writer, value);

    private static double? ReadNumber(JsonElement e) => e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out var d) && double.IsFinite(d) ? d : null;
}

/// <summary>A column of the served model: its name as clients write it, and its type.</summary>
internal sealed record ServedColumn(string Name, ColumnType Type);
