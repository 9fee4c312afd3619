using MlopsNotebooks.Storage;

namespace MlopsNotebooks.Registry;

/// <summary>
/// Picks the model registry store backend from the tracking URI, as MLflow keeps a registry of registry stores beside
/// its tracking stores: the schemes are the tracking store's, and SQLite's registry lives in the tracking store's file.
/// A new backend is one class implementing <see cref="IModelRegistryStore"/> (or <see cref="SqlModelRegistryStore"/>
/// on its own <see cref="SqlDatabase"/>), one Register line here, and one more class deriving from the registry store
/// contract suite in the tests.
/// </summary>
public static class ModelRegistryStores
{
    public static SchemeRegistry<Func<StoreAddress, IModelRegistryStore>> Registry { get; } = new(TrackingStores.UnsupportedScheme);

    static ModelRegistryStores()
    {
        Registry.Register(UriSchemes.PlainPath, OpenSqlite);
        Registry.Register("sqlite", OpenSqlite);
    }

    public static IModelRegistryStore Open(StoreAddress address) => Registry.For(address.Uri)(address);

    private static SqlModelRegistryStore OpenSqlite(StoreAddress address) =>
        new(new SqliteDatabase(TrackingStores.SqlitePath(address), address.ReadOnly));
}
