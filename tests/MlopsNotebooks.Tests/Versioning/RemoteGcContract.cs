using System.Text.Json.Nodes;
using MlopsNotebooks.Registry;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Tests.Versioning;

/// <summary>
/// <c>mlops data gc --remote</c>: what it removes from a remote and what it keeps, through <see cref="IRemote"/> only.
/// Each remote backend derives a class that gives a fresh, empty remote's URL.
/// </summary>
public abstract class RemoteGcContract : IDisposable
{
    protected GitRepository Git { get; } = new();

    /// <summary>The URL of a new, empty remote (as `mlops remote add` takes it).</summary>
    protected abstract string NewRemoteUrl();

    public virtual void Dispose()
    {
        Git.Dispose();
        GC.SuppressFinalize(this);
    }

    private IRemote Remote(DataRepository repo) => Remotes.Open("shared", repo.Config.Remotes["shared"], Git.Root);

    private static HashSet<ContentHash> Listed(IRemote remote) => remote.List().Select(o => o.Hash).ToHashSet();

    private DataRepository RepositoryWithRemote()
    {
        var repo = new DataRepository(Git.Root);
        repo.AddRemote("shared", NewRemoteUrl(), makeDefault: true);
        return repo;
    }

    private void Upload(IRemote remote, ObjectCache cache, ContentHash hash) => remote.Upload(hash, cache.PathOf(hash), CancellationToken.None);

    [Fact]
    public void Gc_on_a_remote_removes_old_versions_and_keeps_what_pointers_need_even_when_the_cache_lacks_the_manifest()
    {
        using var repo = RepositoryWithRemote();
        Git.Write("data/train.csv", "a,b\n1,2\n");
        Git.Write("data/images/1.txt", "one\n");
        Git.Write("data/images/2.txt", "two\n");
        var oldFile = repo.Add(Git.PathOf("data/train.csv")).Hash;
        var folder = repo.Add(Git.PathOf("data/images")).Hash;
        repo.Push();
        Git.Write("data/train.csv", "a,b\n1,2\n3,4\n");
        var newFile = repo.Add(Git.PathOf("data/train.csv")).Hash;
        Git.Commit("data v2");
        repo.Push();
        // The folder's manifest is only on the remote now: gc must read it there, or it would take the files for garbage.
        Directory.Delete(Path.Combine(repo.Cache.Root, "objects"), recursive: true);
        var remote = Remote(repo);
        var before = remote.List().ToList();
        Assert.Equal(5, before.Count); // two versions of the file, the manifest and two images

        var dry = repo.GcRemote("shared", dryRun: true, grace: TimeSpan.Zero);
        Assert.Equal([oldFile], dry.Removed.Select(o => o.Hash));
        Assert.Equal(before.Count, remote.List().Count());

        var gc = repo.GcRemote("shared", grace: TimeSpan.Zero);

        Assert.Equal([oldFile], gc.Removed.Select(o => o.Hash));
        Assert.Equal(before.Single(o => o.Hash == oldFile).Size, gc.RemovedBytes);
        Assert.Equal((4, before.Where(o => o.Hash != oldFile).Sum(o => o.Size)), (gc.InUse, gc.InUseBytes));
        Assert.Equal(0, gc.Young);
        var left = Listed(remote);
        Assert.DoesNotContain(oldFile, left);
        Assert.Contains(newFile, left);
        Assert.Contains(folder, left);
        Assert.Equal(4, left.Count);
    }

    [Fact]
    public void Gc_on_a_remote_keeps_unreferenced_objects_written_within_the_grace_period()
    {
        using var repo = RepositoryWithRemote();
        var remote = Remote(repo);
        var stray = repo.Cache.AddBytes("pushed by another clone a moment ago"u8);
        Upload(remote, repo.Cache, stray);

        var kept = repo.GcRemote("shared");
        Assert.Empty(kept.Removed);
        Assert.Equal((1, 36L), (kept.Young, kept.YoungBytes));

        Assert.Equal([stray], repo.GcRemote("shared", grace: TimeSpan.Zero).Removed.Select(o => o.Hash));
        Assert.Empty(remote.List());
    }

    [Fact]
    public void Gc_on_a_remote_keeps_the_run_artifacts_of_the_named_team_store_and_the_model_versions_with_their_reference()
    {
        using var repo = RepositoryWithRemote();
        var remote = Remote(repo);
        var team = Path.Combine(Git.Root, "..", $"team-{Guid.NewGuid():N}.db");
        ContentHash artifact;
        using (var client = new TrackingClient(team))
        {
            var run = client.CreateRun("exp", "ci");
            artifact = ContentHash.Parse(client.LogArtifact(run.RunId, Git.Write("report.txt", "logged in CI\n")).Single().Hash);
            client.SetTerminated(run.RunId);
            Upload(remote, new ObjectCache(Path.ChangeExtension(team, ".cache")), artifact);
        }
        List<ContentHash> modelObjects;
        using (var client = new TrackingClient(Git.PathOf(".mlops/mlops.db")))
        {
            var (model, data) = ChurnRows.Train(ChurnRows.Rows(200, 1));
            var run = client.CreateRun("exp", "train");
            var version = new ModelRegistry(client).Register(run.RunId, model, data.Schema, "churn", referenceData: data);
            modelObjects = repo.Cache.List().ToList();
            Assert.Equal(5, modelObjects.Count); // model, manifest, sample, reference profile and columns
            foreach (var hash in modelObjects)
            {
                Upload(remote, repo.Cache, hash);
                repo.Cache.Remove(hash); // the remote holds the only copy, so gc reads the manifest there
            }
        }

        Assert.Equal([artifact], repo.GcRemote("shared", dryRun: true, grace: TimeSpan.Zero).Removed.Select(o => o.Hash));
        var gc = repo.GcRemote("shared", trackingUri: team, grace: TimeSpan.Zero);

        Assert.Empty(gc.Removed);
        Assert.Equal(6, gc.InUse);
        Assert.Equal(modelObjects.Append(artifact).ToHashSet(), Listed(remote));
        File.Delete(team);
    }

    [Fact]
    public void Gc_on_a_remote_stops_and_removes_nothing_when_the_named_store_cannot_be_read()
    {
        using var repo = RepositoryWithRemote();
        var remote = Remote(repo);
        Upload(remote, repo.Cache, repo.Cache.AddBytes("garbage, but the store might need it"u8));
        var broken = Git.Write("team.db", "not a database at all");

        var error = Assert.Throws<UnavailableException>(() => repo.GcRemote("shared", trackingUri: broken, grace: TimeSpan.Zero));

        Assert.Contains("team.db", error.Message);
        Assert.Contains("Nothing was removed", error.Hint);
        Assert.Single(remote.List());
    }

    [Fact]
    public void Mlops_data_gc_remote_reports_what_it_removed_and_kept_and_refuses_an_unknown_remote()
    {
        using (var repo = RepositoryWithRemote())
        {
            Upload(Remote(repo), repo.Cache, repo.Cache.AddBytes("nobody needs me"u8));
        }

        var (code, output, error) = Programs.Run(Programs.Mlops, ["data", "gc", "--remote", "shared", "--grace", "0", "--json"], Git.Root);
        Assert.True(code == 0, error);
        var json = JsonNode.Parse(output)!;
        Assert.Equal(("shared", 15L, 0), ((string)json["remote"]!, (long)json["bytes"]!, (int)json["kept_in_use"]!));

        (code, output, error) = Programs.Run(Programs.Mlops, ["data", "gc", "--remote", "elsewhere"], Git.Root);
        Assert.Equal(1, code);
        Assert.Contains("No remote named 'elsewhere'", error);
        Assert.Contains("shared", error);
    }
}

/// <summary>gc on a directory remote.</summary>
public sealed class DirectoryRemoteGcTests : RemoteGcContract
{
    private readonly TempDirectory _remotes = new();

    protected override string NewRemoteUrl() => _remotes.File(Guid.NewGuid().ToString("N"));

    public override void Dispose()
    {
        base.Dispose();
        _remotes.Dispose();
    }
}
