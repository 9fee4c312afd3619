using Microsoft.Data.Sqlite;
using MlopsNotebooks.Registry;
using MlopsNotebooks.Storage;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Storage;

/// <summary>The store contract on real SQLite files, plus what is particular to the file.</summary>
public sealed class SqliteTrackingStoreTests : TrackingStoreContract
{
    private readonly TempDirectory _dir = new();

    protected override ITrackingStore CreateStore() => new SqliteTrackingStore(_dir.File($"{Guid.NewGuid():N}.db"));

    protected override ITrackingStore Reopen(ITrackingStore store)
    {
        var again = new SqliteTrackingStore(store.Location);
        OpenedElsewhere.Add(again);
        return again;
    }

    protected override IModelRegistryStore ModelRegistryBeside(ITrackingStore store) =>
        ModelRegistryStores.Open(new StoreAddress(store.Location, _dir.Path, ReadOnly: false));

    private List<ITrackingStore> OpenedElsewhere { get; } = [];

    public override void Dispose()
    {
        foreach (var store in OpenedElsewhere)
        {
            store.Dispose();
        }
        base.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void A_relative_artifact_root_is_refused_by_the_store_and_nothing_is_recorded()
    {
        var path = _dir.File("relative.db");
        var error = Assert.Throws<TrackingStoreException>(() => new SqliteTrackingStore(path, artifactUri: "artifacts").Dispose());
        Assert.Contains("relative", error.Message);
        Assert.NotNull(error.Hint);
        using var store = new SqliteTrackingStore(path);
        Assert.Null(store.ArtifactRoot);
    }

    [Theory]
    [InlineData("azure://team/artifacts?sv=2024&sig=S3CR3T", "S3CR3T")]
    [InlineData("s3://key:S3CR3T@bucket/artifacts", "S3CR3T")]
    [InlineData("gs://bucket/artifacts", null)]
    public void An_artifact_root_no_client_could_open_is_refused_before_it_is_recorded(string artifactUri, string? secret)
    {
        var path = _dir.File($"{Guid.NewGuid():N}.db");
        var error = Assert.ThrowsAny<MlopsException>(() => new SqliteTrackingStore(path, artifactUri: artifactUri).Dispose());
        Assert.NotNull(error.Hint);
        if (secret is not null)
        {
            Assert.DoesNotContain(secret, error.Message + error.Hint);
        }
        using var store = new SqliteTrackingStore(path);
        Assert.Null(store.ArtifactRoot);
    }

    [Fact]
    public void The_store_is_in_WAL_mode_so_readers_do_not_block_writers()
    {
        var path = _dir.File("wal.db");
        new SqliteTrackingStore(path).Dispose();
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", cmd.ExecuteScalar());
    }

    [Fact]
    public void A_file_that_is_not_a_database_is_refused_and_left_unchanged()
    {
        var path = _dir.File("notes.db");
        File.WriteAllText(path, "my precious notes, not a database\n");
        var before = File.ReadAllBytes(path);
        var error = Assert.Throws<TrackingStoreException>(() => new SqliteTrackingStore(path));
        Assert.Contains("is not an MlopsNotebooks tracking store", error.Message);
        Assert.Contains("MLOPS_TRACKING_URI", error.Hint);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.False(File.Exists(path + "-wal"));
    }

    [Fact]
    public void Another_applications_SQLite_database_is_refused_and_left_unchanged()
    {
        var path = _dir.File("app.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "CREATE TABLE customers (id INTEGER); INSERT INTO customers VALUES (1);";
            cmd.ExecuteNonQuery();
        }
        var before = File.ReadAllBytes(path);
        var error = Assert.Throws<TrackingStoreException>(() => new SqliteTrackingStore(path));
        Assert.Contains("customers", error.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void A_store_from_a_newer_version_is_refused()
    {
        var path = _dir.File("future.db");
        new SqliteTrackingStore(path).Dispose();
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "UPDATE mlops_schema SET version = 999";
            cmd.ExecuteNonQuery();
        }
        var error = Assert.Throws<TrackingStoreException>(() => new SqliteTrackingStore(path));
        Assert.Contains("schema version 999", error.Message);
        Assert.Contains("Upgrade", error.Hint);
    }

    [Fact]
    public void A_directory_is_not_taken_for_a_store_file()
    {
        var error = Assert.Throws<TrackingStoreException>(() => new SqliteTrackingStore(_dir.Path));
        Assert.Contains("is a directory", error.Message);
    }

    [Fact]
    public void Reopening_a_store_keeps_its_data_and_schema()
    {
        var path = _dir.File("again.db");
        string id;
        using (var store = new SqliteTrackingStore(path))
        {
            id = store.CreateExperiment("kept", DateTimeOffset.UtcNow).ExperimentId;
        }
        using (var store = new SqliteTrackingStore(path))
        {
            Assert.Equal("kept", store.GetExperiment(id)!.Name);
        }
    }
}
