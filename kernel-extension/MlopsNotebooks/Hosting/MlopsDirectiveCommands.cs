using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.DotNet.Interactive.Commands;
using MlopsNotebooks.Magics;

namespace MlopsNotebooks.Hosting;

/// <summary>
/// The kernel's command for one <c>#!mlops</c> subcommand. The kernel binds the line's parameters into the properties
/// by JSON (<c>--order-by</c> into <c>OrderBy</c>), resolving <c>@csharp:</c> values on the way; the properties are
/// the subcommand's parameters in <see cref="MlopsMagics.All"/>, one each, which <see cref="MlopsKernelExtension"/>
/// checks when it loads. Values are text (flags booleans), so the grammar's own checks say what is wrong with them.
/// </summary>
public abstract class MlopsDirectiveCommand : KernelDirectiveCommand
{
    /// <summary>The subcommand this type carries: <c>MlopsStartRun</c> is <c>start-run</c>.</summary>
    public static string SubcommandOf(Type type) =>
        string.Concat(type.Name["Mlops".Length..].Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary>The values given, by parameter name, as the runner's parser reads them from a line.</summary>
    public IReadOnlyDictionary<string, string> Values(MagicCommand magic)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in magic.Parameters)
        {
            switch (PropertyOf(GetType(), p)!.GetValue(this))
            {
                case string text:
                    values[p.Name] = text;
                    break;
                case true:
                    values[p.Name] = "true";
                    break;
            }
        }
        return values;
    }

    internal static PropertyInfo? PropertyOf(Type type, MagicParameter parameter)
    {
        var camel = MagicParser.CamelCase(parameter.Name);
        var property = type.GetProperty(char.ToUpperInvariant(camel[0]) + camel[1..], BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly);
        return property?.PropertyType == (parameter.Flag ? typeof(bool) : typeof(string)) ? property : null;
    }
}

/// <summary>
/// Reads a bound value as text: the kernel hands a quoted value as a JSON string, a number as a number and an
/// <c>@csharp:</c> list as a JSON array, which becomes its items joined by commas, as the list options take them.
/// </summary>
public sealed class MagicValueConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return Text(document.RootElement);
    }

    private static string? Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.Array => string.Join(",", value.EnumerateArray().Select(Text)),
        _ => value.GetRawText(),
    };

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}

public sealed class MlopsHelp : MlopsDirectiveCommand;

public sealed class MlopsExperiment : MlopsDirectiveCommand
{
    [JsonConverter(typeof(MagicValueConverter))] public string? Name { get; set; }
}

public sealed class MlopsStartRun : MlopsDirectiveCommand
{
    [JsonConverter(typeof(MagicValueConverter))] public string? Name { get; set; }
    public bool Nested { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? Params { get; set; }
}

public sealed class MlopsEndRun : MlopsDirectiveCommand
{
    [JsonConverter(typeof(MagicValueConverter))] public string? Status { get; set; }
}

public sealed class MlopsTrack : MlopsDirectiveCommand
{
    [JsonConverter(typeof(MagicValueConverter))] public string? Name { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? Params { get; set; }
}

public sealed class MlopsLogParam : MlopsDirectiveCommand
{
    [JsonConverter(typeof(MagicValueConverter))] public string? Param { get; set; }
}

public sealed class MlopsLogMetric : MlopsDirectiveCommand
{
    [JsonConverter(typeof(MagicValueConverter))] public string? Metric { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? Step { get; set; }
}

public sealed class MlopsTag : MlopsDirectiveCommand
{
    [JsonConverter(typeof(MagicValueConverter))] public string? Tag { get; set; }
}

public sealed class MlopsDataAdd : MlopsDirectiveCommand
{
    [JsonConverter(typeof(MagicValueConverter))] public string? Path { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? Link { get; set; }
}

public sealed class MlopsDataUse : MlopsDirectiveCommand
{
    [JsonConverter(typeof(MagicValueConverter))] public string? Path { get; set; }
}

public sealed class MlopsRegisterModel : MlopsDirectiveCommand
{
    [JsonConverter(typeof(MagicValueConverter))] public string? Variable { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? Name { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? Alias { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? Schema { get; set; }
}

public sealed class MlopsRuns : MlopsDirectiveCommand
{
    [JsonConverter(typeof(MagicValueConverter))] public string? Filter { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? OrderBy { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? Max { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? Experiments { get; set; }
}

public sealed class MlopsChart : MlopsDirectiveCommand
{
    [JsonConverter(typeof(MagicValueConverter))] public string? Metric { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? Kind { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? Runs { get; set; }
}

public sealed class MlopsDrift : MlopsDirectiveCommand
{
    [JsonConverter(typeof(MagicValueConverter))] public string? Data { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? Reference { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? Mode { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? Test { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? Threshold { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? DriftShare { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? Columns { get; set; }
}

public sealed class MlopsCompare : MlopsDirectiveCommand
{
    [JsonConverter(typeof(MagicValueConverter))] public string? Runs { get; set; }
}

public sealed class MlopsSweep : MlopsDirectiveCommand
{
    [JsonConverter(typeof(MagicValueConverter))] public string? Space { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? Evaluate { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? Trials { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? Budget { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? Name { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? Tuner { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? Pruner { get; set; }
    [JsonConverter(typeof(MagicValueConverter))] public string? Metric { get; set; }
}
