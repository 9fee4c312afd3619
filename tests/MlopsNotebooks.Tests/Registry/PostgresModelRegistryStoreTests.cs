using MlopsNotebooks.Registry;
using MlopsNotebooks.Storage;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Registry;

/// <summary>The registry store contract on a real PostgreSQL 15 server, opened through the registries as the client opens it.</summary>
public sealed class PostgresModelRegistryStoreTests : ModelRegistryStoreContract
{
    private readonly TempDirectory _dir = new();
    private readonly Dictionary<string, string> _uris = [];

    protected override (ITrackingStore Tracking, IModelRegistryStore Models) CreateStores()
    {
        var uri = PostgresServer.Shared.NewDatabase();
        // Through the seams' registries: TrackingStores.Open would also open an artifact store, which a team store
        // without MLOPS_ARTIFACT_URI does not have (the remotes' part).
        var address = new StoreAddress(uri, _dir.Path, ReadOnly: false);
        var tracking = TrackingStores.Registry.For(uri)(address);
        _uris[tracking.Location] = uri;
        return (tracking, ModelRegistryStores.Open(address));
    }

    protected override IModelRegistryStore Reopen(IModelRegistryStore store) =>
        ModelRegistryStores.Open(new StoreAddress(_uris[store.Location], _dir.Path, ReadOnly: false));

    public override void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}
