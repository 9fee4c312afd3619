using System.Runtime.CompilerServices;
using MlopsNotebooks.TeamStores.Blobs;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.TeamStores;

/// <summary>
/// Registers the team backends with the seams' registries when the assembly is loaded (the core loads it by name when a
/// URI asks for one of <see cref="Storage.TeamBackends.Schemes"/>): one line per scheme, as MLflow's entry points do.
/// </summary>
public static class TeamStoresModule
{
    // A library's module initializer is what the core's loader runs (RunModuleConstructor); it only registers factories.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    public static void Register()
    {
        Remotes.Registry.Register("azure", (name, url, _) => AzureBlobRemote.Open(name, url, Environment.GetEnvironmentVariable));
        Remotes.Registry.Register("s3", (name, url, _) => S3Remote.Open(name, url, Environment.GetEnvironmentVariable));
        PostgreSql.PostgresStores.Register();
    }
}
