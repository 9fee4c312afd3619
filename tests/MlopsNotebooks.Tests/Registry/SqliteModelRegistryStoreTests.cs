using MlopsNotebooks.Registry;
using MlopsNotebooks.Storage;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Registry;

/// <summary>The registry store contract on SQLite, opened through the registries as the client opens it.</summary>
public sealed class SqliteModelRegistryStoreTests : ModelRegistryStoreContract
{
    private readonly TempDirectory _dir = new();

    protected override (ITrackingStore Tracking, IModelRegistryStore Models) CreateStores()
    {
        var location = TrackingStores.Open(_dir.File($"{Guid.NewGuid():N}.db"));
        return (location.Store, location.OpenModelRegistry());
    }

    protected override IModelRegistryStore Reopen(IModelRegistryStore store) =>
        ModelRegistryStores.Open(new StoreAddress(store.Location, _dir.Path, ReadOnly: false));

    public override void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void The_registry_lives_in_the_tracking_stores_file_and_a_version_cannot_name_a_run_that_is_not_there()
    {
        var path = _dir.File("one.db");
        var location = TrackingStores.Open(path);
        using var tracking = location.Store;
        using var models = location.OpenModelRegistry();
        Assert.Equal(tracking.Location, models.Location);
        Assert.Equal([path], Directory.EnumerateFiles(_dir.Path, "*.db"));
        Assert.ThrowsAny<Exception>(() => models.CreateModelVersion(
            new NewModelVersion("churn", "no-such-run", "sha256:" + new string('a', 64), "sha256:" + new string('b', 64), "sha256:" + new string('c', 64), DateTimeOffset.UtcNow)));
        Assert.Empty(models.ListModelVersions(null));
    }
}
