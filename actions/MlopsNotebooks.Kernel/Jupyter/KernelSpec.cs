using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace MlopsNotebooks.Kernel.Jupyter;

/// <summary>Where <c>mlops kernel install</c> puts the spec: the machine's Jupyter, the user's, or under a prefix.</summary>
public enum SpecScope
{
    System,
    User,
    Prefix,
}

/// <summary>
/// The kernel spec Jupyter finds the kernel by: a folder named after the kernel holding kernel.json, whose argv starts
/// this very mlops with <c>kernel {connection_file}</c>.
/// </summary>
public static partial class KernelSpec
{
    public const string DefaultName = "mlops-csharp";

    public const string DisplayName = "C# (MlopsNotebooks)";

    /// <summary>The kernels folder for the scope, as jupyter_core places it (jupyter kernelspec install does the same).</summary>
    public static string KernelsFolder(SpecScope scope, string? prefix = null) => scope switch
    {
        SpecScope.Prefix => Path.Combine(Path.GetFullPath(prefix!), "share", "jupyter", "kernels"),
        SpecScope.User => Path.Combine(UserDataFolder(), "kernels"),
        _ => Path.Combine(OperatingSystem.IsWindows()
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "jupyter")
            : "/usr/local/share/jupyter", "kernels"),
    };

    /// <summary>Writes the spec; returns its folder. A name Jupyter would not list is an error.</summary>
    public static string Install(string name, string kernelsFolder, IReadOnlyList<string> command)
    {
        // Jupyter's pattern lets "." and ".." through, which would name the kernels folder or its parent.
        if (!ValidName().IsMatch(name) || name.All(c => c == '.'))
        {
            throw new MlopsException($"\"{name}\" is not a kernel name (a folder of its own under the kernels folder, as Jupyter lists them).",
                $"Use letters, digits, '.', '_' and '-' only, e.g. --name {DefaultName} (or .net-csharp to open .NET Interactive's notebooks unchanged).");
        }
        var folder = Path.Combine(kernelsFolder, name);
        var spec = new JsonObject
        {
            ["argv"] = new JsonArray([.. command.Select(c => (JsonNode?)c), "kernel", "{connection_file}"]),
            ["display_name"] = DisplayName,
            ["language"] = "C#",
            ["interrupt_mode"] = "message",
            ["metadata"] = new JsonObject { ["debugger"] = false, ["implementation"] = "mlops" },
        };
        try
        {
            Directory.CreateDirectory(folder);
            AtomicFile.WriteAllText(Path.Combine(folder, "kernel.json"), spec.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UnavailableException($"The kernel spec cannot be written to {folder}: {e.Message}",
                "Install it for yourself with --user, or under a folder you can write with --prefix.");
        }
        return folder;
    }

    /// <summary>
    /// The command that starts this very mlops: the apphost, or <c>dotnet mlops.dll</c> when it runs under dotnet.
    /// </summary>
    public static IReadOnlyList<string> ThisCommand(string entryAssembly)
    {
        var process = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? [process, entryAssembly]
            : [process];
    }

    private static string UserDataFolder()
    {
        if (Environment.GetEnvironmentVariable("JUPYTER_DATA_DIR") is { Length: > 0 } data)
        {
            return data;
        }
        if (OperatingSystem.IsWindows())
        {
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify), "jupyter");
        }
        // Not verified: a fresh account's home may lack the folders the spec goes into (they are created).
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile, Environment.SpecialFolderOption.DoNotVerify);
        if (home.Length == 0)
        {
            throw new MlopsException("The user's home folder is not known (HOME is not set), so --user has nowhere to go.",
                "Set HOME, or set JUPYTER_DATA_DIR, or pass --prefix.");
        }
        if (OperatingSystem.IsMacOS())
        {
            return Path.Combine(home, "Library", "Jupyter");
        }
        return Path.Combine(Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(home, ".local", "share"), "jupyter");
    }

    // jupyter_client's kernelspec rule (_kernel_name_pat).
    [GeneratedRegex("^[a-z0-9._-]+$", RegexOptions.IgnoreCase)]
    private static partial Regex ValidName();
}
