using MlopsNotebooks.Storage;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Storage;

/// <summary>The store contract on a real PostgreSQL 15 server, one fresh database per store, opened through the registry.</summary>
public sealed class PostgresTrackingStoreTests : TrackingStoreContract
{
    private readonly TempDirectory _dir = new();
    private readonly Dictionary<string, string> _uris = [];
    private readonly List<ITrackingStore> _openedElsewhere = [];

    protected override ITrackingStore CreateStore()
    {
        var uri = PostgresServer.Shared.NewDatabase();
        var store = TrackingStores.Registry.For(uri)(new StoreAddress(uri, _dir.Path, ReadOnly: false));
        _uris[store.Location] = uri;
        return store;
    }

    protected override MlopsNotebooks.Registry.IModelRegistryStore ModelRegistryBeside(ITrackingStore store)
    {
        var uri = _uris[store.Location];
        return MlopsNotebooks.Registry.ModelRegistryStores.Open(new StoreAddress(uri, _dir.Path, ReadOnly: false));
    }

    // Location has no password; the test opens it again with the URI it was made from.
    protected override ITrackingStore Reopen(ITrackingStore store)
    {
        var uri = _uris[store.Location];
        var again = TrackingStores.Registry.For(uri)(new StoreAddress(uri, _dir.Path, ReadOnly: false));
        _openedElsewhere.Add(again);
        return again;
    }

    public override void Dispose()
    {
        foreach (var store in _openedElsewhere)
        {
            store.Dispose();
        }
        base.Dispose();
        _dir.Dispose();
    }
}
