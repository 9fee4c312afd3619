using MlopsNotebooks.Storage;
using MlopsNotebooks.Tests.Actions;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Storage;

/// <summary>
/// The team store as the issue draws it: PostgreSQL for runs and models, a blob remote (Azurite, s3rver) for their
/// objects. Sync runs laptop -> team -> a second clone through it; the pull request's baseline comes from it.
/// </summary>
internal static class PostgresTeamStores
{
    /// <summary>A fresh PostgreSQL store whose artifact root is <paramref name="artifactUri"/>; its URI (with the password).</summary>
    public static string New(string artifactUri)
    {
        var uri = PostgresServer.Shared.NewDatabase();
        TrackingStores.Registry.For(uri)(new StoreAddress(uri, Path.GetTempPath(), ReadOnly: false) { ArtifactUri = artifactUri }).Dispose();
        return uri;
    }
}

public sealed class PostgresAzureStoreSyncTests : StoreSyncContract
{
    protected override string NewRemoteUrl() => BlobTeamStores.NewAzureUrl("artifacts");

    protected override string NewTeamStore() => PostgresTeamStores.New(NewRemoteUrl());
}

public sealed class PostgresS3StoreSyncTests : StoreSyncContract
{
    protected override string NewRemoteUrl() => BlobTeamStores.NewS3Url("artifacts");

    protected override string NewTeamStore() => PostgresTeamStores.New(NewRemoteUrl());
}

/// <summary>The baseline job on a PostgreSQL team store: the report names the store without its password.</summary>
public sealed class PostgresTeamBaselineTests : TeamBaselineContract
{
    private readonly string _database = PostgresServer.Shared.CreateDatabase(fromTemplate: true);

    protected override string StoreUri => PostgresServer.Shared.Uri(_database);

    protected override string StoreLocation => PostgresServer.Shared.Uri(_database, withPassword: false);
}

public sealed class PostgresTeamStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_team_store_with_no_artifact_location_keeps_runs_and_says_how_to_give_it_one_at_the_first_artifact()
    {
        var uri = PostgresServer.Shared.NewDatabase();
        var file = _dir.File("model.zip");
        File.WriteAllText(file, "weights");
        using (var client = new TrackingClient(TrackingStores.Open(uri, _dir.Path)))
        {
            var run = client.CreateRun("churn", "fasttree");
            client.LogBatch(run.RunId, [new Metric("auc", 0.9, 0, 0)], [], []);
            var error = Assert.Throws<MlopsException>(() => client.LogArtifact(run.RunId, file, "model.zip"));
            Assert.Contains("has no artifact location", error.Message);
            Assert.DoesNotContain(PostgresServer.Shared.Password, error.Message);
            Assert.Contains("MLOPS_ARTIFACT_URI", error.Hint);
            Assert.Equal(0.9, client.GetRun(run.RunId)!.Metrics["auc"].Value);
            Assert.Empty(client.GetRun(run.RunId)!.Artifacts);
        }
        // Nothing went to this machine's cache, where the team would not find it.
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, ".mlops")));
    }

    [Fact]
    public void A_client_naming_another_artifact_location_than_the_team_stores_is_refused_and_changes_nothing()
    {
        var remote = BlobTeamStores.NewAzureUrl("artifacts");
        var uri = PostgresTeamStores.New(remote);
        var error = Assert.Throws<TrackingStoreException>(() =>
            TrackingStores.Registry.For(uri)(new StoreAddress(uri, _dir.Path, ReadOnly: false) { ArtifactUri = "s3://elsewhere/artifacts" }));
        Assert.Contains($"keeps its run artifacts at {remote}, not at s3://elsewhere/artifacts", error.Message);
        Assert.DoesNotContain(PostgresServer.Shared.Password, error.Message);
        using var store = TrackingStores.Registry.For(uri)(new StoreAddress(uri, _dir.Path, ReadOnly: true));
        Assert.Equal(remote, store.ArtifactRoot);
    }
}
