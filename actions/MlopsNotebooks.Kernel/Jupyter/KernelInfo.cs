using System.Reflection;
using System.Text.Json.Nodes;

namespace MlopsNotebooks.Kernel.Jupyter;

/// <summary>What kernel_info_reply says about this kernel and its language, which clients use to highlight and save cells.</summary>
internal static class KernelInfo
{
    private static readonly string Version =
        typeof(KernelInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static JsonObject Reply() => new()
    {
        ["status"] = "ok",
        ["protocol_version"] = JupyterMessage.ProtocolVersion,
        ["implementation"] = "mlops",
        ["implementation_version"] = Version,
        ["language_info"] = new JsonObject
        {
            ["name"] = "C#",
            ["version"] = Environment.Version.ToString(), // the .NET runtime the cells run on
            ["mimetype"] = "text/x-csharp",
            ["file_extension"] = ".cs",
            ["pygments_lexer"] = "csharp",
            ["codemirror_mode"] = "text/x-csharp",
        },
        ["banner"] = $"C# (MlopsNotebooks {Version}) on .NET {Environment.Version}: experiment tracking, data versioning and the model registry with #!mlops magics.",
        ["help_links"] = new JsonArray(
            new JsonObject { ["text"] = "C# language reference", ["url"] = "https://learn.microsoft.com/dotnet/csharp/" },
            new JsonObject { ["text"] = ".NET API browser", ["url"] = "https://learn.microsoft.com/dotnet/api/" }),
        ["debugger"] = false,
    };
}
