using System.Reflection;
using System.Runtime.CompilerServices;

namespace MlopsNotebooks.Storage;

/// <summary>
/// The team backends (PostgreSQL stores, Azure Blob and S3 remotes) live in the MlopsNotebooks.TeamStores assembly, so
/// that their SDKs stay out of what notebooks load. A URI with one of their schemes loads that assembly on first use:
/// its module initializer registers its backends with the seams' registries. The mlops tool ships it; a notebook adds
/// <c>#r "nuget: MlopsNotebooks.TeamStores"</c>.
/// </summary>
public static class TeamBackends
{
    public const string AssemblyName = "MlopsNotebooks.TeamStores";

    /// <summary>The schemes the team assembly serves, for the message when it is not there.</summary>
    public static readonly IReadOnlySet<string> Schemes = new HashSet<string>(["postgresql", "postgres", "azure", "s3"], StringComparer.OrdinalIgnoreCase);

    private static readonly Lazy<bool> Loaded = new(Load);

    /// <summary>Loads the team assembly once (false when it is not beside the core or in the host).</summary>
    public static bool EnsureLoaded() => Loaded.Value;

    private static bool Load()
    {
        var assembly = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == AssemblyName);
        if (assembly is null)
        {
            try
            {
                assembly = Assembly.Load(new AssemblyName(AssemblyName));
            }
            catch (IOException)
            {
                return false; // FileNotFoundException or FileLoadException: not installed here
            }
            catch (BadImageFormatException)
            {
                return false;
            }
        }
        RuntimeHelpers.RunModuleConstructor(assembly.ManifestModule.ModuleHandle);
        return true;
    }

    /// <summary>What to do when a team scheme has no backend because the assembly is missing.</summary>
    public static string MissingHint(string scheme) =>
        $"The {scheme}:// backend is in the {AssemblyName} package: in a notebook, add #r \"nuget: {AssemblyName}\" before opening the store; the mlops tool carries it.";
}
