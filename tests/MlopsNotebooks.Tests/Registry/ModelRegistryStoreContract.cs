using MlopsNotebooks.Registry;
using MlopsNotebooks.Storage;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Tests.Registry;

/// <summary>
/// What every model registry store backend must do, through <see cref="IModelRegistryStore"/> only. Each backend's
/// test class derives from it and says how to open a fresh tracking store and the registry store beside it.
/// </summary>
public abstract class ModelRegistryStoreContract : IDisposable
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
    private readonly List<IDisposable> _opened = [];

    /// <summary>A new, empty tracking store and the registry store beside it (versions point at its runs).</summary>
    protected abstract (ITrackingStore Tracking, IModelRegistryStore Models) CreateStores();

    /// <summary>A second registry store on the same location as <paramref name="store"/>.</summary>
    protected abstract IModelRegistryStore Reopen(IModelRegistryStore store);

    private (ITrackingStore Tracking, IModelRegistryStore Models) Open()
    {
        var stores = CreateStores();
        _opened.Add(stores.Models);
        _opened.Add(stores.Tracking);
        return stores;
    }

    public virtual void Dispose()
    {
        foreach (var store in _opened)
        {
            store.Dispose();
        }
        GC.SuppressFinalize(this);
    }

    private static string Hash(char c) => "sha256:" + new string(c, 64);

    private static string NewRunId(ITrackingStore tracking) =>
        tracking.CreateRun(new NewRun(Guid.NewGuid().ToString("N"), "0", null, null, T0, [])).RunId;

    private static NewModelVersion Version(string name, string? runId, char model = 'a') =>
        new(name, runId, Hash(model), Hash('b'), Hash('c'), T0);

    [Fact]
    public void Versions_are_numbered_per_name_from_one_and_point_at_their_run()
    {
        var (tracking, models) = Open();
        var run = NewRunId(tracking);
        var first = models.CreateModelVersion(Version("churn", run));
        var second = models.CreateModelVersion(Version("churn", run, 'd'));
        var other = models.CreateModelVersion(Version("fraud", null));
        Assert.Equal((1, 2, 1), (first.Version, second.Version, other.Version));
        Assert.Equal(run, models.GetModelVersion("churn", 1)!.RunId);
        Assert.Equal(Hash('d'), models.GetModelVersion("churn", 2)!.ModelHash);
        Assert.Null(models.GetModelVersion("fraud", 1)!.RunId);
        Assert.Null(models.GetModelVersion("churn", 3));
        Assert.Null(models.GetModelVersion("nobody", 1));
    }

    [Fact]
    public void Versions_list_newest_first_and_models_list_by_name_with_their_latest_version()
    {
        var (_, models) = Open();
        models.CreateModelVersion(Version("fraud", null));
        models.CreateModelVersion(Version("churn", null));
        models.CreateModelVersion(Version("churn", null));
        Assert.Equal([2, 1], models.ListModelVersions("churn").Select(v => v.Version));
        Assert.Equal(["churn/2", "churn/1", "fraud/1"], models.ListModelVersions(null).Select(v => $"{v.Name}/{v.Version}"));
        Assert.Empty(models.ListModelVersions("nobody"));
        Assert.Equal(["churn:2", "fraud:1"], models.ListModels().Select(m => $"{m.Name}:{m.LatestVersion}"));
    }

    [Fact]
    public void An_alias_points_at_one_version_moves_whole_and_can_be_deleted()
    {
        var (_, models) = Open();
        models.CreateModelVersion(Version("churn", null));
        models.CreateModelVersion(Version("churn", null));
        models.SetAlias("churn", "production", 1);
        Assert.Equal(1, models.GetModelVersionByAlias("churn", "production")!.Version);
        Assert.Equal(["production"], models.GetModelVersion("churn", 1)!.Aliases);

        models.SetAlias("churn", "production", 2);
        Assert.Equal(2, models.GetModelVersionByAlias("churn", "production")!.Version);
        Assert.Empty(models.GetModelVersion("churn", 1)!.Aliases);
        Assert.Equal(2, models.ListModels().Single().Aliases["production"]);

        Assert.True(models.DeleteAlias("churn", "production"));
        Assert.False(models.DeleteAlias("churn", "production"));
        Assert.Null(models.GetModelVersionByAlias("churn", "production"));
    }

    [Fact]
    public void An_alias_to_a_version_that_does_not_exist_is_refused_and_changes_nothing()
    {
        var (_, models) = Open();
        models.CreateModelVersion(Version("churn", null));
        models.SetAlias("churn", "production", 1);
        var error = Assert.Throws<NotFoundException>(() => models.SetAlias("churn", "production", 7));
        Assert.Contains("no version 7", error.Message);
        Assert.Equal(1, models.GetModelVersionByAlias("churn", "production")!.Version);
    }

    [Fact]
    public void Referenced_hashes_name_every_model_manifest_and_sample()
    {
        var (_, models) = Open();
        Assert.Empty(models.ReferencedHashes());
        models.CreateModelVersion(Version("churn", null));
        models.CreateModelVersion(Version("churn", null, 'd'));
        Assert.Equal([Hash('a'), Hash('b'), Hash('c'), Hash('d')], models.ReferencedHashes().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_second_registry_store_on_the_same_location_sees_what_the_first_wrote()
    {
        var (_, models) = Open();
        models.CreateModelVersion(Version("churn", null));
        models.SetAlias("churn", "candidate", 1);
        var again = Reopen(models);
        _opened.Add(again);
        Assert.Equal(1, again.GetModelVersionByAlias("churn", "candidate")!.Version);
        Assert.Equal(2, again.CreateModelVersion(Version("churn", null)).Version);
        Assert.Equal(2, models.ListModelVersions("churn")[0].Version);
    }
    [Fact]
    public void An_imported_version_keeps_its_number_and_a_different_one_under_that_number_is_left_as_it_is()
    {
        var (tracking, models) = Open();
        var runId = NewRunId(tracking);
        var imported = new ModelVersion("churn", 3, runId, Hash('a'), Hash('b'), Hash('c'), T0, []);
        Assert.Equal(ImportOutcome.Created, models.ImportModelVersion(imported, T0).Outcome);
        var got = models.GetModelVersion("churn", 3)!;
        Assert.Equal((runId, Hash('a'), Hash('b'), Hash('c'), T0), (got.RunId, got.ModelHash, got.ManifestHash, got.SampleHash, got.CreationTime));
        Assert.Equal(3, models.ListModels().Single().LatestVersion);
        Assert.Equal(ImportOutcome.Unchanged, models.ImportModelVersion(imported with { Aliases = ["candidate"] }, T0).Outcome);
        var refused = models.ImportModelVersion(imported with { ModelHash = Hash('d') }, T0);
        Assert.Equal(ImportOutcome.Conflict, refused.Outcome);
        Assert.NotNull(refused.Conflict);
        Assert.Equal(Hash('a'), models.GetModelVersion("churn", 3)!.ModelHash);
        Assert.Equal(4, models.CreateModelVersion(Version("churn", runId)).Version);
    }
}
