using MlopsNotebooks.Registry;
using MlopsNotebooks.Storage;

namespace MlopsNotebooks.TeamStores.PostgreSql;

/// <summary>The PostgreSQL backends of the tracking store and the model registry, one database holding both.</summary>
public static class PostgresStores
{
    public static readonly string[] Schemes = ["postgresql", "postgres"];

    public static void Register()
    {
        foreach (var scheme in Schemes)
        {
            TrackingStores.Registry.Register(scheme, address => new SqlTrackingStore(new PostgresDatabase(address.Uri!, address.ReadOnly), artifactUri: address.ArtifactUri));
            ModelRegistryStores.Registry.Register(scheme, address => new SqlModelRegistryStore(new PostgresDatabase(address.Uri!, address.ReadOnly)));
        }
    }
}
