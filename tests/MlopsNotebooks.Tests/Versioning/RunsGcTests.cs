using System.Text.Json.Nodes;
using MlopsNotebooks.Tests.Support;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Tests.Versioning;

/// <summary><c>mlops runs gc</c> through the real tool: deleted runs go for good, and then data gc frees their objects.</summary>
public sealed class RunsGcTests : IDisposable
{
    private readonly GitRepository _git = new();

    public void Dispose() => _git.Dispose();

    private (int Code, string Output, string Error) Mlops(params string[] args) => Programs.Run(Programs.Mlops, args, _git.Root);

    private (string RunId, ContentHash Artifact) RunWithArtifact(string name, string content)
    {
        using var client = new TrackingClient(_git.PathOf(".mlops/mlops.db"));
        var run = client.CreateRun("exp", name);
        var file = _git.Write($"{name}.txt", content);
        var hash = client.LogArtifact(run.RunId, file).Single().Hash;
        client.SetTerminated(run.RunId);
        File.Delete(file);
        return (run.RunId, ContentHash.Parse(hash));
    }

    [Fact]
    public void Runs_gc_purges_a_deleted_run_and_data_gc_then_frees_the_artifacts_only_it_referred_to()
    {
        _git.Write("README", "x\n");
        _git.Commit("init");
        var (gone, goneArtifact) = RunWithArtifact("gone", "a forgotten artifact\n");
        var (kept, keptArtifact) = RunWithArtifact("kept", "an artifact still in use\n");
        var cache = new ObjectCache(_git.PathOf(".mlops/cache"));
        Assert.Equal(0, Mlops("runs", "delete", gone).Code);

        Assert.Equal(0, Mlops("data", "gc", "--grace", "0").Code);
        Assert.True(cache.Contains(goneArtifact)); // a deleted run can still be restored: its objects stay

        var dry = Mlops("runs", "gc", "--older-than", "0", "--dry-run");
        Assert.True(dry.Code == 0, dry.Error);
        Assert.Contains("would purge 1 runs", dry.Output);
        Assert.Contains(gone, dry.Output);
        Assert.Equal(0, Mlops("runs", "show", gone).Code);

        var gc = Mlops("runs", "gc", "--older-than", "0", "--json");
        Assert.True(gc.Code == 0, gc.Error);
        var json = JsonNode.Parse(gc.Output)!;
        Assert.Equal(gone, (string)json["purged"]![0]!["run_id"]!);
        Assert.False((bool)json["dry_run"]!);
        Assert.Equal(1, Mlops("runs", "show", gone).Code);

        var data = Mlops("data", "gc", "--grace", "0");
        Assert.True(data.Code == 0, data.Error);
        Assert.False(cache.Contains(goneArtifact));
        Assert.True(cache.Contains(keptArtifact));
        Assert.Equal(0, Mlops("runs", "show", kept).Code);
    }

    [Fact]
    public void Runs_gc_keeps_runs_deleted_more_recently_than_asked()
    {
        var (runId, _) = RunWithArtifact("recent", "recent\n");
        Assert.Equal(0, Mlops("runs", "delete", runId).Code);

        var gc = Mlops("runs", "gc", "--older-than", "30d");

        Assert.True(gc.Code == 0, gc.Error);
        Assert.Contains("purged 0 runs deleted more than 30d ago", gc.Output);
        Assert.Equal(0, Mlops("runs", "show", runId).Code);
    }

    [Theory]
    [InlineData("-1d", "not a duration")]
    [InlineData("30x", "not a duration")]
    [InlineData("1.5d", "not a duration")]
    [InlineData("999999d", "not a duration")]
    [InlineData("", "not a duration")]
    public void Runs_gc_refuses_an_age_that_is_not_a_duration_as_bad_usage_and_purges_nothing(string olderThan, string expected)
    {
        var (runId, _) = RunWithArtifact("deleted", "deleted\n");
        Assert.Equal(0, Mlops("runs", "delete", runId).Code);

        var (code, output, error) = Mlops("runs", "gc", "--older-than", olderThan);

        Assert.Equal(2, code);
        Assert.Contains(expected, error);
        Assert.Contains("30m, 2h, 7d", error);
        Assert.DoesNotContain("   at ", error);
        Assert.Equal("", output);
        Assert.Equal(0, Mlops("runs", "show", runId).Code);
    }

    [Fact]
    public void Runs_gc_without_an_age_is_bad_usage()
    {
        var (code, _, error) = Mlops("runs", "gc");
        Assert.Equal(2, code);
        Assert.Contains("--older-than", error);
    }

    [Fact]
    public void Runs_gc_of_an_unknown_experiment_says_so_and_purges_nothing()
    {
        var (runId, _) = RunWithArtifact("deleted", "deleted\n");
        Assert.Equal(0, Mlops("runs", "delete", runId).Code);

        var (code, _, error) = Mlops("runs", "gc", "--older-than", "0", "--experiment", "no-such-experiment");

        Assert.Equal(1, code);
        Assert.Contains("no-such-experiment", error);
        Assert.Equal(0, Mlops("runs", "show", runId).Code);
    }
}
