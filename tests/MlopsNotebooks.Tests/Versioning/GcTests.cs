using System.Diagnostics;
using MlopsNotebooks.Registry;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Tests.Versioning;

/// <summary>gc never deletes what is still needed: by another command running now, a link, or another store.</summary>
public sealed class GcTests : IDisposable
{
    private readonly GitRepository _git = new();

    public void Dispose() => _git.Dispose();

    private static IEnumerable<string> Dangling(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Where(f => !File.Exists(new FileInfo(f).ResolveLinkTarget(true)?.FullName ?? f));

    [Fact]
    public void Gc_running_while_an_add_links_files_into_the_cache_leaves_no_link_dangling()
    {
        for (var i = 0; i < 3000; i++)
        {
            _git.Write($"data/images/{i / 100:00}/img-{i:0000}.txt", $"image {i}\n");
        }
        _git.Commit("nothing versioned yet"); // gc reads HEAD

        using var add = Programs.Start(Programs.Mlops, ["data", "add", "--link", "symlink", "data/images"], _git.Root);
        var gcs = 0;
        while (!add.HasExited)
        {
            var gc = Programs.Run(Programs.Mlops, ["data", "gc", "--grace", "0"], _git.Root);
            Assert.Equal(0, gc.ExitCode);
            gcs++;
        }
        add.WaitForExit();
        Assert.Equal(0, add.ExitCode);
        Assert.Equal(0, Programs.Run(Programs.Mlops, ["data", "gc", "--grace", "0"], _git.Root).ExitCode);

        Assert.True(gcs > 0);
        Assert.Empty(Dangling(_git.PathOf("data/images")));
        Assert.Equal(3000, Directory.EnumerateFiles(_git.PathOf("data/images"), "*", SearchOption.AllDirectories).Count());
    }

    [Fact]
    public void Gc_after_switching_branches_keeps_objects_that_work_tree_links_still_point_to()
    {
        _git.Write("README", "x\n");
        _git.Commit("init");
        _git.Git("checkout", "-q", "-b", "feature");
        using (var repo = new DataRepository(_git.Root))
        {
            _git.Write("data/only-copy.csv", "precious\n");
            repo.Add(_git.PathOf("data/only-copy.csv"), LinkType.Symlink);
        }
        _git.Commit("data on a branch");
        _git.Git("checkout", "-q", "main"); // the pointer and its .gitignore go; the untracked link stays

        using (var repo = new DataRepository(_git.Root))
        {
            Assert.Empty(repo.Gc(grace: TimeSpan.Zero).Removed);
        }

        Assert.Equal("precious\n", File.ReadAllText(_git.PathOf("data/only-copy.csv")));
    }

    [Fact]
    public void Gc_pointed_at_another_store_keeps_the_artifacts_and_models_of_the_stores_that_share_the_cache()
    {
        string artifact;
        using (var client = new TrackingClient(_git.PathOf(".mlops/mlops.db")))
        {
            var run = client.CreateRun("exp", "with-artifact");
            var file = _git.Write("report.txt", "a run artifact\n");
            artifact = client.LogArtifact(run.RunId, file).Single().Hash;
            client.SetTerminated(run.RunId);
            File.Delete(file);
        }
        var other = Path.Combine(_git.Root, "..", $"other-{Guid.NewGuid():N}.db");
        var cache = new ObjectCache(_git.PathOf(".mlops/cache"));
        var hash = ContentHash.Parse(artifact);
        Assert.True(cache.Contains(hash));

        var (code, output, error) = Programs.Run(Programs.Mlops, ["data", "gc", "--grace", "0"], _git.Root,
            new Dictionary<string, string?> { ["MLOPS_TRACKING_URI"] = other });

        Assert.True(code == 0, error);
        Assert.True(cache.Contains(hash), output);
        File.Delete(other);
    }

    [Fact]
    public void Gc_keeps_the_reference_for_drift_of_a_registered_model_version()
    {
        using var client = new TrackingClient(_git.PathOf(".mlops/mlops.db"));
        var registry = new ModelRegistry(client);
        var (model, data) = ChurnRows.Train(ChurnRows.Rows(200, 1));
        var run = client.CreateRun("drift", "train");
        var version = registry.Register(run.RunId, model, data.Schema, "churn", referenceData: data);

        using (var repo = new DataRepository(_git.Root))
        {
            Assert.Empty(repo.Gc(grace: TimeSpan.Zero).Removed);
        }

        Assert.Equal(200, registry.Reference(version)!.Profile.Rows);
    }

    [Fact]
    public void Gc_with_all_branches_keeps_what_another_branch_needs()
    {
        _git.Write("README", "x\n");
        _git.Commit("init");
        _git.Git("checkout", "-q", "-b", "feature");
        ContentHash onBranch;
        using (var repo = new DataRepository(_git.Root))
        {
            _git.Write("data/branch.csv", "only on the feature branch\n");
            onBranch = repo.Add(_git.PathOf("data/branch.csv")).Hash;
        }
        _git.Commit("data on a branch");
        _git.Git("checkout", "-q", "main");

        using (var repo = new DataRepository(_git.Root))
        {
            Assert.Empty(repo.Gc(grace: TimeSpan.Zero, allBranches: true).Removed);
            Assert.Equal([onBranch], repo.Gc(grace: TimeSpan.Zero, dryRun: true).Removed);
        }
    }

    [Fact]
    public void Gc_refuses_when_a_store_that_shares_the_cache_cannot_be_read_and_removes_nothing()
    {
        var cache = new ObjectCache(_git.PathOf(".mlops/cache"));
        var unused = cache.AddBytes("nobody needs me"u8);
        File.WriteAllText(_git.PathOf(".mlops/team.db"), "this is not a database, but it sits where stores do");

        var (code, _, error) = Programs.Run(Programs.Mlops, ["data", "gc", "--grace", "0"], _git.Root);

        Assert.Equal(1, code);
        Assert.Contains("team.db", error);
        Assert.Contains("Nothing was removed", error);
        Assert.True(cache.Contains(unused));
    }

    [Fact]
    public void Gc_keeps_unreferenced_objects_younger_than_its_grace_period()
    {
        using var repo = new DataRepository(_git.Root);
        var young = repo.Cache.AddBytes("just written by someone"u8);

        var kept = repo.Gc();
        Assert.Empty(kept.Removed);
        Assert.Equal(1, kept.Young);
        Assert.True(repo.Cache.Contains(young));

        Assert.Equal([young], repo.Gc(grace: TimeSpan.Zero).Removed);
        Assert.False(repo.Cache.Contains(young));
    }

    [Fact]
    public void Gc_removes_the_temporary_files_of_killed_commands_and_keeps_those_being_written()
    {
        using var repo = new DataRepository(_git.Root);
        using var gone = Process.Start(new ProcessStartInfo("true"))!;
        gone.WaitForExit();
        var tmp = Path.Combine(repo.Cache.Root, "tmp");
        var abandoned = Path.Combine(tmp, $"{gone.Id}-{Guid.NewGuid():N}");
        File.WriteAllText(abandoned, new string('x', 4096));
        var live = repo.Cache.NewTempPath(); // this process is alive and just wrote it
        File.WriteAllText(live, "in progress");

        var dry = repo.Gc(dryRun: true);
        Assert.Equal(1, dry.Temporary);
        Assert.True(File.Exists(abandoned));

        var result = repo.Gc();
        Assert.Equal(1, result.Temporary);
        Assert.False(File.Exists(abandoned));
        Assert.True(File.Exists(live));
    }

    [Fact]
    public void Gc_rejects_a_grace_that_is_not_a_duration()
    {
        var (code, _, error) = Programs.Run(Programs.Mlops, ["data", "gc", "--grace", "soon"], _git.Root);
        Assert.Equal(1, code);
        Assert.Contains("not a duration", error);
    }
}
