using MlopsNotebooks.Registry;
using MlopsNotebooks.Storage;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Tests.Storage;

/// <summary>Backends chosen by URI scheme: a registered scheme reaches its factory, any other keeps its message.</summary>
public sealed class SchemeRegistryTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("mysql://user@host/mlops", "mysql")]
    [InlineData("cockroachdb://host/db", "cockroachdb")]
    [InlineData("sqlite://two-slashes.db", "sqlite")]
    public void A_tracking_uri_whose_scheme_has_no_backend_is_refused_with_the_same_message_by_both_store_registries(string uri, string scheme)
    {
        var tracking = Assert.Throws<MlopsException>(() => TrackingStores.Open(uri, _dir.Path));
        var registry = Assert.Throws<MlopsException>(() => ModelRegistryStores.Open(new StoreAddress(uri, _dir.Path, ReadOnly: false)));
        Assert.Equal($"The tracking URI scheme '{scheme}' is not supported.", tracking.Message);
        Assert.Equal("Use sqlite:///path/to/mlops.db, a file path, or unset MLOPS_TRACKING_URI for the default .mlops/mlops.db.", tracking.Hint);
        Assert.Equal((tracking.Message, tracking.Hint), (registry.Message, registry.Hint));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir.Path));
    }

    [Theory]
    [InlineData("gs://bucket/cache")]
    [InlineData("hdfs://namenode/cache")]
    [InlineData("://nothing")]
    public void A_remote_url_whose_scheme_has_no_backend_is_refused_as_not_supported_yet(string url)
    {
        var error = Assert.Throws<MlopsException>(() => Remotes.Open("shared", url, _dir.Path));
        Assert.Equal($"The remote URL '{url}' is not supported yet.", error.Message);
        Assert.Equal("Use a folder path (a mounted share or another disk), azure://container/prefix or s3://bucket/prefix.", error.Hint);
    }

    [Theory]
    [InlineData("gs://key:S3CR3T@bucket/cache", "gs://bucket/cache")]
    [InlineData("gs://bucket/cache?sig=S3CR3T", "gs://bucket/cache")]
    [InlineData("hdfs://namenode/cache#S3CR3T", "hdfs://namenode/cache")]
    public void A_remote_url_of_an_unsupported_scheme_is_named_without_the_credentials_in_it(string url, string shown)
    {
        var error = Assert.Throws<MlopsException>(() => Remotes.Open("shared", url, _dir.Path));
        Assert.Equal($"The remote URL '{shown}' is not supported yet.", error.Message);
        Assert.DoesNotContain("S3CR3T", error.Message + error.Hint);
    }

    [Fact]
    public void An_artifact_location_whose_scheme_has_no_backend_is_refused()
    {
        var error = Assert.Throws<MlopsException>(() => ArtifactStores.Open("gs://bucket/artifacts"));
        Assert.Equal("The artifact location scheme 'gs' is not supported.", error.Message);
    }

    [Fact]
    public void A_registered_tracking_scheme_is_what_a_client_opens_and_the_model_registry_follows_it()
    {
        // A new backend is one registration per store seam; the client, the registry and gc need no change.
        static string PathOf(StoreAddress a) => Path.Combine(a.WorkingDirectory, a.Uri!["tracktest://".Length..] + ".db");
        TrackingStores.Registry.Register("tracktest", a => new SqliteTrackingStore(PathOf(a), a.ReadOnly));
        ModelRegistryStores.Registry.Register("tracktest", a => new SqlModelRegistryStore(new SqliteDatabase(PathOf(a), a.ReadOnly)));

        using (var client = new TrackingClient(TrackingStores.Open("tracktest://team", _dir.Path)))
        {
            var run = client.CreateRun("seams", "through a registered scheme");
            client.SetTerminated(run.RunId);
            Assert.Empty(client.ModelRegistryStore.ListModels());
        }
        using var reader = new SqliteTrackingStore(_dir.File("team.db"), readOnly: true);
        Assert.Equal("through a registered scheme", Assert.Single(reader.SearchRuns(new Search.RunQuery
        {
            ExperimentIds = [reader.GetExperimentByName("seams")!.ExperimentId],
        })).Name);
    }

    [Fact]
    public void A_registered_remote_scheme_is_accepted_by_remote_add_and_used_by_push_and_pull()
    {
        using var git = new GitRepository();
        var shared = _dir.File("mirror-target");
        Remotes.Registry.Register("mirrortest", (name, url, _) => new DirectoryRemote(name, Path.Combine(shared, url["mirrortest://".Length..])));
        var csv = git.Write("data/a.csv", "a\n1\n");
        using var repo = new DataRepository(git.Root);
        repo.Add(csv);
        repo.AddRemote("mirror", "mirrortest://team", makeDefault: true);

        var hash = ContentHash.OfFile(csv);
        Assert.Equal(1, repo.Push().Transferred);
        Assert.Equal([hash], Remotes.Open("check", "mirrortest://team", git.Root).Has([hash]));

        File.Delete(csv);
        repo.Cache.Remove(hash);
        Assert.Equal(1, repo.Pull().Transferred);
        Assert.Equal("a\n1\n", File.ReadAllText(csv));
    }
}
