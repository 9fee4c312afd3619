using MlopsNotebooks.Registry;
using MlopsNotebooks.Storage;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Tests.Storage;

/// <summary>
/// A team store's artifact root in a remote: the artifact contract on it, and two clones that share a tracking store
/// and read each other's run artifacts and model versions. A remote backend derives one class and gives a fresh,
/// empty remote URL; everything goes through <see cref="ArtifactStores"/> and <see cref="TrackingStores"/>.
/// </summary>
public abstract class RemoteArtifactRootContract : ArtifactStoreContract
{
    /// <summary>The URL of a new, empty remote (not a plain path or file://, which are the object cache).</summary>
    protected abstract string NewRemoteUrl();

    /// <summary>A folder standing for a clone's work tree (its own .mlops/cache).</summary>
    private string Clone(string name)
    {
        var folder = Path.Combine(Dir.Path, name);
        Directory.CreateDirectory(Path.Combine(folder, ".git"));
        return folder;
    }

    protected override IArtifactStore CreateStore() => ArtifactStores.Open(NewRemoteUrl(), Clone($"clone-{Guid.NewGuid():N}"));

    [Fact]
    public void A_remote_url_opens_a_store_that_writes_to_the_remote_and_reads_through_the_local_cache()
    {
        var url = NewRemoteUrl();
        var (first, second) = (Clone("first"), Clone("second"));
        var file = Path.Combine(Dir.Path, "model.zip");
        File.WriteAllText(file, "weights\n");
        var info = ArtifactStores.Open(url, first).Put(file, "model/model.zip");

        var reader = ArtifactStores.Open(url, second);
        Assert.IsType<RemoteArtifactStore>(reader);
        Assert.False(Directory.Exists(Path.Combine(second, ".mlops")), "opening and asking must not create the cache");
        Assert.Equal([ContentHash.Parse(info.Hash)], reader.Has([ContentHash.Parse(info.Hash)]));
        Assert.False(Directory.Exists(Path.Combine(second, ".mlops")));

        Assert.Equal("weights\n", ContentFiles.ReadAll(reader.OpenRead(info)));
        Assert.True(new ObjectCache(Path.Combine(second, ".mlops", "cache")).Contains(ContentHash.Parse(info.Hash)), "read through the clone's own cache");
    }

    [Fact]
    public void Runs_and_model_versions_logged_in_one_clone_are_read_from_another_clone_with_the_same_tracking_uri()
    {
        var team = Path.Combine(Dir.Path, "team", "mlops.db");
        Directory.CreateDirectory(Path.GetDirectoryName(team)!);
        new SqliteTrackingStore(team, artifactUri: NewRemoteUrl()).Dispose();
        var (laptop, ci) = (Clone("laptop"), Clone("ci"));

        string runId;
        ModelVersion version;
        var plot = Path.Combine(laptop, "roc.txt");
        File.WriteAllText(plot, "roc curve\n");
        using (var client = new TrackingClient(TrackingStores.Open(team, laptop)))
        {
            var rows = ChurnRows.Rows(200, seed: 3);
            var (model, data) = ChurnRows.Train(rows);
            var run = client.CreateRun("churn", "sdca");
            client.LogArtifact(run.RunId, plot, "plots/roc.txt");
            version = new ModelRegistry(client).Register(run.RunId, model, data.Schema, "churn", alias: "candidate", referenceData: data);
            client.SetTerminated(run.RunId);
            runId = run.RunId;
        }

        var export = Path.Combine(Dir.Path, "export");
        using (var client = new TrackingClient(TrackingStores.OpenForReading(team, ci)))
        {
            var run = client.GetRun(runId);
            Assert.Equal("roc curve\n", ContentFiles.ReadAll(client.Artifacts.OpenRead(run.Artifacts.Single(a => a.Path == "plots/roc.txt"))));
            var registry = new ModelRegistry(client);
            Assert.Equal(version.ModelHash, registry.Get("churn@candidate").ModelHash);
            Assert.NotNull(registry.Reference(version));
            registry.Export("churn@candidate", export);
        }
        Assert.Equal(ContentHash.Parse(version.ModelHash), ContentHash.OfFile(Path.Combine(export, "model.zip")));
        Assert.True(File.Exists(Path.Combine(export, MlopsNotebooks.Monitoring.Reference.ProfileFile)));
    }
}

/// <summary>The remote artifact root on a directory remote, reached under a scheme of its own as a blob remote would be.</summary>
public sealed class DirectoryRemoteArtifactRootTests : RemoteArtifactRootContract
{
    protected override string NewRemoteUrl() => DirectoryRemoteUrl.For(Path.Combine(Dir.Path, "remotes", Guid.NewGuid().ToString("N")));
}

/// <summary>A directory remote under a scheme of its own (registered once), so it is opened as a remote, not as a cache.</summary>
public static class DirectoryRemoteUrl
{
    private const string Scheme = "artifactdir";

    static DirectoryRemoteUrl() => Remotes.Registry.Register(Scheme, (name, url, _) => new DirectoryRemote(name, url[$"{Scheme}://".Length..]));

    public static string For(string folder) => $"{Scheme}://{folder}";
}
